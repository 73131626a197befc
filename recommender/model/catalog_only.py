"""Films of the training catalog that no interaction names: recorded in ``meta.json``.

A catalog (``movies.csv``, ``u.item``, ``--films``) may list films the log never mentions; the
model holds no taste vector, audience or viewers for them, and training left them out without a
word, so asking for one (``audience MODEL 1076``) was answered "unknown film_id" with unrelated
titles. ``meta.json``'s ``catalog_without_interactions`` records how many there were and lists
the first ``LISTED`` (id, title, year), in catalog order, so that an answer can say what they
are (``recommender.query.hints``), as both trainers write it (``record``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.io.dataset import Catalog
from recommender.io.ids import IdMap

KEY = "catalog_without_interactions"
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
