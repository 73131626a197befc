"""A list given as one comma-separated value is refused, naming the form the list takes."""

from __future__ import annotations

import json
import math
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


def _cli_weight(value: str, is_id: Callable[[str], bool]) -> tuple[str, float] | None:
    """``(film id, weight)`` where ``value`` is no film id but the CLI's ``FILM_ID=WEIGHT``
    of a known film (``"50=2"``); else None."""
    film_id, sep, weight = value.rpartition("=")
    if not sep or is_id(value) or not is_id(film_id):
        return None
    try:
        number = float(weight)
    except ValueError:
        return None
    return (film_id, number) if math.isfinite(number) else None


def refuse_weighted_items(model: Model, likes: Sequence[str] | Mapping[str, float] | None
                          ) -> None:
    """Refuse an HTTP ``comparable_film_ids`` list item in the CLI's ``FILM_ID=WEIGHT`` form
    (``["50=2", "181"]``, where "50" is a known film and "50=2" is none): it was skipped as an
    unknown film (200, the audience built without it). The 422 names the weights object the
    list stands for (``{"50": 2, "181": 1}``: an item without a weight weighs 1)."""
    if not likes or isinstance(likes, Mapping):
        return

    def is_id(value: str) -> bool:
        return bool(model.films.to_index([value], strict=False)[0] >= 0)

    weighted = [_cli_weight(value, is_id) for value in likes]
    for i, (value, pair) in enumerate(zip(likes, weighted, strict=True)):
        if pair is None:
            continue
        meant: dict[str, float | int] = {}
        for item, found in zip(likes, weighted, strict=True):
            key, weight = found if found is not None else (item, 1.0)
            meant[key] = _weight_text(weight)
        raise InvalidParameterError(
            f"comparable_film_ids[{i}] {value!r}: FILM_ID=WEIGHT is the command line's form; "
            "over HTTP give the weights as an object, each id a key and its weight the value "
            f"(comparable_film_ids: {json.dumps(meant, ensure_ascii=False)}); an item is read "
            "whole as one film id")


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
    (``--like 1,2=2``: ``--like 1=2 2=2``). Over HTTP a list item in the CLI's
    ``FILM_ID=WEIGHT`` form is refused first (``refuse_weighted_items``)."""
    def is_id(value: str) -> bool:
        return bool(model.films.to_index([value], strict=False)[0] >= 0)

    def film(value: str) -> bool:  # an id, or FILM_ID=WEIGHT of one (the CLI's)
        film_id, sep, weight = value.rpartition("=")
        ids = [value, film_id] if sep and "," not in weight and not http else [value]
        return bool((model.films.to_index(ids, strict=False) >= 0).any())

    if http:  # "50=2" in a list: the CLI's weight, skipped as an unknown film
        refuse_weighted_items(model, likes)
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
