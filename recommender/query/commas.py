"""A list given as one comma-separated value is refused, naming the form the list takes."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from recommender.errors import InvalidParameterError, UnknownIdError

if TYPE_CHECKING:
    from recommender.model.model import Model


def _genre(model: Model, name: str) -> bool:
    from recommender.query.catalog import resolve_genres

    try:
        resolve_genres(model, [name])
    except (InvalidParameterError, UnknownIdError):
        return False
    return True


def refuse_comma_lists(model: Model, likes: Sequence[str] | None,
                       genres: Sequence[str] | None, http: bool = False) -> None:
    """Refuse a ``--like`` or ``--genre`` value that is no film id (or genre) but a
    comma-separated list of some (``--like 1,2``, ``--genre Drama,Comedy``): the options take
    several values separated by spaces, and such a value was skipped as an unknown film (the
    audience ranked without the films meant) or refused as an unknown genre without saying
    so. A value that is an id or genre, comma and all, is read as one (ids are kept byte for
    byte), and one of whose parts none is known is left to the unknown-id answer. ``http``:
    the body's lists (``comparable_film_ids``, ``genres``), each item one value."""
    def film(value: str) -> bool:  # an id, or FILM_ID=WEIGHT of one (the CLI's)
        film_id, sep, weight = value.rpartition("=")
        ids = [value, film_id] if sep and "," not in weight and not http else [value]
        return bool((model.films.to_index(ids, strict=False) >= 0).any())

    names = ("comparable_film_ids", "genres") if http else ("--like", "--genre")
    for option, values in zip(names, (likes, genres), strict=True):
        known = film if option == names[0] else (lambda name: _genre(model, name))
        for i, value in enumerate(values or ()):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if "," in value and not known(value) and any(known(p) for p in parts):
                raise InvalidParameterError(
                    f"{option}[{i}] {value!r}: give each as an item of its own, not "
                    f"separated by commas ({option}: {json.dumps(parts, ensure_ascii=False)}); "
                    "an item holding a comma is read whole" if http else
                    f"{option} {value!r}: give several values separated by spaces, not commas "
                    f"({option} {shlex.join(parts)}); a value holding a comma is read whole")
