"""A list given as one comma-separated value is refused, naming the form the list takes."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
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


def _weight_text(weight: float) -> float | int:
    """A body's weight as JSON writes it back: 2.0 as 2 (as typed, most likely), 0.5 as is."""
    return int(weight) if float(weight).is_integer() else weight


def _cli_parts(value: str, parts: list[str], is_id: Callable[[str], bool]) -> list[str]:
    """The ``--like`` values ``value``'s comma-separated ``parts`` stand for: a weight after
    the last one alone is the whole value's (``1,2=2`` is read as film "1,2" of weight 2), so
    it goes to each part (``1=2 2=2``); parts that name their own weights stay as typed."""
    head, sep, weight = value.rpartition("=")
    if not sep or not weight.strip() or "," in weight or "=" in head or is_id(parts[-1]):
        return parts
    films = [p.strip() for p in head.split(",") if p.strip()]
    return [f"{film}={weight.strip()}" for film in films]


def refuse_comma_lists(model: Model, likes: Sequence[str] | Mapping[str, float] | None,
                       genres: Sequence[str] | None, http: bool = False) -> None:
    """Refuse a ``--like`` or ``--genre`` value that is no film id (or genre) but a
    comma-separated list of some (``--like 1,2``, ``--genre Drama,Comedy``): the options take
    several values separated by spaces, and such a value was skipped as an unknown film (the
    audience ranked without the films meant) or refused as an unknown genre without saying
    so. A value that is an id or genre, comma and all, is read as one (ids are kept byte for
    byte), and one of whose parts none is known is left to the unknown-id answer. ``http``:
    the body's lists (``comparable_film_ids``, ``genres``), each item one value, or the
    weights object (``{"1,2": 2}``: each id a key of its own, each with the weight given,
    ``{"1": 2, "2": 2}``); a CLI weight after the last of the list is given to each
    (``--like 1,2=2``: ``--like 1=2 2=2``)."""
    def is_id(value: str) -> bool:
        return bool(model.films.to_index([value], strict=False)[0] >= 0)

    def film(value: str) -> bool:  # an id, or FILM_ID=WEIGHT of one (the CLI's)
        film_id, sep, weight = value.rpartition("=")
        ids = [value, film_id] if sep and "," not in weight and not http else [value]
        return bool((model.films.to_index(ids, strict=False) >= 0).any())

    names = ("comparable_film_ids", "genres") if http else ("--like", "--genre")
    for option, values in zip(names, (likes, genres), strict=True):
        known = film if option == names[0] else (lambda name: _genre(model, name))
        for i, value in enumerate(values or ()):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if "," not in value or known(value) or not any(known(p) for p in parts):
                continue
            if isinstance(values, Mapping):  # HTTP's {id: weight}: keys, each its weight
                weight = _weight_text(values[value])
                raise InvalidParameterError(
                    f"{option} key {value!r}: give each id as a key of its own, not "
                    f"separated by commas ({option}: "
                    f"{json.dumps(dict.fromkeys(parts, weight), ensure_ascii=False)}); "
                    "a key holding a comma is read whole")
            if http:
                raise InvalidParameterError(
                    f"{option}[{i}] {value!r}: give each as an item of its own, not "
                    f"separated by commas ({option}: {json.dumps(parts, ensure_ascii=False)}); "
                    "an item holding a comma is read whole")
            shown = _cli_parts(value, parts, is_id) if option == "--like" else parts
            raise InvalidParameterError(
                f"{option} {value!r}: give several values separated by spaces, not commas "
                f"({option} {shlex.join(shown)}); a value holding a comma is read whole")
