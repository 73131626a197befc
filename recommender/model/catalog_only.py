"""Films of the training catalog that no interaction names: recorded in ``meta.json``.

A catalog (``movies.csv``, ``u.item``, ``--films``) may list films the log never mentions; the
model holds no taste vector, audience or viewers for them, and training left them out without a
word, so asking for one (``audience MODEL 1076``) was answered "unknown film_id" with unrelated
titles. ``meta.json``'s ``catalog_without_interactions`` records how many there were and lists
the first ``LISTED`` (id, title, year), in catalog order, so that an answer can say what they
are (``recommender.query.hints``), as both trainers write it (``record``).

``catalog_coverage`` says how the catalog's ids met the log's (``coverage``): a catalog none of
whose ids are the log's (``01`` in the log for ``1`` in ``movies.csv``) trained a model without
a title, said only as "9,742 films of the catalog without an interaction", and ``search`` then
claimed the training data named no title. It counts the catalog's distinct ids, those that are
films of the log, the log's films without a catalog row (the first few named), and the
catalog ids that are a film of the log but for leading zeros, letter case, surrounding spaces
or Unicode form (the first few pairs), so that ``train`` and ``search`` can say why.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.io import arrow_numpy as an
from recommender.io.dataset import Catalog
from recommender.io.id_twins import any_writing, loose_matches
from recommender.io.ids import IdMap

KEY = "catalog_without_interactions"
COVERAGE = "catalog_coverage"
SHOWN = 3  # ids (and id pairs) named by ``coverage``; its counts cover them all
LISTED = 5_000  # films listed by id and title; the count covers them all
NOTE = ("films of the training data's catalog that no interaction of the log names: the model "
        "holds no taste vector, audience or viewers for them (a cold-start audience ranks one "
        "from comparable films or genres)")


def record(catalog: Catalog | None, films: IdMap) -> dict[str, Any] | None:
    """``meta.json``'s ``catalog_without_interactions`` for ``catalog`` read with a log whose
    films are ``films``: ``{"count", "films": [[id, title, year], ...], "note"}``, or None
    when every catalog film has an interaction (or there is no catalog)."""
    if catalog is None or not len(catalog):
        return None
    missing = np.flatnonzero(films.to_index(catalog.film_ids, strict=False) < 0)
    if not len(missing):
        return None
    _, first = np.unique(catalog.film_ids[missing], return_index=True)  # a repeated row once
    missing = missing[np.sort(first)]
    shown = missing[:LISTED]
    rows = [[str(i), str(t), int(y)] for i, t, y in zip(
        catalog.film_ids[shown].tolist(), catalog.titles[shown].tolist(),
        catalog.years[shown].tolist(), strict=True)]
    more = (f"; the first {LISTED:,} of {len(missing):,} in catalog order are listed"
            if len(missing) > LISTED else "")
    return {"count": int(len(missing)), "films": rows, "note": NOTE + more}


def write(meta: dict[str, Any], catalog: Catalog | None, films: IdMap) -> None:
    """Record ``record``'s and ``coverage``'s entries in ``meta`` (those that apply)."""
    if (only := record(catalog, films)) is not None:
        meta[KEY] = only
    if (covered := coverage(catalog, films)) is not None:
        meta[COVERAGE] = covered


def coverage(catalog: Catalog | None, films: IdMap) -> dict[str, Any] | None:
    """``meta.json``'s ``catalog_coverage`` for ``catalog`` read with a log whose films are
    ``films``: ``{"films"`` (the catalog's distinct ids), ``"of_the_log"`` (those that are
    films of the log), ``"log_films_without_row"`` and ``"first_without_row"`` (the log's
    films it gives no row, the first ``SHOWN`` in the log's order), ``"near"`` and
    ``"near_pairs"`` (its ids that are no film of the log but match one once leading zeros,
    surrounding spaces, letter case and Unicode form are set aside: how many, and the first
    ``SHOWN`` as ``[catalog id, log id]``)``}``; None without a catalog."""
    if catalog is None or not len(catalog):
        return None
    distinct, first = np.unique(np.asarray(catalog.film_ids, dtype=str), return_index=True)
    ids = an.from_strings(distinct[np.argsort(first)])  # in catalog order
    at = films.to_index(ids, strict=False)
    has_row = np.zeros(len(films), dtype=bool)
    has_row[at[at >= 0]] = True
    without = np.flatnonzero(~has_row)
    stray = ids.filter(an.from_bools(at < 0))
    hit, near = loose_matches(stray, films.ids, any_writing)
    pairs = [[str(stray[int(i)]), str(films.ids[j])] for i, j in zip(hit[:SHOWN], near,
                                                                      strict=False)]
    return {"films": len(ids), "of_the_log": int(np.count_nonzero(at >= 0)),
            "log_films_without_row": int(len(without)),
            "first_without_row": films.ids[without[:SHOWN]].tolist(),
            "near": int(len(hit)), "near_pairs": pairs}


def near_text(covered: dict[str, Any]) -> str:
    """The ``near`` catalog ids of a ``coverage`` record as "N of them match a film of the
    log only once ... ('1' for '01', ...)", or "" when none."""
    n, pairs = int(covered.get("near", 0)), covered.get("near_pairs") or []
    if not n:
        return ""
    shown = ", ".join(f"{str(c)!r} for {str(k)!r}" for c, k in pairs)
    return (f"{n:,} of them match a film of the log only once leading zeros, surrounding "
            f"spaces, letter case or Unicode form are set aside ({shown}): ids are compared "
            "byte for byte; write them as the log does")


def listed(meta: dict[str, Any]) -> list[tuple[str, str, int]]:
    """The (id, title, year) ``meta``'s record lists; [] without one (a model trained before
    it was recorded, or one whose catalog films all have interactions)."""
    entry = meta.get(KEY)
    if not isinstance(entry, dict) or not isinstance(entry.get("films"), list):
        return []
    return [(str(r[0]), str(r[1]), int(r[2])) for r in entry["films"]
            if isinstance(r, list) and len(r) == 3]


def count(meta: dict[str, Any]) -> int:
    """How many catalog films had no interaction (0 when none, or not recorded)."""
    entry = meta.get(KEY)
    return int(entry.get("count", 0)) if isinstance(entry, dict) else 0
