"""The CLI commands for the HTTP service's other answers, each over the route's library call.

``--json`` prints the body of the matching endpoint (``search``: ``GET /films``, ``summary``:
``GET /films/{id}/audience/summary``, ``film``: ``GET /films/{id}``, ``similar``:
``GET /films/{id}/similar``, ``lookalike``: ``POST /audiences/lookalike``, ``cold-start``:
``POST /audiences/cold-start``, with ``--summary`` ``POST /audiences/cold-start/summary``,
``segments``: ``GET /segments``); without it, the same answer as tables.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from recommender.cli.answer_store import STORE_HELP
from recommender.cli.commands import (
    _offset,
    _positive_int,
    _pseudonymous,
    add_pseudonym_options,
    answer_model,
)
from recommender.cli.id_column import add_id_column
from recommender.cli.info import cmd_info
from recommender.cli.printing import (
    COLD_START_SCORE,
    LOOKALIKE_SCORE,
    SEGMENT_SHARE,
    film_named,
    hidden_text,
    json_printed,
    kinds_line,
    liked_text,
    model_version_said,
    note,
    note_repeated,
    print_body,
    print_table,
    rank_legend,
    search_header,
    split_table,
)
from recommender.cli.summary import cmd_summary
from recommender.cli.user_tables import cmd_attributes, cmd_segments
from recommender.io.text import plural, shown_cell
from recommender.query.page_size import SERVED_MAX_SEARCH_LIMIT
from recommender.query.search_modes import MATCH_HELP, MATCH_MODES

if TYPE_CHECKING:
    from recommender.model.model import Model
    from recommender.query.audience import AudiencePage

# the service's default (service/settings.py): the longest seed list
MAX_SEED_USERS = 100_000

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def _film_table(films: list[dict[str, Any]], ranked: bool, match: bool = False) -> None:
    """Films as a table (``match``: with how each matched the search, in words)."""
    from recommender.query.title_match import match_text

    head = ["rank", "film_id", "score"] if ranked else ["film_id", "viewers"]
    print_table(head + ["title", "year", "genres"] + (["match"] if match else []), [
        ([f["rank"], f["film_id"], f"{f['score']:.4f}"] if ranked
         else [f["film_id"], f["viewers"]])
        + [f["title"], f["year"] or "", ", ".join(f["genres"])]
        + ([match_text(f["match"])] if match else []) for f in films], films=True)


def _page_table(model: Model, page: AudiencePage, score: str) -> None:
    """The page's users as ``audience`` prints them (after its note, when the ranking is in
    no meaningful order): each column's text is the CSV's (``render.column_text``: the same
    digits, an empty tier beyond the last ring); under it, the legend of ``score``."""
    if page.note:
        print(f"warning: {page.note}")
    from recommender.io.columns import PERCENTILE, RANK, SCORE, SEGMENT, TIER, USER_ID
    from recommender.query.catalog import segment_labels
    from recommender.query.render import SEGMENT_LABEL, column_text

    labels = segment_labels(model)
    names = [RANK, USER_ID, SCORE, PERCENTILE, TIER, SEGMENT]
    columns = [column_text(n, getattr(page, {USER_ID: "user_ids"}.get(n, n))) for n in names]
    columns.append([labels[s] if s < len(labels) else "" for s in page.segment.tolist()])
    print_table(names + [SEGMENT_LABEL], [list(row) for row in zip(*columns, strict=True)])
    rank_legend(score)


def cmd_search(args: argparse.Namespace) -> int:
    from recommender.query.catalog import search_body, with_year
    from recommender.query.page_size import check_search_limit
    from recommender.query.search_kinds import no_letters, no_letters_said

    check_search_limit(args.limit)  # GET /films's bound (RECOMMENDER_MAX_SEARCH_LIMIT), its message
    model = answer_model(args)
    body = search_body(model, args.query, args.limit, args.offset, args.genre,
                       match=args.match)
    total, rows, genre = body["total"], body["films"], body["genre"]  # as the catalog writes it
    if json_printed(args.json, body, model):
        return 0
    print(search_header(total, args.query, genre, len(rows), args.offset))
    if len(kinds := body["totals_by_kind"]) > 1 or args.match != "any":  # how they matched
        print(kinds_line(kinds, args.match))
    if not total and args.query.strip() and not (model.catalog.titles != "").any():
        # "0 films match 'Heat'" on a log without a catalog (FilmTrust) did not say that no
        # title could match
        from recommender.cli.catalog_ids import no_titles

        print(no_titles(model))
    elif not total and no_letters(args.query):  # "0 films match '🍿'" said no why
        print(f"{no_letters_said(args.query)} (nor is it a film's id)")
    if rows:
        _film_table(rows, ranked=False, match=bool(args.query.strip()))
        print(f"viewers: {_viewers_source(model)}")
    if body["not_in_model"]:
        print("not in the model (in the training catalog, no interaction in the log): " + ", ".join(
            shown_cell(f"{f['film_id']} {with_year(f['title'], f['year'])}")
            for f in body["not_in_model"]))
    return 0


def _viewers_source(model: Model) -> str:
    """What a film's ``viewers`` counts (``search``, ``film``): its training watches, and
    the campaign store's events folded in, when there are any."""
    applied = int(model.meta.get("overlay", {}).get("events_applied", 0))
    since = f" or in the store's {plural(applied, 'event', sep=',')} since" if applied else ""
    return f"users who watched it in the training data{since}"


def cmd_film(args: argparse.Namespace) -> int:
    from recommender.cli.checks import film_argument
    from recommender.query.catalog import film_details

    model = answer_model(args)
    film_argument(model, args.film_id)
    raw = film_details(model, args.film_id)
    shares = SEGMENT_SHARE[:-1]  # FilmDetail's SegmentShare: no size
    body = {**raw, "viewer_segments": [{k: r[k] for k in shares}
                                       for r in raw["viewer_segments"]]}
    if json_printed(args.json, body, model):
        return 0
    # a year the title already carries ("Toy Story (1995)") is not said twice, and a film
    # without a title is not named by its id twice ("1 [film 1]"): the audience command's rule
    print(f"{film_named(model, args.film_id)}: "
          f"{shown_cell(', '.join(body['genres'])) or 'no genre'}")
    print_table(["fact", "value", "unit / source"], [
        ["viewers", f"{body['viewers']:,}", _viewers_source(model)],
        ["viewer share", f"{body['viewer_share']:.4f}", "share of all users (0-1)"],
        ["popularity rank", f"{body['popularity_rank']:,} of {body['catalog_films']:,}",
         "1 = the most watched film of the catalog"],
        ["candidates", f"{body['candidates']:,}", "users its audience ranks (not seen it)"]])
    print("\nIts viewers' segments (share of its viewers against all users)")
    split_table(body["viewer_segments"], "segment")
    # film_details leaves small segments out without saying so (the body has no field for
    # it): their count is the model's segments less the shown ones, their viewers the rest
    import numpy as np

    from recommender.query.privacy import min_cell_from_env

    segments = len(np.unique(np.asarray(model.segments.labels)))
    hidden = segments - len(body["viewer_segments"])
    if hidden:
        rest = body["viewers"] - sum(r["count"] for r in body["viewer_segments"])
        print(hidden_text(hidden, "segments", rest, "viewers", min_cell_from_env(),
                          outside=True))
    print("share: the segment's share of its viewers (0-1); base_share: its share of all users "
          "(0-1); lift = share / base_share")
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from recommender.cli.checks import film_argument
    from recommender.query.audience import check_served_k
    from recommender.query.recommend import similar_films

    check_served_k(args.k, 0)
    model = answer_model(args)  # the film vectors as trained; its note names the events too
    film_argument(model, args.film_id)
    body = similar_films(model, args.film_id, args.k).similar_json(model, args.film_id)
    if json_printed(args.json, body, model):
        return 0
    print(f"Films similar to {film_named(model, args.film_id)}")
    if body["note"]:
        print(f"warning: {body['note']}")
    _film_table(body["films"], ranked=True)
    if body["films"]:
        print(f"score: the cosine similarity of the film's taste vector to film "
              f"{shown_cell(args.film_id)}'s (-1 to 1, 1 = the same taste)")
    return 0


def cmd_lookalike(args: argparse.Namespace) -> int:
    from recommender.cli.checks import every_id_unknown, unknown_seeds_said
    from recommender.cli.id_column import id_column
    from recommender.errors import InvalidParameterError
    from recommender.io.id_lists import read_seed_lines
    from recommender.query.audience import check_served_k, lookalikes
    from recommender.query.seed_ids import stripped_note, unknown_fields

    check_served_k(args.k, args.offset)
    column = id_column(args, "seeds")
    model = answer_model(args)
    # a header line is skipped, problems name the file; each id as HTTP is sent it (the
    # library reads a line as written, else stripped, as it reads HTTP's and the Studio's)
    lines = read_seed_lines(args.seeds, model.users, said=note, column=column)
    seeds = [s for _, s in lines]
    if len(seeds) > MAX_SEED_USERS:
        raise InvalidParameterError(f"seed_user_ids may hold at most {MAX_SEED_USERS} ids, "
                                    f"got {len(seeds)}")
    with every_id_unknown(args.seeds, "user"):
        page, unknown = lookalikes(model, seeds, args.k, args.offset, tier=args.tier,
                                   where=lambda i: f"{args.seeds}: line {lines[i][0]}")
    if json_printed(args.json, {**page.to_json(), **unknown_fields(model.users, unknown)},
                    model):
        return 0
    stripped = (page.extra or {}).get("stripped_seed_ids", [])
    if stripped:
        note(f"{args.seeds}: {stripped_note(stripped)}")
    skipped = set(unknown)
    n_seeds = len({s.strip() if s in stripped else s for s in seeds if s not in skipped})
    ranked = plural(model.n_users - n_seeds, 'candidate', sep=',')
    used = (page.extra or {}).get("seeds_used", n_seeds)  # blank seeds are said in the note
    taste = f" (the taste of {used:,}: the others have nothing fitted)" if used < n_seeds else ""
    print(f"Lookalikes of {plural(n_seeds, 'seed user', sep=',')}{taste}; ranking {ranked}; "
          f"{page.ring_text()}{page.shown_text()}")
    unknown_seeds_said(unknown, lines, model.users)  # on stderr, as cold-start's skipped films
    if len(page.user_idx):
        _page_table(model, page, LOOKALIKE_SCORE)
    elif page.note:  # an empty page's ranking is still in no meaningful order
        print(f"warning: {page.note}")
    return 0


def say_skipped(model: Any, unknown: list[str]) -> None:
    """Each comparable film the model does not know, skipped (as lookalike skips unknown
    seeds): said on stderr, with the titles it matches (``hints.skipped_hints``)."""
    from recommender.query.hints import skipped_hints

    for said in skipped_hints(model, unknown, len(unknown)):
        print(f"skipped {said}", file=sys.stderr)


def weighted_likes(model: Any, likes: list[str] | None) -> list[str] | dict[str, float]:
    """``--like`` values: ids, or ``FILM_ID=WEIGHT`` as HTTP's ``{"film_id": weight}`` (an id held
    as written, ``=`` and all, stays an id); weight 1 unless given (a bare id beside ``ID=W``
    takes W; a repeat is noted); a weight not a positive number, or two for one film, refused."""
    from recommender.campaigns.slate import DECIMAL  # decimal digits: float() took "1_0", "٣"
    from recommender.errors import InvalidParameterError

    likes = likes or []
    known = model.films.to_index(likes, strict=False) >= 0 if likes else []
    pairs: dict[str, float] = {}
    given: dict[str, float] = {}  # the weights written out (a bare id takes a written one)
    weighted = False
    for token, is_id in zip(likes, known, strict=True):
        film, sep, raw = token.rpartition("=")
        if is_id or not sep:
            pairs.setdefault(token, 1.0)
            continue
        if not DECIMAL.fullmatch(raw.strip()):
            raise InvalidParameterError(f"--like {token!r}: the weight after '=' must be a "
                                        "number")
        weight = float(raw)
        if not (weight > 0 and weight < float("inf")):
            raise InvalidParameterError(f"--like {token!r}: the weight must be a positive "
                                        "number")
        if film in given and given[film] != weight:  # the last one silently won
            raise InvalidParameterError(f"--like gives film {film!r} two weights "
                                        f"({given[film]:g} and {weight:g}); give it once")
        pairs[film] = given[film] = weight
        weighted = True
    note_repeated([t if i or "=" not in t else t.rpartition("=")[0]
                   for t, i in zip(likes, known, strict=True)], pairs)
    return pairs if weighted else list(pairs)


def cmd_cold_start(args: argparse.Namespace) -> int:
    from recommender.cli.checks import comparables_titled_said
    from recommender.cli.cold_start_export import check_export_options, exported
    from recommender.query.audience import check_served_k, cold_start_page
    from recommender.query.catalog import resolve_genres
    from recommender.query.commas import refuse_comma_lists
    from recommender.query.comparable_limit import check_comparable_count
    from recommender.query.hints import skipped_hints, title_hints

    if args.summary:  # POST /audiences/cold-start/summary: no page, no export
        from recommender.cli.cold_summary import check_summary_options
        check_summary_options(args)  # before the model is read
    args.k = 100 if args.k is None else args.k
    check_served_k(args.k, args.offset)
    check_export_options(args)  # before the model is read
    model = _pseudonymous(answer_model(args), args)  # as audience's: user ids as p-<HMAC>
    refuse_comma_lists(model, args.like, args.genre)  # "--like 1,2" was one unknown film
    likes = weighted_likes(model, args.like)
    check_comparable_count(likes)  # RECOMMENDER_MAX_COMPARABLE_FILMS, as the server's
    comparables_titled_said(model, list(likes))  # "--like 300": Quiz Show, not 300 (2007)
    if args.summary:
        from recommender.cli.cold_summary import cold_summary
        return cold_summary(args, model, likes)
    with title_hints(model):  # every --like film unknown: the titles the one given matches
        page, unknown = cold_start_page(model, likes, args.genre or [], args.k,
                                        args.offset, segment=args.segment, tier=args.tier)
    say_skipped(model, unknown)
    if args.json:
        print_body({**page.to_json(), "unknown_film_ids": unknown,
                    "unknown_film_hints": skipped_hints(model, unknown)}, model)
        return 0
    genres = list(dict.fromkeys(resolve_genres(model, args.genre or [])))  # as the catalog's
    # an export names its source in its own note (as audience --csv's): one source note, not
    # the table's "answer from model" beside it
    if exported(args, model, page, likes, unknown, genres):
        return 0
    model_version_said(model)
    like = shown_cell(liked_text(likes, unknown, genres))
    print(f"Cold-start audience of a film like {like}; ranking {model.n_users:,} candidates; "
          f"{page.ring_text()}{page.shown_text(args.segment is not None)}")
    if alone := (page.extra or {}).get("genres_only"):  # the JSON's, in its words
        print(f"note: {alone}")
    if len(page.user_idx):
        _page_table(model, page, COLD_START_SCORE)
    elif page.note:  # an empty page's ranking is still in no meaningful order
        print(f"warning: {page.note}")
    return 0


def add_answer_commands(add: Add) -> None:
    """Declare the commands above on the parser (``add`` makes one sub-command)."""
    json_help = "print the HTTP endpoint's JSON body"

    s = add("search", cmd_search,
            "search the catalog by title (typos, accents, articles and the year forgiven) "
            "or exact film id, best match first, saying how each matched")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("query", help="a title or part of one, any case, a year may follow "
                                 "(\"godfather 1972\"); empty = all")
    s.add_argument("--limit", "--k", "-k", dest="limit", type=_positive_int, default=20,
                   help="page size (at most RECOMMENDER_MAX_SEARCH_LIMIT, "
                        f"{SERVED_MAX_SEARCH_LIMIT} unset)")
    s.add_argument("--offset", type=_offset, default=0)
    s.add_argument("--genre", help="only films of this genre (any case; spaces, hyphens "
                                   "and punctuation ignored where that names one genre)")
    s.add_argument("--match", choices=MATCH_MODES, default="any", help=MATCH_HELP)
    s.add_argument("--json", action="store_true", help=json_help)

    s = add("summary", cmd_summary,
            "print a film's audience tiers, segment split and demographic portrait")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("film_id")
    s.add_argument("--include-seen", action="store_true",
                   help="keep users who already watched the film")
    s.add_argument("--tier", metavar="core|extended|broad|all",
                   help="whom the portrait pictures: one ring, adjacent rings joined by ',' or "
                        "all (the whole ranking); default core + extended")
    s.add_argument("--json", action="store_true", help=json_help)

    s = add("film", cmd_film, "print a film's catalog entry and its viewers' statistics")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("film_id")
    s.add_argument("--json", action="store_true", help=json_help)

    s = add("similar", cmd_similar, "print the films most comparable to a film")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("film_id")
    s.add_argument("--k", "-k", type=_positive_int, default=10)
    s.add_argument("--json", action="store_true", help=json_help)

    s = add("lookalike", cmd_lookalike, "print the users most like a seed list (seeds excluded)")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("--seeds", required=True, help="file with one seed user id per line, or a "
                                                  "CSV export whose header names its id column")
    add_id_column(s, "--seeds")
    s.add_argument("--k", "-k", type=_positive_int, default=100)
    s.add_argument("--offset", type=_offset, default=0)
    s.add_argument("--tier", metavar="core|extended|broad",
                   help="only this ring (any case); the list starts at the ring's first user")
    s.add_argument("--json", action="store_true", help=json_help)

    s = add("attributes", cmd_attributes,
            "print the user attributes audiences can be filtered by, and their values")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("--json", action="store_true", help=json_help)

    s = add("info", cmd_info, "print the model's version, parameters, data and tuning "
                              "(GET /health's model and tuning)")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("--json", action="store_true",
                   help="print /health's model and tuning as JSON")
    s.add_argument("--versions", action="store_true",
                   help="list the model folder's kept versions instead (each with its model "
                        "version, creation time and whether it is current or damaged)")

    s = add("cold-start", cmd_cold_start,
            "print the audience of a film with no history, from comparable films and genres")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("--like", action="extend", nargs="+", metavar="FILM_ID[=WEIGHT]",
                   help="films like the new one, each with an optional weight (default 1; "
                        "repeatable; unknown ids are skipped and listed, an error only when "
                        "no film or genre is left)")
    s.add_argument("--genre", "--genres", action="extend", nargs="+", metavar="GENRE",
                   help="the new film's genres (repeatable; any case, spaces, hyphens and "
                        "punctuation ignored where that names one genre)")
    s.add_argument("--k", "-k", type=_positive_int, help="page size (default 100)")
    s.add_argument("--offset", type=_offset, default=0)
    s.add_argument("--segment", metavar="N|LABEL",
                   help="only users of this segment: its number or its label (any case; part "
                        "of a label if it names one segment; a 'Fans of' label's film title as "
                        "search takes it; see `segments`)")
    s.add_argument("--tier", metavar="core|extended|broad",
                   help="only this ring (any case); the list starts at the ring's first user; "
                        "with --summary, whom the portrait pictures, as summary's --tier")
    s.add_argument("--summary", action="store_true",
                   help="print the new film's audience summary instead (tiers with expected "
                        "conversion from its comparables' calibrations, segments, portrait)")
    output = s.add_mutually_exclusive_group()  # one output: none is ignored
    output.add_argument("--json", action="store_true", help=json_help)
    output.add_argument("--csv", action="store_true",
                        help="print the page as CSV (audience --csv's columns, film_id empty)")
    output.add_argument("--out", metavar="PATH", help="write the page to PATH.csv or "
                                                      "PATH.parquet (its context in the "
                                                      "Parquet metadata)")
    s.add_argument("--with", dest="with_", metavar="COLUMNS", action="append",
                   help="with --csv or --out: extra columns, comma-separated or repeated: "
                        "segment_label or user attributes (title is empty: no film)")
    add_pseudonym_options(s)  # as audience's: POST /audiences/cold-start.csv?pseudonymize

    s = add("segments", cmd_segments, "print the model's audience segments")
    s.add_argument("model")
    s.add_argument("--store", help=STORE_HELP)
    s.add_argument("--json", action="store_true", help=json_help)
