"""HTTP response bodies as bytes, exactly as FastAPI's ``JSONResponse`` would render them.

Also the audience pages the body cache does not keep (``ring_page``) and the CSV download's
text (``audience_csv_text``, the library's one audience CSV writer).

The library's result objects own their JSON (``AudiencePage.to_json``, ``FilmList.to_json``:
which fields, in which order, rounded how); this module only writes it out. ``render_page`` is
the fast writer of the hottest body, an audience page: it reads the page's row values column
by column (``AudiencePage.columns``) instead of building a dict per row for ``json.dumps`` to
take apart again, and gives the same bytes as ``render_json(page.to_json())`` (tested).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from recommender.model.min_cell import min_cell_from_env
from recommender.model.model import Model
from recommender.query.audience import AudiencePage
from recommender.query.export import audience_csv
from recommender.query.filters import Filters
from recommender.query.linkable import check_filtered
from recommender.query.recommend import FilmList
from recommender.query.render import resolve_with
from recommender.serving.engine import Engine


def render_json(obj: Any) -> bytes:
    """JSON bytes exactly as FastAPI's ``JSONResponse`` renders them (compact, UTF-8)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


def render_films(films: FilmList, model: Model) -> bytes:
    """The body of a film list (recommendations): ``render_json(films.to_json(model))``."""
    return render_json(films.to_json(model))


_json_str = json.encoder.encode_basestring  # how json.dumps(ensure_ascii=False) quotes a str
_int_text = int.__repr__  # how json.dumps writes an int
_float_text = float.__repr__  # ... and a finite float
_NONE = type(None)


class _Raw(str):
    """JSON text already rendered, written as it is."""


def _scalar(value: Any) -> str:
    """One JSON scalar (or already rendered text) as ``json.dumps`` writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is _Raw:
        return value
    if kind is str:
        return _json_str(value)
    if kind is int:
        return _int_text(value)
    if kind is float and math.isfinite(value):
        return _float_text(value)
    # anything else, a non-finite float included: json's own text, or its own error
    return render_json(value).decode("utf-8")


def _column(values: list[Any]) -> tuple[str, list[Any]]:
    """A column of JSON scalars as a ``%`` conversion and the values it takes, so that
    ``conversion % value`` is each value as ``json.dumps`` writes it: ints and finite floats
    are converted as they are (``%d``, ``%r``), anything else rendered first (``%s``)."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return "%s", list(map(_json_str, values))
    if kinds == {int}:
        return "%d", values
    if kinds == {float} and all(map(math.isfinite, values)):
        return "%r", values
    if kinds <= {str, _NONE}:
        return "%s", ["null" if v is None else _json_str(v) for v in values]
    return "%s", list(map(_scalar, values))


def _rows(fields: Sequence[str], columns: Sequence[list[Any]]) -> str:
    """The JSON array of the objects whose ``fields`` take their values from ``columns``
    (one list of JSON scalars per field)."""
    conversions, values = zip(*map(_column, columns), strict=True) if columns else ((), ())
    row = "{" + ",".join(f"{_json_str(name).replace('%', '%%')}:{conversion}"
                         for name, conversion in zip(fields, conversions, strict=True)) + "}"
    return "[" + ",".join([row % v for v in zip(*values, strict=True)]) + "]"


def _object(obj: dict[str, Any]) -> str:
    """A JSON object of scalars (and already rendered text) as ``json.dumps`` writes it."""
    return "{" + ",".join([f"{_json_str(name)}:{_scalar(value)}"
                           for name, value in obj.items()]) + "}"


def render_page(page: AudiencePage) -> bytes:
    """``render_json(page.to_json())``, byte for byte, faster.

    A non-finite score or percentile (which ``json.dumps(allow_nan=False)`` refuses) raises
    ``render_json``'s own ``ValueError``.
    """
    try:
        users = _Raw(_rows(page.FIELDS, page.columns()))
    except ValueError:  # a non-finite number: the error json.dumps gives for the whole page
        return render_json(page.to_json())
    return _object(page.body(users)).encode("utf-8")


def ring_page(engine: Engine, film_id: str, k: int, offset: int, exclude_seen: bool,
              segment: str | int | None, filters: Filters | None, tier: str | None
              ) -> AudiencePage:
    """A page the body cache does not keep (a ring, a segment by number or label, attribute
    filters): ``Engine.audience``, read at the engine's ``min_cell`` (the server's setting,
    as ``GET /segments`` and ``GET /users/attributes`` list), after its page limits."""
    return engine.audience(film_id, k, offset, exclude_seen, segment, filters, tier=tier)


def audience_csv_text(model: Model, page: AudiencePage, with_: Sequence[str] | None = None,
                      pseudonymized: bool = False, min_cell: int | None = None,
                      filters: Mapping[str, object] | None = None) -> str:
    """The CSV download of a page: ``export.audience_csv``, the text every audience CSV writes
    (the CLI's ``audience --csv`` and the ``audiences`` files too), with the ``with_`` columns
    (``render.resolve_with``: unknown names raise, listing the valid ones; user attributes
    beside pseudonyms only when they single nobody out, ``linkable.check_linkable``, the
    attributes of the page's ``filters`` counted with them: ``linkable.check_filtered``)."""
    film = None if page.film_id is None else model.film_index(page.film_id)
    columns = resolve_with(model, with_, "with")
    if pseudonymized:
        check_filtered(model, filters, columns, page.user_idx,
                       min_cell_from_env() if min_cell is None else min_cell)
    return audience_csv(model, page, film, columns, pseudonymized, min_cell)
