"""Film arguments that are titles, not ids: the unknown-id error lists the titles they match."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from recommender.errors import UnknownFilmError

if TYPE_CHECKING:
    from recommender.model.model import Model

HINT_MATCHES = 5
HINT_IDS = 5  # films of one error given the titles they match


def title_hint(model: Model, film_id: str) -> str:
    """"; it matches titles: ID TITLE (YEAR), ..." (the best ``HINT_MATCHES`` search hits)
    for a film argument that is not an id, or "" when no title matches it (a blank argument
    matches none: the search would list any film)."""
    from recommender.query.catalog import film_fields, search_films, with_year

    if not film_id.strip():
        return ""
    _, rows = search_films(model, film_id, limit=HINT_MATCHES)
    if not rows:
        return ""
    fields = film_fields(model, np.array([model.film_index(r["film_id"]) for r in rows]))
    shown = [f"{fid} {with_year(title, year)}" for fid, title, year, _ in fields]
    return "; it matches titles: " + ", ".join(shown)


def with_title_hint(model: Model, error: UnknownFilmError) -> UnknownFilmError:
    """``error`` with ``title_hint`` added for each of the first ``HINT_IDS`` films it names
    that is not a known id written with more or fewer leading zeros (one film: "; it matches
    titles: ...", several: "; 'amelie' matches titles: ..." per film that matches some), else
    ``error`` itself (several comparable titles typed as ids were refused without a hint)."""
    if len(error.ids) == 1:
        if model.films.same_but_zeros(error.ids[0]):
            return error  # an id that differs by leading zeros already says "did you mean"
        hint = title_hint(model, error.ids[0])
    else:
        hint = "".join(
            f"; {film_id!r}{found.removeprefix('; it')}"
            for film_id in error.ids[:HINT_IDS] if not model.films.same_but_zeros(film_id)
            for found in [title_hint(model, film_id)] if found)
    if not hint:
        return error
    hinted = UnknownFilmError(error.ids)
    hinted.args = (f"{error}{hint}",)
    return hinted


def known_film(model: Model, film_id: str) -> int:
    """The index of ``film_id``; an unknown id raises ``UnknownFilmError`` that lists the
    titles it matches (``title_hint``)."""
    try:
        return model.film_index(film_id)
    except UnknownFilmError as e:
        raise with_title_hint(model, e) from None


@contextmanager
def title_hints(model: Model) -> Iterator[None]:
    """Re-raise an ``UnknownFilmError`` of one film with the titles it matches."""
    try:
        yield
    except UnknownFilmError as e:
        raise with_title_hint(model, e) from None
