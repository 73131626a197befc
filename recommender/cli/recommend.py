"""The ``recommend`` command: films for a known user, for a list of users, or for a watched list.

One ``--user`` prints a table (``--json``: the HTTP body of ``GET /users/{id}/recommendations``),
``--users``/``--all`` write ``--out``, and ``--watched FILE`` answers as ``POST
/recommendations`` does for a viewer the model does not know.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.cli.answer_store import answer_model, given_store
from recommender.cli.commands import _print_json, _read_id_index, not_an_input
from recommender.cli.printing import (
    json_printed,
    note,
    print_table,
    recommendations_written,
    warn_unfitted_users,
)
from recommender.io.text import plural, shown_cell
from recommender.query.score_words import REC_HEADER

if TYPE_CHECKING:
    from recommender.model.model import Model


def cmd_recommend(args: argparse.Namespace) -> int:
    from recommender.cli.id_column import id_column
    from recommender.errors import InvalidParameterError, UnknownUserError
    from recommender.query.audience import check_served_k
    from recommender.query.export import write_recommendations
    from recommender.query.recommend import recommend_user

    column = id_column(args, "users", "watched")  # one of the two lists, or refused
    # a printed page, as HTTP bounds it (--users/--all without --out are told to give one)
    if args.out is None and (args.user is not None or getattr(args, "watched", None)):
        check_served_k(args.k)
    if getattr(args, "watched", None):
        if args.include_seen:
            raise InvalidParameterError("--include-seen keeps a known user's watched films; "
                                        "--watched recommends beyond the films given")
        return _recommend_watched(args, column)
    exclude_seen = not args.include_seen
    if args.json and args.user is None:
        raise InvalidParameterError("--json prints the HTTP body of one --user's "
                                    "recommendations (GET /users/{id}/recommendations) or of "
                                    "one --watched FILE's (POST /recommendations); --users "
                                    "and --all write --out PATH.csv|PATH.parquet")
    not_an_input(args.out, args.users)  # before the model and the store are read
    model = answer_model(args)
    if args.user is not None and args.out is None:
        films = recommend_user(model, args.user, k=args.k, exclude_seen=exclude_seen)
        body = films.to_json(model)
        if json_printed(args.json, body, model, _print_json):
            return 0
        n = len(body["films"])
        print(f"Top {plural(n, 'film', sep=',')} for user {shown_cell(args.user)}"
              + (f" (asked for {args.k:,}; no other film is left)" if n < args.k else "")
              + ("; watched films included" if not exclude_seen else "")
              + ("; a user known only from the store's events since training (their taste "
                 "is folded in from those)" if body["known_from"] == "events" else ""))
        if body["note"]:
            print(f"warning: {body['note']}")
        _print_films(body["films"], model)
        return 0
    if args.out is None:
        raise InvalidParameterError("--users and --all need --out PATH.csv|PATH.parquet")
    if args.all:
        users = np.arange(model.n_users)
    else:
        users = (model.users.to_index([args.user], strict=True, error=UnknownUserError)
                 if args.user is not None else _read_id_index(args.users, model.users, "user_id",
                                                              column=column))
    t0 = time.perf_counter()
    rows = write_recommendations(model, users, args.k, args.out, exclude_seen=exclude_seen)
    warn_unfitted_users(model, users)
    print(recommendations_written(model, rows, len(users), args.k, exclude_seen, args.out, t0))
    return 0


def _recommend_watched(args: argparse.Namespace, column: str | None = None) -> int:
    """``recommend --watched FILE``: ``POST /recommendations``'s answer (``--json``: its body);
    ``column``: the file's column of film ids, by name (``--id-column``)."""
    from recommender.cli.checks import every_id_unknown
    from recommender.errors import InvalidParameterError
    from recommender.io.id_lists import read_id_list_as_known
    from recommender.query.hints import title_hints, unknown_hints
    from recommender.query.recommend import recommend_for_watched

    if args.out is not None:
        raise InvalidParameterError("--watched prints one viewer's films (a table, or --json); "
                                    "--out writes --users or --all")
    if given_store(args):  # --store none: the model as trained, as --watched reads it
        raise InvalidParameterError("--store applies the campaign store's events to known "
                                    "users; a --watched list is a viewer the model does not "
                                    "know and reads only the films, which events do not "
                                    "change: drop --store")
    model = answer_model(args)
    watched = read_id_list_as_known(args.watched, model.films, said=note, column=column)
    # every id unknown: the titles the one given matches, and the file named
    with every_id_unknown(args.watched, "film"), title_hints(model):
        films, unknown = recommend_for_watched(model, watched, k=args.k)
    body = films.watched_json(model, unknown)
    rows = body["films"]
    # POST /recommendations's response model: pydantic's 0.000015, not 1.5e-05
    if json_printed(args.json, body, model):
        return 0
    distinct = set(watched)
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:10])
        more = f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else ""
        print(f"note: {len(unknown):,} of the {len(distinct):,} watched film ids are unknown "
              f"to the model and skipped: {shown}{more}{unknown_hints(model, unknown)}",
              file=sys.stderr)  # the titles they match, as cold-start --like's skipped
    known = len(distinct - set(unknown))
    if not rows:
        print(f"No film to recommend: the {known:,} known films watched are every film the "
              "model holds")
        return 0
    print(f"Top {plural(len(rows), 'film')} for a viewer of {plural(known, 'known film', sep=',')}"
          + (f" (asked for {args.k}; no other film is left)" if len(rows) < args.k else ""))
    if body["note"]:
        print(f"warning: {body['note']}")
    _print_films(rows, model)
    return 0


def _print_films(rows: list[dict[str, Any]], model: Model) -> None:
    """Recommended films, the two watched films that explain each most, what the score is."""
    # with a prior the score is not the pair's audience score: headed apart (score_words)
    header = "score" if model.film_prior is None else REC_HEADER
    print_table(["rank", "film_id", header, "title", "because you watched"], [
        [r["rank"], r["film_id"], f"{r['score']:.4f}", r["title"],
         ", ".join(b["title"] or b["film_id"] for b in r.get("because", [])[:2])]
        for r in rows], films=True)
    if rows:
        weight = (model.meta.get("params") or {}).get("popularity")
        said = f"weight {weight:g}: " if isinstance(weight, int | float) else ""
        taste = ("the model's taste score (the dot product of the user's and the film's taste "
                 "vectors: the user's score in the film's audience)")
        prior = (f" plus the film's popularity prior ({said}how many watched it lately, the "
                 "same for every user)" if model.film_prior is not None else "")
        print(f"{header}: {taste}{prior}, for ordering "
              "only (not comparable between users); "
              "because: the two watched films whose taste vectors point most the same way "
              "(--json: up to three, each with a positive cosine similarity, and its share)")
