"""The CLI's shared helpers and its original commands (data, training, audiences, serving)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.cli.answer_store import answer_model, given_store
from recommender.cli.printing import (
    AUDIENCE_SCORE,
    audiences_written,
    export_cut,
    export_source,
    film_named,
    model_version_said,
    note,
    print_table,
    rank_legend,
    warn_exported_films,
)
from recommender.io.columns import (
    PERCENTILE,
    RANK,
    SCORE,
    SEGMENT,
    TIER,
    USER_ID,
)
from recommender.io.progress import show_progress
from recommender.io.text import plural, shown_cell
from recommender.query.limits import MAX_OFFSET

if TYPE_CHECKING:  # the commands import what they need when they run
    from numpy.typing import NDArray

    from recommender.io.ids import IdMap
    from recommender.model.model import Model


def _int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number >= ``minimum`` (and <= ``maximum`` if given)."""

    def parse(text: str) -> int:
        try:  # ASCII digits, as the HTTP service reads them: int() also took "5_0" and "٣"
            value = int(text) if text.isascii() and "_" not in text else int("not a number")
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"expected a number in [{minimum}, {maximum}], "
                                             f"got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)
_offset = _int_at_least(0, MAX_OFFSET)  # the bound the HTTP service puts on offset


def _print_json(body: Any, model: Model | None = None) -> None:
    """``body`` as a ``json.dumps`` route sends it, ``model`` said (``model_version_said``)."""
    print(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    model_version_said(model)


# ---------------------------------------------------------------- commands


def cmd_demo_data(args: argparse.Namespace) -> int:
    from recommender.io.demo import CLI_OPTIONS, generate

    out = generate(args.out_dir, seed=args.seed, n_users=args.users, n_films=args.films,
                   n_interactions=args.interactions, progress=show_progress(), names=CLI_OPTIONS)
    print(f"wrote demo data to {out}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from recommender.io.download import download

    path = download(args.name, Path(args.dest), progress=show_progress())
    print(f"{args.name} is ready in {path}")
    return 0


def _load_model(path: str) -> Model:
    from recommender.model import artifact

    return artifact.load(path)


def add_pseudonym_options(parser: argparse.ArgumentParser) -> None:
    """``--pseudonymize`` and ``--pseudonym-key-file`` (README "Security")."""
    parser.add_argument("--pseudonymize", action="store_true",
                        help="write each user id as its keyed HMAC-SHA256 (p-<hex>), with the "
                             "key in RECOMMENDER_PSEUDONYM_KEY or --pseudonym-key-file")
    parser.add_argument("--pseudonym-key-file", dest="pseudonym_key_file", metavar="FILE",
                        help="file holding the pseudonym key (with --pseudonymize)")


def _pseudonymous(model: Model, args: argparse.Namespace) -> Model:
    """``model`` with pseudonymised user ids when ``--pseudonymize`` was given."""
    from recommender.errors import InvalidParameterError
    from recommender.query.pseudonym import load_key, pseudonymous_users

    key_file = getattr(args, "pseudonym_key_file", None)
    if not getattr(args, "pseudonymize", False):
        if key_file is not None:
            raise InvalidParameterError("--pseudonym-key-file needs --pseudonymize")
        return model
    return pseudonymous_users(model, load_key(key_file))


def cmd_audience(args: argparse.Namespace) -> int:
    from recommender.cli.checks import film_argument
    from recommender.errors import InvalidParameterError
    from recommender.query.audience import check_served_k, film_audience
    from recommender.query.export import audience_csv, audience_table
    from recommender.query.filters import parse_filters
    from recommender.query.linkable import pseudonymous_cut
    from recommender.query.render import column_text, resolve_with, table_columns

    check_served_k(args.k, args.offset)  # a page, as HTTP bounds it (`audiences` exports)
    given_with = getattr(args, "with_", None)
    if args.json and given_with is not None:
        raise InvalidParameterError(
            "--with adds columns to the table and to --csv; --json prints the HTTP endpoint's "
            "body, whose fields are fixed (GET /films/{film_id}/audience takes no with): "
            "drop --with or --json")
    model = _pseudonymous(answer_model(args), args)
    film_argument(model, args.film_id)  # not an id: say which titles it matches
    filters = parse_filters(args.filter, "--filter")
    tier = getattr(args, "tier", None)
    with_ = resolve_with(model, given_with)
    page = film_audience(model, args.film_id, k=args.k, offset=args.offset,
                         exclude_seen=not args.include_seen, segment=args.segment,
                         filters=filters, tier=tier)
    f = model.film_index(args.film_id)
    # beside pseudonyms a filter's attributes are in every row, as a column's are (linkable)
    cut_by = pseudonymous_cut(model, filters, with_ if given_with is not None else (),
                              page.user_idx)
    if args.json:
        _print_json(page.to_json(), model)
        return 0
    if getattr(args, "csv", False):  # the HTTP audience.csv download, byte for byte
        if page.note:  # the CSV has no place for it, nor for the model (HTTP: a header)
            print(f"warning: {page.note}", file=sys.stderr)
        cut = export_cut(model, args).text  # as the download's name holds it (HTTP)
        print(f"note: audience of film {args.film_id!r}{f' ({cut})' if cut else ''} "
              f"{export_source(model)}", file=sys.stderr)
        sys.stdout.write(audience_csv(model, page, f, with_))
        return 0
    model_version_said(model)  # a table's model too, as --json's and --csv's (stderr)
    genres = str(model.catalog.genres[f]).replace("|", ", ")
    # "Audience for 1 [film 1]" on a log without titles named the id as a title
    print(f"Audience for {film_named(model, args.film_id)}"
          f"{f' - {shown_cell(genres)}' if genres else ''}")
    # an empty page (offset past the end) is what the HTTP route answers too (200, with
    # ``total``); the header says so instead of a backwards rank range
    filtered = args.segment is not None or bool(filters)
    viewers = len(model.film_viewers(f))
    n_cand = model.n_users - (0 if args.include_seen else viewers)  # filtered too: the ranks
    who = "" if args.include_seen else f" who {'has' if n_cand == 1 else 'have'} not"
    print(f"{plural(viewers, 'user', sep=',')} {'has' if viewers == 1 else 'have'} watched it; "
          f"ranking {plural(n_cand, 'candidate', sep=',')}{who}; "
          f"{page.ring_text()}{page.shown_text(filtered)}")
    if page.note:
        print(f"warning: {page.note}")
    if not len(page.user_idx):
        return 0
    # the table shows the CSV's text (render.column_text) for the same values
    extra = with_ if given_with is not None else table_columns(model, page.user_idx, cut_by)
    table = audience_table(model, page, f, extra)
    names = [RANK, USER_ID, SCORE, PERCENTILE, TIER, SEGMENT] + list(extra)
    columns = [column_text(n, table.column(n).to_numpy(zero_copy_only=False)
                           if n in (RANK, SCORE, PERCENTILE, SEGMENT)
                           else table.column(n).to_pylist()) for n in names]
    print_table(names, [list(row) for row in zip(*columns, strict=True)])
    rank_legend(AUDIENCE_SCORE)
    return 0


def not_an_input(out: str | None, *inputs: str | None, folder_ok: bool = False) -> None:
    """Refuse an output path that names one of the command's input files: the output would
    replace it (a slate or an id list lost to its own plan or export), that lies inside a
    model folder (``atomic.not_in_a_model``), or where no file can be put
    (``atomic.check_writable``: a folder in the way failed only at the final rename, after the
    whole export or plan was computed). ``folder_ok``: the output is a folder (a Spark
    export), checked by its writer."""
    from recommender.errors import InvalidParameterError
    from recommender.io.atomic import check_writable, not_in_a_model

    if out:
        (not_in_a_model if folder_ok else check_writable)(out)
    if not out or not os.path.exists(out):
        return
    for given in inputs:
        if given and given != "-" and os.path.exists(given) and os.path.samefile(out, given):
            raise InvalidParameterError(f"the output {out} is the input {given}: it would be "
                                        "replaced; write the output elsewhere")


def _read_id_index(path: str, ids: IdMap, kind: str, films_of: Model | None = None,
                   column: str | None = None) -> NDArray[np.int64]:
    """The indices of an id-list file's ids; an unknown id names the file and its line, and
    with ``films_of`` the titles it matches (a title listed for an id, as `audience` says);
    the duplicates dropped are said (``printing.note``). ``column``: a CSV export's column
    of ids, by name (``--id-column``)."""
    from recommender.io.id_lists import read_id_list_index
    from recommender.query.hints import ids_hint

    return read_id_list_index(path, ids, kind, hint=None if films_of is None else
                              lambda unknown: ids_hint(films_of, unknown), said=note,
                              column=column)


def cmd_audiences(args: argparse.Namespace) -> int:
    from recommender.cli.id_column import id_column
    from recommender.errors import InvalidParameterError
    from recommender.query.export import output_format, write_audiences
    from recommender.query.filters import parse_filters

    output_format(args.out)
    column = id_column(args, "films")  # --id-column without --films: refused
    not_an_input(args.out, args.films, folder_ok=getattr(args, "engine", "local") == "spark")
    filters = parse_filters(getattr(args, "filter", None), "--filter")
    tier, segment = getattr(args, "tier", None), getattr(args, "segment", None)
    with_ = [w for w in getattr(args, "with_", None) or () if w.strip()]  # '' = no column
    if getattr(args, "engine", "local") == "spark":
        cuts = [name for name, v in (("--tier", tier), ("--segment", segment),
                                     ("--store", given_store(args)),
                                     ("--filter", filters), ("--with", with_),
                                     ("--pseudonymize", getattr(args, "pseudonymize", False)),
                                     ("--pseudonym-key-file",
                                      getattr(args, "pseudonym_key_file", None)))
                if v]
        if cuts:
            raise InvalidParameterError(
                f"{', '.join(cuts)} {'works' if len(cuts) == 1 else 'work'} with --engine "
                "local only (the Spark export writes whole top-k lists of the model as "
                "trained, raw ids)")
        from recommender.cli.answer_store import answer_store
        from recommender.spark.scoring import batch_audiences_spark

        # the model and ids read once (a train saving between two reads had the rows come
        # from another version; a pipe cannot be read twice), before Spark starts
        served = _load_model(args.model)
        chosen = (np.arange(served.n_films) if args.all
                  else _read_id_index(args.films, served.films, "film_id", served, column))
        if (beside := answer_store(args)[0]) is not None:  # --store is refused above
            print("note: the Spark export answers from the model as trained; the events of "
                  f"the campaign store {beside} are not included (the local export includes "
                  "them)", file=sys.stderr)
        t0 = time.perf_counter()
        rows = batch_audiences_spark(served, args.k, args.out, master=args.spark_master,
                                     films=None if args.all else
                                     [str(i) for i in served.films.ids[chosen]],
                                     exclude_seen=not args.include_seen)
        warn_exported_films(served, chosen, spark=True, exclude_seen=not args.include_seen)
        print(audiences_written(served, rows, chosen, args.k, export_cut(served, args),
                                args.out, t0, not args.include_seen))
        return 0
    model = _pseudonymous(answer_model(args), args)
    if args.all:
        films = np.arange(model.n_films)
    else:
        films = _read_id_index(args.films, model.films, "film_id", model, column)
    t0 = time.perf_counter()
    without_rows: list[dict[str, str]] = []  # the films given no row, and why
    rows = write_audiences(model, films, args.k, args.out, exclude_seen=not args.include_seen,
                           tier=tier, segment=segment, filters=filters, with_=with_,
                           without_rows=without_rows)
    cut = export_cut(model, args)
    warn_exported_films(model, films, exclude_seen=not args.include_seen, rows=rows, cut=cut,
                        without_rows=without_rows)
    print(audiences_written(model, rows, films, args.k, cut, args.out, t0,
                            not args.include_seen))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from recommender.cli.stores import say_served_store
    from service.server import serve

    say_served_store()  # a RECOMMENDER_STORE file not there: created as the service starts
    serve(args.model, host=args.host, port=args.port, workers=args.workers)
    return 0


def add_slice_options(s: argparse.ArgumentParser, export: bool = False) -> None:
    """The options that cut an audience (``audience``) or an export (``audiences``): one ring,
    one segment, attribute filters, and the ``--with`` columns."""
    what = "each film's rows start" if export else "the list starts"
    s.add_argument("--tier", metavar="core|extended|broad",
                   help=f"only this ring (any case); {what} at the ring's first user")
    s.add_argument("--segment", metavar="N|LABEL",
                   help="only users of this segment: its number or its label (any case; "
                        "part of a label if it names one segment; a 'Fans of' label's film "
                        "title as search takes it; see `segments`)")
    s.add_argument("--filter", action="append", metavar="ATTR=VALUE",
                   help="only users with this attribute value (repeatable; values of one "
                        "attribute are alternatives; ATTR=(no value) for the users without "
                        "one)")
    s.add_argument("--with", dest="with_", metavar="COLUMNS", action="append",
                   help="extra columns, comma-separated or repeated (as HTTP with=): title, "
                        "segment_label or user attributes (e.g. title,segment_label,region)")
