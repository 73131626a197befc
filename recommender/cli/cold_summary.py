"""The CLI's summary of a new film (``cold-start --summary``): rings, conversion, portrait.

``--json`` prints the body of ``POST /audiences/cold-start/summary``; the table is the known
film's summary's (``cli.summary``), headed by what the new film is like and where its
probabilities come from.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from recommender.cli.printing import json_printed, liked_text
from recommender.cli.summary import portrait_part, segment_rings, summary_body, tier_table
from recommender.io.text import plural, shown_cell

if TYPE_CHECKING:
    from recommender.model.model import Model

#: cold-start options a summary has no use for (it covers every ring and every user): given
#: with --summary, refused rather than left unread
PAGE_OPTIONS = (("k", None, "--k"), ("offset", 0, "--offset"), ("segment", None, "--segment"),
                ("csv", False, "--csv"), ("out", None, "--out"), ("with_", None, "--with"),
                ("pseudonymize", False, "--pseudonymize"),
                ("pseudonym_key_file", None, "--pseudonym-key-file"))


def check_summary_options(args: argparse.Namespace) -> None:
    """``--summary`` beside a page's option (``--k``, ``--offset``, ``--segment``) or an
    export's is refused, naming them: a summary covers the whole ranking (``--tier`` picks
    its portrait, as `summary --tier` does)."""
    from recommender.errors import InvalidParameterError

    given = [flag for name, default, flag in PAGE_OPTIONS
             if getattr(args, name, default) not in (default, [])]
    if given:
        raise InvalidParameterError(
            f"--summary summarises the whole ranking; {', '.join(given)} "
            f"{'is' if len(given) == 1 else 'are'} for the audience's page or export: drop "
            f"{'it' if len(given) == 1 else 'them'} (--tier picks whom the portrait pictures)")


def cold_summary(args: argparse.Namespace, model: Model, likes: list[str] | dict[str, float]
                 ) -> int:
    """Print the new film's summary (``cold_summary.cold_start_summary``), JSON or tables."""
    from recommender.cli.answers import say_skipped
    from recommender.cli.distribution_text import mixed_calibration_text
    from recommender.distribution.cold_summary import cold_start_summary
    from recommender.query.hints import title_hints
    from recommender.query.privacy import min_cell_from_env

    with title_hints(model):  # every --like film unknown: the titles the one given matches
        body = summary_body(cold_start_summary(model, likes, args.genre or [], tier=args.tier,
                                               min_cell=min_cell_from_env()))
    cold = body["cold_start"]
    say_skipped(model, cold["unknown_film_ids"])
    if json_printed(args.json, body, model):
        return 0
    like = shown_cell(liked_text(likes, cold["unknown_film_ids"], cold["genres"]))
    print(f"Audience summary of a new film like {like}: nobody has watched it, "
          f"{plural(body['candidates'], 'candidate', sep=',')}")
    if cold.get("genres_only"):
        print(f"note: {cold['genres_only']}")
    if body.get("note"):
        print(f"warning: {body['note']}")
    tier_table(model, body)
    if body.get("conversion_note"):
        print(f"conversion: {body['conversion_note']}")
        print(mixed_calibration_text(model, cold["calibrated_from"]))
    segment_rings(model, body)
    portrait_part(model, body)
    return 0

