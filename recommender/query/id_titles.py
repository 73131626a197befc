"""The other films whose title a film's id is, and what names a film in a per-film answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.model.kept import Kept
from recommender.query.hints import HINT_MATCHES

if TYPE_CHECKING:
    from recommender.model.model import Model
    from recommender.query.holding import HoldingIndex


def names_holding(titles: Sequence[str], word: str) -> list[int]:
    """The titles whose name (a trailing year aside) may hold the normalised query word
    ``word``, spaces aside and in digits ("walle" is WALL-E, "10" Ten): never one less than
    a key holds (``holding.HoldingIndex``, built for ``titles``; ``holding_titles`` keeps a
    model's)."""
    from recommender.query.holding import HoldingIndex

    return HoldingIndex(titles).rows(word)


_HOLDING: Kept[HoldingIndex] = Kept()  # per catalog, see holding_titles


def holding_titles(model: Model) -> HoldingIndex:
    """``holding.HoldingIndex`` of the model's titles, built once per catalog and kept while
    it lives (each CLI film answer looped over every title for an id of a few digits)."""
    from recommender.query.holding import HoldingIndex

    kept = _HOLDING.get(model.catalog)
    if kept is not None:
        return kept
    return _HOLDING.put(model.catalog, HoldingIndex(model.film_labels[1]))


_ALSO_TITLED: Kept[dict[str, tuple[str, ...]]] = Kept()  # per catalog and id, see also_titled


def also_titled(model: Model, film_id: str) -> list[str]:
    """The other films whose title is ``film_id`` (a whole name of it, as search's ``title``
    match reads one: case, accents, a trailing article and the year aside), as "ID TITLE
    (YEAR)", at most ``HINT_MATCHES``: MovieLens film 300 is Quiz Show, and 300 (2007) has
    another id, so an id that is also a title answers for a film the user may not mean.
    Only the titles holding the argument's first word in their name (the year aside) are
    indexed: the catalog's own index took 6 s to build for 87,000 titles, on every CLI
    answer for an id whose first word is in some title (a MovieLens id of 1 to 3 digits is
    in the years of most). Kept per catalog and id: an audience page names them on each
    request (``pages.named_film``; up to 15 ms for an id of a few digits on MovieLens's
    9,700 titles), and a CLI film command both says them and writes the page."""
    known = _ALSO_TITLED.get(model.catalog)
    if known is None:
        known = _ALSO_TITLED.put(model.catalog, {})
    if film_id not in known:
        known[film_id] = tuple(_also_titled(model, film_id))
    return list(known[film_id])


def also_titled_known(model: Model, film_id: str) -> bool:
    """Whether ``also_titled(model, film_id)`` is kept already (answers without a search):
    an event loop's caller runs the first search on a worker thread instead."""
    known = _ALSO_TITLED.get(model.catalog)
    return known is not None and film_id in known


def film_names(model: Model, f: int) -> dict[str, Any]:
    """What names film index ``f`` in a per-film answer's JSON, beside its ``film_id``:
    ``title`` and ``year`` as the catalog has them ('' and None when it has none) and
    ``also_titled``, the other films whose title its id is (``also_titled``), None when
    none. The id is the film answered for (MovieLens film 300 is Quiz Show; 300 (2007) has
    another id): a caller who typed "300" meaning the 2007 film can tell. One source for the
    audience page (``pages.named_film``), its summary, similar films, the film's details and
    its demand by place."""
    return {"title": model.film_labels[1][f], "year": int(model.catalog.years[f]) or None,
            "also_titled": also_titled(model, model.film_labels[0][f]) or None}


NO_FILM_NAMES: dict[str, Any] = {"title": None, "year": None, "also_titled": None}
"""``film_names`` of an answer for no film of the catalog (lookalike, cold start)."""


def comparables_also_titled(model: Model, film_ids: Sequence[str]) -> dict[str, list[str]] | None:
    """Each of ``film_ids`` (comparable films the model knows, a cold start's) whose id is
    also other films' title, id -> those films as ``also_titled`` names them; None when
    none. A new film's answer is for no catalog film (its ``also_titled`` is null), but each
    id given as a comparable film is the film used: ``--like 300`` on MovieLens is Quiz
    Show, not 300 (2007), as ``audience 300`` is."""
    found = {f: others for f in dict.fromkeys(film_ids) if (others := also_titled(model, f))}
    return found or None


def _also_titled(model: Model, film_id: str) -> list[str]:
    from recommender.query.catalog import film_fields, with_year
    from recommender.query.title_match import kind_of
    from recommender.query.titles import TitleIndex, normalise

    words = normalise(film_id).split()
    titles = model.film_labels[1]
    rows = holding_titles(model).rows(words[0]) if words else []
    if not rows:
        return []
    own = model.films.to_index([film_id], strict=False)[0]
    _, levels = TitleIndex([titles[i] for i in rows],
                           np.asarray(model.catalog.years)[rows]).scored(film_id)
    named = [rows[j] for j in np.flatnonzero(levels > 0).tolist()
             if rows[j] != own and kind_of(float(levels[j])) == "title"][:HINT_MATCHES]
    return [f"{fid} {with_year(title, year)}"
            for fid, title, year, _ in film_fields(model, np.asarray(named, np.int64))]
