"""Catalog questions: film entries and search, a film's viewer statistics, the segments.

Also the two rules every film row and every segment row share: how a film's catalog fields
are shown (``film_fields``) and what a segment is called (``segment_labels``).
What ``/health`` and ``info`` say of the model is ``model_facts``'s (``model_info``,
``store_events``: re-exported here, where their callers import them).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownGenreError
from recommender.io.text import did_you_mean
from recommender.model.model import Model
from recommender.model.segments import MIN_GENRE_SHARE, lift_table
from recommender.query.id_titles import film_names
from recommender.query.model_facts import (  # noqa: F401 (re-exported: imported from here)
    blank_ratings,
    listed_segments,
    model_info,
    store_events,
    time_span,
)
from recommender.query.privacy import few, min_cell_from_env, table_suppression
from recommender.query.search_kinds import (
    no_letters,
    no_letters_said,
    substring_titles,
    totals_by_kind,
)
from recommender.query.search_modes import MATCH_MODES, MatchMode
from recommender.query.title_match import match_reasons
from recommender.query.titles import ID_EXACT, ID_MATCH, ranked, title_index

FilmFields = tuple[str, str, int | None, list[str]]


def film_fields(model: Model, films: NDArray[np.integer]) -> list[FilmFields]:
    """(film_id, title, year, genres) of each film index in ``films``, JSON-ready: the year
    is None when unknown (0), the genres a list (the catalog's ``|``-joined string split)."""
    ids, titles = model.film_labels
    cat = model.catalog
    return [(ids[f], titles[f], int(year) or None, [g for g in str(genres).split("|") if g])
            for f, year, genres in zip(films.tolist(), cat.years[films].tolist(),
                                       cat.genres[films].tolist(), strict=True)]


def with_year(title: str, year: int | None) -> str:
    """A title as a person reads it: ``Heat (1995)``; the year left out when unknown (0 or
    None) or already in the title (``Blade Runner 2049``, ``Heat (1995)``)."""
    return title + (f" ({year})" if year and str(year) not in title else "")


def film_rows(model: Model, films: NDArray[np.integer], counts: NDArray[np.int64]
              ) -> list[dict[str, Any]]:
    """The catalog entry of each film index in ``films``: id, title, year, genres, and its
    number of viewers (``counts``: ``model.film_counts()``)."""
    return [{"film_id": film_id, "title": title, "year": year, "genres": genres,
             "viewers": int(counts[f])}
            for f, (film_id, title, year, genres) in zip(
                films.tolist(), film_fields(model, films), strict=True)]


def film_row(model: Model, f: int, counts: NDArray[np.int64] | None = None) -> dict[str, Any]:
    """The catalog entry of film index ``f`` (see ``film_rows``)."""
    counts = model.film_counts() if counts is None else counts
    return film_rows(model, np.array([f], np.int64), counts)[0]


def search_films(
    model: Model,
    query: str = "",
    limit: int = 20,
    offset: int = 0,
    genre: str | None = None,
    titles_lower: list[str] | None = None,
    counts: NDArray[np.int64] | None = None,
    match: MatchMode = "any",
) -> tuple[int, list[dict[str, Any]]]:
    """Catalog search by title (``recommender.query.titles``: normalised titles, alternative
    titles, the year, typo tolerance) or exact film id (surrounding blanks, Unicode form,
    leading zeros and a float's ".0" aside: ``IdMap.same_but_zeros``), best match first,
    then most watched, then film order. An empty query lists every film, most watched
    first. ``match`` "substring" keeps only the titles holding the query
    (``search_kinds.substring_titles``). Returns (total, page): each row a film's entry
    (``film_rows``) and ``match``, how it matched the query
    (``title_match.match_reasons``). ``titles_lower`` is no longer used (the title index is
    kept per model)."""
    total, rows, _ = search_page(model, query, limit, offset, genre, counts, match)
    return total, rows


def search_page(model: Model, query: str, limit: int, offset: int, genre: str | None,
                counts: NDArray[np.int64] | None = None, match: MatchMode = "any"
                ) -> tuple[int, list[dict[str, Any]], dict[str, int]]:
    """``search_films``'s (total, page), and its hits counted by kind of match
    (``search_kinds.totals_by_kind``)."""
    if limit < 1:
        raise InvalidParameterError(f"limit must be >= 1, got {limit}", param="limit")
    if offset < 0:
        raise InvalidParameterError(f"offset must be >= 0, got {offset}", param="offset")
    if match not in MATCH_MODES:
        raise InvalidParameterError(f"match must be one of {', '.join(MATCH_MODES)}, got "
                                    f"{match!r}", param="match")
    counts = model.film_counts() if counts is None else counts
    n = model.n_films
    scores = levels = np.ones(n, np.float64)
    by_id: set[int] = set()
    exact: int | None = None
    index = title_index(model) if query.strip() else None
    if index is not None:
        scores, levels = index.scored(query)
        if match == "substring" and no_letters(query):  # "0 films match '🍿'" said no why
            raise InvalidParameterError(no_letters_said(query) + " (a substring search lists "
                                        "titles alone; match any also finds a film by its id)",
                                        param="query")
        if match == "substring":  # a title holding the query, nothing else (no id either)
            scores = np.where(substring_titles(index, query), scores, 0.0)
        else:
            # an id pasted with a space, typed in another Unicode form (an NFD id typed
            # NFC), with more or fewer leading zeros or as a spreadsheet's float ("2571.0"):
            # the forms an unknown film argument's "did you mean" names
            # (``IdMap.same_but_zeros``)
            ids = [g for g in (query, query.strip()) if g in model.films]
            # the id pasted, as sent (else stripped), first: byte for byte, above its twins
            exact = model.film_index(ids[0]) if ids else None
            for given in dict.fromkeys(ids + model.films.same_but_zeros(query)):
                if given in model.films:
                    i = model.film_index(given)
                    level = ID_EXACT if i == exact else ID_MATCH
                    if scores[i] < level:
                        by_id.add(i)
                        scores[i] = level
    mask = None if genre is None else genre_members(model, resolve_genres(model, [genre]))[0]
    hits = ranked(scores, counts, mask)
    page = hits[offset:offset + limit]
    rows = film_rows(model, page, counts)
    for row, reason in zip(rows, match_reasons(index, query, page, levels[page], by_id, exact),
                           strict=True):
        row["match"] = reason
    return len(hits), rows, totals_by_kind(index, query, hits, levels, by_id)


def search_body(model: Model, query: str, limit: int, offset: int, genre: str | None,
                counts: NDArray[np.int64] | None = None, match: MatchMode = "any"
                ) -> dict[str, Any]:
    """``GET /films``'s body (and ``search --json``'s): ``search_page``'s page, the mode
    ``match`` and the hits by kind of match (``totals_by_kind``), and in
    ``not_in_model`` the films of the training catalog without interactions that the query
    names (``hints.left_out_matches``: search cannot list them; none with a genre, which the
    model does not record for them)."""
    from recommender.query.hints import left_out_matches
    from recommender.query.limits import MAX_QUERY

    if len(query) > MAX_QUERY:  # the service's bound (its schema refuses it first)
        raise InvalidParameterError(f"query must be at most {MAX_QUERY:,} characters, got "
                                    f"{len(query):,}")
    total, rows, kinds = search_page(model, query, limit, offset, genre, counts, match)
    return {"query": query, "genre": genre_name(model, genre), "match": match, "total": total,
            "totals_by_kind": kinds, "offset": offset, "limit": limit, "films": rows,
            "not_in_model": [] if genre is not None else left_out_matches(model, query)}


#: what a genre name's loose reading drops (``genre_key``): ASCII whitespace and punctuation
#: (a set the schema's pattern lists as it is, ``service.schema_patterns.genre_pattern``)
GENRE_SEPARATORS = frozenset(
    [chr(c) for c in range(128) if chr(c).isspace()] + list(string.punctuation))


def genre_key(name: str) -> str:
    """A genre name as ``resolve_genres`` compares it loosely: lower case, without ASCII
    whitespace and punctuation (``GENRE_SEPARATORS``): "Sci-Fi", "sci fi", "SCIFI" -> "scifi".
    Lower case, not case folded: the schema's pattern matches a letter in either of its cases
    (``schema_patterns.any_case``), and folding reads "SS" as "ß" (a text it refused)."""
    return "".join(ch for ch in name.lower() if ch not in GENRE_SEPARATORS)


def resolve_genres(model: Model, genres: Sequence[str]) -> list[str]:
    """Each of ``genres`` as ``model``'s catalog writes it: the genre of that name as written,
    else in any case (whitespace around ignored), else the one genre with the same
    ``genre_key`` ("sci fi" is ``Sci-Fi``). ``UnknownGenreError`` names every name that matches
    none, and the model's genres; ``InvalidParameterError`` a name that is more than one
    genre's in any case (``Sci-Fi`` and ``Sci-fi``: "sci-fi" took the last, and "Sci-Fi"
    as written was read as ``Sci-fi``) or whose key is, and theirs."""
    known = model.catalog.genre_vocabulary()
    cased: dict[str, list[str]] = {}
    loose: dict[str, list[str]] = {}
    for g in known:
        cased.setdefault(g.lower(), []).append(g)
        loose.setdefault(genre_key(g), []).append(g)
    found: list[list[str]] = []
    for name in genres:
        given = name.strip()
        key = genre_key(name)
        found.append([given] if given in known else cased.get(given.lower())
                     or (loose.get(key, []) if key else []))
    unknown = [g for g, hits in zip(genres, found, strict=True) if not hits]
    if unknown:  # the nearest genre of each typo ("Sci-Fy"), as for tiers and attributes,
        # compared as the matcher reads them ("scify" is near "scifi", Sci-Fi's key)
        near = [(g, did_you_mean(g, known, genre_key).removeprefix(" (did you mean ")
                 .removesuffix("?)")) for g in dict.fromkeys(unknown)]
        said = [m if len(near) == 1 else f"{m} for {g!r}" for g, m in near if m]
        raise UnknownGenreError(unknown, known, f" (did you mean {', '.join(said)}?)" if said
                                else "")
    for name, hits in zip(genres, found, strict=True):
        if len(hits) > 1:
            raise InvalidParameterError(
                f"genre {name!r} matches {len(hits)} of this model's genres when case, spaces "
                f"and punctuation are ignored: {', '.join(hits)}; give one as it is written")
    return [hits[0] for hits in found]


def genre_name(model: Model, genre: str | None) -> str | None:
    """``genre`` as ``model``'s catalog writes it ("sci fi" -> "Sci-Fi"; ``resolve_genres``),
    the name an answer echoes; None stays None."""
    return None if genre is None else resolve_genres(model, [genre])[0]


def genre_members(model: Model, genres: Sequence[str]) -> list[NDArray[np.bool_]]:
    """For each of ``genres`` (names as ``model``'s catalog writes them: ``resolve_genres``'
    answer, resolved once by the caller), which of ``model``'s films have it."""
    split = [set(s.split("|")) for s in model.catalog.genres.tolist()]
    return [np.array([g in row for row in split], dtype=bool) for g in genres]


def film_details(model: Model, film_id: str, counts: NDArray[np.int64] | None = None,
                 min_cell: int | None = None) -> dict[str, Any]:
    """A catalog entry with its audience statistics: viewers (count, share of users,
    popularity rank among the catalog's ``catalog_films``), how many candidates its audience
    ranks, and its viewers' segments:
    a segment of fewer than ``min_cell`` viewers (default ``RECOMMENDER_MIN_CELL``), or whose
    size less its viewers leaves 1 to ``min_cell`` - 1 of its users who did not watch, is left
    out, with another (an empty one first, else the smallest) when it would be the only one,
    since the viewer count is published (``privacy.table_suppression``, as the summary's
    segment splits)."""
    f = model.film_index(film_id)
    counts = model.film_counts() if counts is None else counts
    row = film_row(model, f, counts)
    viewers = model.film_viewers(f)
    split = viewer_segments(model, viewers, min_cell_from_env() if min_cell is None
                            else min_cell)
    row.update({
        "viewer_share": round(len(viewers) / max(model.n_users, 1), 6),
        "popularity_rank": int(np.count_nonzero(counts > counts[f])) + 1,
        "catalog_films": model.n_films,
        "candidates": model.n_users - len(viewers),
        "viewer_segments": split,
        "also_titled": film_names(model, f)["also_titled"],  # the other films its id names
    })
    return row


def viewer_segments(model: Model, viewers: NDArray[np.integer], min_cell: int
                    ) -> list[dict[str, Any]]:
    """A film's ``viewers`` by segment as ``film_details`` shows them: the rows the minimum
    cell rule leaves (``audience_summary`` hides its own cells by them too). Fewer than
    ``min_cell`` viewers (or users who did not watch) in all, some but not none, show no row at
    all: the viewer count is published, so the other segments' zeros (or full counts) placed
    the few in one of the hidden rows (a film of 1 viewer listed 8 of 10 segments at 0)."""
    outside_all = len(model.segments.labels) - len(viewers)
    if 0 < len(viewers) < min_cell or 0 < outside_all < min_cell:
        return []
    split = segment_split(model, viewers)
    cells = np.array([r["count"] for r in split], np.int64).reshape(-1, 1)
    # a shown row gives its segment's size too (base_share, GET /segments): size less count
    # is the segment's users who did not watch, which must not be 1..min_cell-1 either (the
    # summary's and the portrait's rule)
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64),
                        minlength=model.segments.n)
    outside = sizes[[r["segment"] for r in split]].reshape(-1, 1) - cells
    hidden = table_suppression(cells, min_cell, last_is_row_sum=False,
                               also=few(outside, min_cell))[:, 0]
    return [r for r, h in zip(split, hidden.tolist(), strict=True) if not h]


# ------------------------------------------------------------------ segments


def name_plan_films(model: Model, plans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``plans`` (stored plans' list entries, ``CampaignStore.list_plans``), their ``titles``
    completed: a plan's titles are the ones its summary recorded (the catalog it was planned
    on; ``model`` may have another film under the same id); a film its summary recorded none
    for (a plan stored before summaries did) gets ``model``'s title ('' for a film the model
    does not know) and is listed in the plan's ``titles_from_model``. Changes the dicts in
    place; one id look-up for the whole page."""
    named = [[str(f) for f in p.get("films") or []] for p in plans]
    recorded = [dict(p.get("titles") or {}) for p in plans]
    every = [f for films, own in zip(named, recorded, strict=True) for f in films if f not in own]
    idx = model.films.to_index(every, strict=False) if every else np.zeros(0, np.int64)
    titles = model.film_labels[1]
    found = {f: (titles[i] if i >= 0 else "") for f, i in zip(every, idx.tolist(), strict=True)}
    for p, films, own in zip(plans, named, recorded, strict=True):
        p["titles"] = {f: own[f] if f in own else found[f] for f in films}
        p["titles_from_model"] = [f for f in films if f not in own]
    return plans


def segment_labels(model: Model) -> list[str]:
    """Each segment's label, by segment number ("Segment i" when segments.json has none).

    The one source of segment names: labels are chosen at training time
    (``model.segments.label_segments``: activity level, then distinguishing genres, unique)
    and stored in segments.json; every listing reads them here."""
    return [str(s.get("label", f"Segment {i}")) for i, s in enumerate(model.segments.info)]


def segment_split(model: Model, users: NDArray[np.integer]) -> list[dict[str, Any]]:
    """How ``users`` spread over the segments, against all users, with lift (largest first):
    count, share, base_share, lift, segment and label per segment."""
    names = segment_labels(model)
    rows = lift_table(np.asarray(model.segments.labels), np.asarray(users, np.int64))
    for r in rows:
        r["segment"] = int(r.pop("value"))
        r["label"] = names[r["segment"]] if r["segment"] < len(names) else ""
    return rows


def segments_table(model: Model) -> list[dict[str, Any]]:
    """The model's audience segments: id, label, size, share, activity (median distinct films
    per member, and ``heavy``, ``light`` or ``typical``; None for models trained before it
    was recorded), top genres, representative films. Sizes count the users served now (with
    users new from campaign events, ``serving.overlay``), as a summary's rows do: the sizes
    recorded at training beside those told how many new users each segment took in."""
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64), minlength=model.segments.n)
    return [{
        "segment": int(s.get("segment", i)),
        "label": label,
        "size": int(sizes[i]),
        "share": round(int(sizes[i]) / max(len(model.segments.labels), 1), 4),
        "films_per_user": (None if s.get("films_per_user") is None
                           else round(float(s["films_per_user"]), 1)),
        "activity": s.get("activity"),
        "top_genres": list(s.get("top_genres", [])),
        "representative_films": list(s.get("representative_films", [])),
    } for i, (s, label) in enumerate(zip(model.segments.info, segment_labels(model),
                                         strict=True))]


def segments_answer(model: Model, min_cell: int | None = None) -> dict[str, Any]:
    """``GET /segments`` (and ``segments --json``): the rows of ``segments_table`` whose
    segment holds at least ``min_cell`` users as served (default ``RECOMMENDER_MIN_CELL``).
    A smaller one is withheld whole, as a film's viewers by segment hide theirs: its label,
    films and genres describe its few members (training merges such a segment into the
    others, but one is always kept: a model of fewer users than ``min_cell`` has one segment
    of them all, and the cell size served may be larger than the one trained with).
    ``hidden`` counts the withheld segments and their users in all (what the model's user
    count less the sizes listed tells anyone); the shares stay shares of all users.
    ``min_genre_share``: the floor under which a genre is left out of ``top_genres``
    (``MIN_GENRE_SHARE``), for a client to say it from the answer (Audience Studio)."""
    cell = min_cell_from_env() if min_cell is None else min_cell
    rows = segments_table(model)
    small = ~listed_segments(model, cell)
    return {"segments": [r for r, h in zip(rows, small.tolist(), strict=True) if not h],
            "hidden": {"segments": int(small.sum()),
                       "users": sum(r["size"] for r, h in zip(rows, small.tolist(), strict=True)
                                    if h)},
            "min_cell": cell, "min_genre_share": MIN_GENRE_SHARE}
