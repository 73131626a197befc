"""``cold-start --csv`` and ``--out FILE``: a new film's audience page as audiences are exported.

``--csv`` prints the page as ``audience --csv`` prints a film's (the one audience CSV writer,
``export.audience_csv``: empty film_id, the ``--with`` columns); ``--out PATH.csv|.parquet``
writes it through the audience export's writer (``export.write_page``: atomic; a Parquet file
keeps what the page was cut from, ``export_context``, in its ``recommender`` metadata). A CSV
has no place for the model or the comparable films: a line on stderr says them, as
``audience --csv``'s does.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recommender.cli.commands import not_an_input
from recommender.cli.printing import export_cut, export_source, liked_text
from recommender.io.text import plural


def check_export_options(args: argparse.Namespace) -> None:
    """Refuse ``--with`` where no export is asked for, and an ``--out`` path that is no
    .csv or .parquet, or that no file can be put at, before the model is read."""
    from recommender.errors import InvalidParameterError
    from recommender.query.export import output_format

    if args.with_ is not None and not (args.csv or args.out):
        raise InvalidParameterError("--with adds columns to --csv and --out (the table and "
                                    "--json have fixed fields): add one, or drop --with")
    if args.out:
        output_format(args.out)
        not_an_input(args.out)


def exported(args: argparse.Namespace, model: Any, page: Any,
             likes: list[str] | dict[str, float], unknown: list[str], genres: list[str]
             ) -> bool:
    """Print (``--csv``) or write (``--out``) the page; False when neither was asked for."""
    if not (args.csv or args.out):
        return False
    from recommender.query.export import (
        AUDIENCE_SCHEMA,
        audience_csv,
        export_context,
        row_units,
        segment_context,
        write_page,
    )
    from recommender.query.filters import resolve_segment
    from recommender.query.render import resolve_with

    with_ = resolve_with(model, args.with_)
    cut = export_cut(model, args).text
    what = (f"cold-start audience of a film like {liked_text(likes, unknown, genres)}"
            f"{f' ({cut})' if cut else ''}")
    extra = page.extra or {}
    for said in (page.note, extra.get("genres_only")):  # the file has no place for them
        if said:
            print(f"note: {said}", file=sys.stderr)
    if args.csv:
        print(f"note: {what} {export_source(model)}", file=sys.stderr)
        sys.stdout.write(audience_csv(model, page, None, with_))
        return True
    seg = resolve_segment(model, args.segment)
    context = export_context(
        model, kind="cold_start", k=args.k, offset=args.offset or None,
        comparable_films=extra.get("comparable_films") or None, genres=genres or None,
        unfitted_film_ids=extra.get("unfitted_film_ids") or None,
        unknown_film_ids=unknown or None, genres_only=extra.get("genres_only"),
        tier=args.tier, segment=None if seg is None else segment_context(model, seg),
        with_columns=list(with_) or None)
    context["units"] = row_units(AUDIENCE_SCHEMA)  # what each column means, as audiences'
    rows = write_page(model, page, None, args.out, with_, context)
    print(f"wrote {plural(rows, 'row', sep=',')} ({what}) to {args.out}, "
          f"{export_source(model)}")
    return True
