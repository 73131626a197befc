"""``recommender distribution``: a film's expected demand by place and a screen allocation.

``recommender distribution MODEL FILM_ID --by ATTR [--screens N] [--json]`` prints the body of
``GET /films/{film_id}/distribution`` with ``--json``; ``--like``/``--genre`` without a film id
give ``POST /distribution/cold-start``'s; ``--slate SLATE.csv [--screens-per-cinema FILE]``
shares each cinema's screens among films opening together (``POST /distribution/slate``'s body
with ``--json``; without a screens file, the model's cinema table, as the server's default).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from recommender.cli.answer_store import STORE_HELP
from recommender.cli.checks import slate_films_known
from recommender.cli.commands import (
    _print_json,
    answer_model,
    not_an_input,
)
from recommender.cli.distribution_text import no_forecast, print_demand
from recommender.cli.printing import json_printed, print_table
from recommender.io.progress import show_progress

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
CINEMAS_ENV = "RECOMMENDER_CINEMAS"


def _env_cinemas() -> str | None:
    """The service's cinema table (``RECOMMENDER_CINEMAS``), read by the CLI too when no
    file is given, as ``RECOMMENDER_STORE`` and ``RECOMMENDER_MIN_CELL`` are: ``--json``
    prints the service's body in the service's environment."""
    return os.environ.get(CINEMAS_ENV) or None


def _cinemas(model: Any, model_path: str, given: str | None) -> Any:
    """``cinemas_for`` the file given, else ``RECOMMENDER_CINEMAS``'s, else the model's; a
    refusal of the variable's file names the variable (it named the file alone, which the
    command line did not)."""
    from recommender.distribution.places import cinemas_for
    from recommender.errors import InvalidParameterError, RecommenderError

    from_env = None if given else _env_cinemas()
    try:
        return cinemas_for(model, model_path, given or from_env)
    except RecommenderError as e:
        if from_env is None:
            raise
        raise InvalidParameterError(f"{CINEMAS_ENV}: {e}") from None


def cities(by: str) -> bool:
    """Whether the breakdown reads the cinema table for each cinema's city alone (by cinema,
    in any case, as the library reads ``by``), without ``--screens`` to cap."""
    from recommender.io.places import CINEMA

    return by.strip().lower() == CINEMA


def _cities(model: Any, model_path: str, by: str, given: str | None = None) -> Any:
    """The cinema table giving each cinema's city (``cities``), as the service reads it for
    ``by=cinema`` without screens: None for another ``by``, or a table that cannot be read
    (the cities are null then, as the service's body; a file ``given`` as ``--cinemas`` is
    refused instead, as it is with ``--screens``)."""
    from recommender.errors import RecommenderError

    if not cities(by):
        return None
    if given:
        return _cinemas(model, model_path, given)
    try:
        return _cinemas(model, model_path, None)
    except RecommenderError as e:  # on stderr, not in the body (the service's log says it)
        print(f"warning: the cinema table is unreadable, so each cinema's city is null: {e}",
              file=sys.stderr)
        return None


def _env_cinemas_unread(by: str, screens: int | None, given: str | None) -> None:
    """A ``note:`` on stderr when ``RECOMMENDER_CINEMAS`` is set but this breakdown does not
    read it (it caps ``--screens`` by cinema, city or region): it was ignored without a word,
    where ``--cinemas`` in its place is refused. Not in ``--json``'s body, which the service
    answers alike whatever its own setting."""
    from recommender.cli.printing import note
    from recommender.distribution.demand import capped

    if given is not None or not _env_cinemas() or (capped(by) and screens) or cities(by):
        return
    note(f"{CINEMAS_ENV} {_unread(by, screens)}")


def _unread(by: str, screens: int | None) -> str:
    """Why the cinema table (``--cinemas``, ``RECOMMENDER_CINEMAS``) is not read by this
    breakdown: "is not read without --screens: it caps ..."."""
    when = "without --screens" if not screens else f"with --by {by.strip()}"
    return (f"is not read {when}: it caps --screens by the screens of each cinema, city or "
            "region, with --by cinema, city or region, and names each cinema's city with "
            "--by cinema")


def cmd_distribution(args: argparse.Namespace) -> int:
    from recommender.errors import InvalidParameterError

    if args.slate or args.screens_per_cinema:
        if not args.slate:
            raise InvalidParameterError(
                "--screens-per-cinema goes with --slate, without a FILM_ID")
        if args.film_id:
            raise InvalidParameterError(
                f"FILM_ID {args.film_id!r}: not used with --slate, which plans the films of "
                "its file (drop it, or leave out --slate for one film's breakdown)")
        unused = [o for o, v in (("--by", args.by), ("--screens", args.screens),
                                 ("--screens-by", args.screens_by),
                                 ("--cinemas", args.cinemas), ("--like", args.like),
                                 ("--genre", args.genre)) if v is not None]
        if unused:
            raise InvalidParameterError(
                f"{', '.join(unused)}: not used with --slate, which shares every cinema of "
                "--screens-per-cinema (or of the model's cinema table) among the slate's films "
                "(drop them, or leave out --slate for one film's breakdown)")
        if args.out and not str(args.out).lower().endswith((".csv", ".parquet")):
            raise InvalidParameterError(f"--out writes the allocation as CSV or Parquet: name "
                                        f"a .csv or .parquet file, got {args.out}")
        not_an_input(args.out, args.slate, *([args.screens_per_cinema]
                                             if args.screens_per_cinema else []))
        return _slate(args)
    if args.out:
        raise InvalidParameterError("--out writes a slate's allocation; it needs --slate")
    from recommender.distribution.demand import check_screens

    # the library's rule, as HTTP's screens= (1.0 is 1, 1.5 is refused), not argparse's int
    args.screens = check_screens(args.screens)
    if args.by is None:  # "--by ''" is refused by the library, as by= is over HTTP
        args.by = "region"
    from recommender.distribution.demand import capped

    if args.cinemas and not (capped(args.by) and args.screens) and not cities(args.by):
        # by cinema it gives each cinema's city, as RECOMMENDER_CINEMAS does (it was refused)
        raise InvalidParameterError(f"--cinemas {_unread(args.by, args.screens)}")
    cold = bool(args.like or args.genre)
    if bool(args.film_id) == cold:
        raise InvalidParameterError(
            "give a FILM_ID, or --like/--genre for a film with no history (not both)")
    from recommender.cli.answers import weighted_likes
    from recommender.distribution.demand import cold_start_demand, demand_by_place

    model = answer_model(args)
    cinemas = (_cinemas(model, args.model, args.cinemas)
               if capped(args.by) and args.screens
               else _cities(model, args.model, args.by, args.cinemas))
    if cold:
        from recommender.cli.answers import say_skipped
        from recommender.query.commas import refuse_comma_lists
        from recommender.query.comparable_limit import check_comparable_count
        from recommender.query.hints import title_hints

        refuse_comma_lists(model, args.like, args.genre)
        likes = weighted_likes(model, args.like)
        check_comparable_count(likes)  # RECOMMENDER_MAX_COMPARABLE_FILMS, as the server's
        with title_hints(model):  # every --like film unknown: the titles the one given matches
            body = cold_start_demand(model, likes, args.genre or [],
                                     args.by, args.screens, cinemas=cinemas,
                                     screens_by=args.screens_by)
        say_skipped(model, body["cold_start"]["unknown_film_ids"])
    else:
        from recommender.cli.checks import film_argument

        film_argument(model, args.film_id)  # an unknown id names the titles it matches
        body = demand_by_place(model, args.film_id, args.by, args.screens, cinemas=cinemas,
                               screens_by=args.screens_by)
    _env_cinemas_unread(args.by, args.screens, args.cinemas)  # with an answer, not an error
    if args.screens_by is not None and not args.screens:  # as HTTP, it changes nothing
        from recommender.cli.printing import note

        note("--screens-by is not read without --screens: it says what the screens follow")
    warning = (body["screens"] or {}).get("warning")
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    if body["note"]:  # the film (or its comparables) has nothing fitted
        print(f"warning: {body['note']}", file=sys.stderr)
    no_forecast(model, body["horizon"])
    if json_printed(args.json, body, model, _print_json):
        return 0
    print_demand(body, model, (args.screens_by or "total").strip().lower())
    return 0


def _stderr_line(line: str) -> None:
    """``line`` on stderr at once (a step of the slate's allocation, ``plan_slate``'s ``say``)."""
    print(line, file=sys.stderr, flush=True)


def _slate(args: argparse.Namespace) -> int:
    from recommender.distribution.slate import InfeasibleSlateError, need_cinemas, plan_slate
    from recommender.distribution.slate_file import held, read_slate
    from recommender.distribution.slate_size import check_size, max_cells_from_env
    from recommender.errors import DataError, InvalidParameterError
    from recommender.io.ids import form_note
    from recommender.io.places import read_cinemas
    from recommender.io.text import listing, plural, shown_cell

    films = read_slate(args.slate)
    # the header it needs, not the whole cinema table's (city, region and seats go unread)
    cinemas = read_cinemas(args.screens_per_cinema, header="cinema_id,screens") \
        if args.screens_per_cinema else None
    if cinemas is not None:  # too large a slate: said before the model is read (plan_slate too)
        check_size(len(cinemas), len(films), max_cells_from_env())
    model = answer_model(args)
    need_cinemas(model)  # before a table is asked for that the model could not use
    if cinemas is None:  # the model's table, as POST /distribution/slate without cinemas
        cinemas = _cinemas(model, args.model, None)
        if cinemas is None:
            raise InvalidParameterError(
                "--slate needs --screens-per-cinema FILE (cinema_id,screens): the model has "
                f"no cinema table (a cinemas.csv in the model folder or its training data, or "
                f"{CINEMAS_ENV})")
        not_an_input(args.out, cinemas.source)  # the training data's table, read in place
    else:  # each sent cinema's city from the model's table, as the service gives it
        cinemas = cinemas.with_cities(_cities(model, args.model, "cinema"))
    slate_films_known(model, args.slate, films)
    said = show_progress()  # one solve, silent for long (400 films x 1,667 cinemas: 25 s)
    if said:
        print(f"sharing {plural(int(cinemas.screens.sum()), 'screen', sep=',')} of "
              f"{plural(len(cinemas), 'cinema', sep=',')} among "
              f"{plural(len(films), 'film', sep=',')} ...", file=sys.stderr, flush=True)
    try:
        body = plan_slate(model, films, cinemas, say=_stderr_line if said else None)
    except InfeasibleSlateError as e:  # named the files and films, as other slate errors do
        if e.bound is None:
            raise
        named = listing(held(films, e.bound, lambda i, n: f"film {films[i].film_id}: {n} on "
                                                     f"line {films[i].line}"), 5)
        raise DataError(args.slate, f"{e} in {cinemas.source} ({e.bound}: {named})") from None
    from recommender.cli.printing import export_source, horizon_span, model_version_said

    no_forecast(model, body["horizon"], "each cinema's screens are shared equally among the "
                 "films (within their bounds)")
    if args.out:
        _write_allocation(args.out, body, model, args.slate, cinemas.source)
    if args.json:
        _print_json(body, model)  # the body's model said after it, as every --json's
        if args.out:  # stdout is the body: the file, like plan --json's, is said on stderr
            print(f"allocation written to {args.out} {export_source(model)}", file=sys.stderr)
        return 0
    if not args.out:  # an export names its source once, in its "written to" line (as
        model_version_said(model)  # cold-start --out's): not the table's note beside it
    shared = f"{plural(body['screens'], 'screen', sep=',')} of " \
        f"{plural(body['cinemas'], 'cinema', sep=',')} shared"
    if body["shared_by"] == "equally":  # "by expected new viewers" read where all were 0
        print(f"{shared} equally among {plural(len(films), 'film')} within their bounds (no "
              "cinema has any expected new viewer to share them by; total deviation from the "
              "targets, each cinema's screens in equal shares with a film its max_screens "
              f"holds back scaled down: {body['objective']:.3f} screens)")
    else:
        print(f"{shared} among {plural(len(films), 'film')} by expected new viewers (total "
              "deviation from the targets, each cinema's screens in proportion to demand with "
              "a film held to a bound scaled to it, a hidden cinema's by the pool of hidden "
              f"cinemas: {body['objective']:.3f} screens)")
    titles = model.catalog.titles[model.films.to_index([f["film_id"] for f in body["films"]])]
    print_table(["film_id", "title", "min_screens", "max_screens", "screens", "expected_new"], [
        [f["film_id"], str(t), f"{f['min_screens']:,}",
         "-" if f["max_screens"] is None else f"{f['max_screens']:,}", f"{f['screens']:,}",
         # the body's 3 decimals, as the allocation's rows and the places' table
         f"{f['expected_new']:.3f}"] for f, t in zip(body["films"], titles, strict=True)],
        films=True)
    hidden = max((f["expected_new_hidden_cinemas"] for f in body["films"]), default=0)
    print("min_screens, max_screens: the slate's bounds, over all cinemas ('-': no maximum); "
          "screens: over all cinemas; expected_new: users expected to watch the film within "
          f"{horizon_span(body.get('horizon'))}, over the cinemas whose figures are shown "
          "(users)"
          + (f"; not over {plural(hidden, 'cinema')} whose figures the minimum cell of "
             f"{plural(body['min_cell'], 'user')} hides (expected_new_hidden_cinemas)"
             if hidden else ""))
    for f in body["films"]:
        if f["note"]:  # nothing fitted: its demand follows user counts
            print(f"warning: film {shown_cell(f['film_id'])}: {f['note']}", file=sys.stderr)
    lost = body["cinemas_without_users"]
    if lost:  # quoted, as ' MSP-01' with its space, and the id users spell it where near
        near = body["near_misses"]
        # an id in another Unicode form prints as the users' own: the note says which form
        shown = ", ".join(shown_cell(repr(c)) + (
            f" (users name {shown_cell(repr(near[c][0]))}"
            + form_note(c, near[c][0]).replace("the id given", "this one") + ")"
            if c in near else "") for c in lost[:10]) + (
            f" and {len(lost) - 10:,} more" if len(lost) > 10 else "")
        one = len(lost) == 1
        print(f"note: {plural(len(lost), 'cinema', sep=',')} of {cinemas.source} "
              f"{'is' if one else 'are'} named by no user ({'its' if one else 'their'} screens "
              f"are shared equally; check the {'id' if one else 'ids'}): {shown}")
    if args.out:
        print(f"allocation written to {args.out} {export_source(model)}")
    return 0


def add_distribution_command(add: Add) -> None:
    """Declare ``distribution`` on the parser (``add`` makes one sub-command)."""
    from recommender.io.places import PLACE_ATTRIBUTES

    s = add("distribution", cmd_distribution,
            "a film's expected demand by place (region, city, cinema, zip_zone) and a screen "
            "allocation; or a slate's screens per cinema")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("film_id", nargs="?", help="the film (omit with --like/--genre or --slate)")
    s.add_argument("--by", help=f"place attribute: one of {', '.join(PLACE_ATTRIBUTES)} "
                                "(default region)")
    s.add_argument("--screens", help="screens (or showtimes) to share out by expected demand: "
                                     "a whole number (1.0 counts as 1)")
    s.add_argument("--screens-by", dest="screens_by", metavar="total|new",
                   help="what --screens follow: total (expected_total, the default; for a film "
                        "in its run past viewing dominates it) or new (expected_new, the film's "
                        "new audience)")
    s.add_argument("--cinemas", help="cinemas.csv capping --screens when --by cinema, city or "
                                     "region, and giving each cinema's city with --by cinema "
                                     "(default: "
                                     "$RECOMMENDER_CINEMAS, else the model folder's, else the "
                                     "training data's)")
    s.add_argument("--like", action="extend", nargs="+", metavar="FILM_ID[=WEIGHT]",
                   help="a new film: films like it, each with an optional weight (default 1; "
                        "repeatable)")
    s.add_argument("--genre", "--genres", action="extend", nargs="+", metavar="GENRE",
                   help="a new film: its genres (repeatable)")
    s.add_argument("--slate", help="SLATE.csv: film_id[,min_screens,max_screens]")
    s.add_argument("--screens-per-cinema", dest="screens_per_cinema",
                   help="cinema_id,screens CSV (a cinemas.csv will do); with --slate (default: "
                        "$RECOMMENDER_CINEMAS, else the model folder's cinema table, else the "
                        "training data's)")
    s.add_argument("--out", help="with --slate: write the allocation to this .csv, or .parquet "
                                 "(its schema metadata 'recommender' holds the model version "
                                 "and what cut it)")
    s.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")


def _write_allocation(path: str, body: dict[str, Any], model: Any, slate: str,
                      cinemas: str) -> None:
    """A slate's allocation as CSV (ids neutralised against spreadsheet formulas), or as
    Parquet whose schema metadata ``recommender`` says where it came from (the model version,
    when, the slate and cinema files, the screens, the horizon and the units), as the
    audience exports do, and whose columns' metadata ``units`` say what each counts. Beside
    ``cinema_id,film_id,screens,expected_new`` (the columns it always had), each row's
    ``city`` (the JSON row's), the film's ``title`` and ``horizon_days``, the days
    ``expected_new`` counts within (empty without a horizon in days): a CSV row has no other
    place to say them."""
    from recommender.io.atomic import atomic_file

    rows = body["allocation"]
    titles = {f["film_id"]: f["title"] for f in body["films"]}
    days = (body.get("horizon") or {}).get("days")
    days = None if days is None else float(days)
    if path.lower().endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        from recommender.query.export import context_metadata, export_context

        context = export_context(model, slate=slate, cinemas=cinemas, screens=body["screens"],
                                 min_cell=body["min_cell"])
        context.update(horizon=body["horizon"], units=body["units"])
        units = {**body["units"], "horizon_days": "days: the calibration horizon "
                 "expected_new counts within (null: a horizon not in days)"}

        def field(name: str, kind: Any) -> Any:
            said = units.get(name)
            return pa.field(name, kind, metadata={"units": said} if said else None)
        table = pa.table({
            "cinema_id": pa.array([r["cinema_id"] for r in rows], pa.string()),
            "film_id": pa.array([r["film_id"] for r in rows], pa.string()),
            "screens": pa.array([r["screens"] for r in rows], pa.int64()),
            "expected_new": pa.array([r["expected_new"] for r in rows], pa.float64()),
            "city": pa.array([r["city"] for r in rows], pa.string()),
            "title": pa.array([titles[r["film_id"]] for r in rows], pa.string()),
            "horizon_days": pa.array([days] * len(rows), pa.float64())},
            schema=pa.schema([field("cinema_id", pa.string()), field("film_id", pa.string()),
                              field("screens", pa.int64()), field("expected_new", pa.float64()),
                              field("city", pa.string()), field("title", pa.string()),
                              field("horizon_days", pa.float64())]))
        with atomic_file(path) as tmp:
            pq.write_table(table.replace_schema_metadata(context_metadata(context)), tmp)
        return
    from recommender.io.csvsafe import csv_writer, safe_row

    with atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv_writer(fh)
        w.writerow(["cinema_id", "film_id", "screens", "expected_new", "city", "title",
                    "horizon_days"])
        for r in rows:
            w.writerow(safe_row([r["cinema_id"], r["film_id"], r["screens"],
                                 "" if r["expected_new"] is None else r["expected_new"],
                                 r["city"], titles[r["film_id"]], days]))
