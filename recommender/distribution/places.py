"""A model's users grouped by a place attribute, and the cinema table that caps screens.

``place_groups(model, by)`` checks ``by`` (a place attribute the model's users have) and codes
every user by its value once per model and attribute (kept while the model lives), with each
place's users and training interactions, so a film's demand by place is one ``np.bincount``.

``cinemas_for(...)`` finds the ``cinemas.csv`` that caps ``by=cinema`` allocations: the file
given (``--cinemas`` / ``RECOMMENDER_CINEMAS``), else ``cinemas.csv`` in the model folder,
else ``cinemas.csv`` beside the training data (the folder named in the model's
``meta.json``, ``data.source``), else none (allocations are not capped). Training does not
copy the file into the model folder: copy it there to ship a model with its cinemas.
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.places import CINEMAS_FILE, PLACE_ATTRIBUTES, Cinemas, read_cinemas
from recommender.model.model import Model

UNKNOWN = "unknown"
"""The label of users whose place attribute is empty."""


@dataclass(frozen=True)
class PlaceGroups:
    """Users coded by one place attribute: ``labels[codes[u]]`` is user u's place."""

    by: str
    labels: NDArray[np.str_]
    codes: NDArray[np.intp]
    users: NDArray[np.int64]
    viewing: NDArray[np.int64]


_CACHE: dict[tuple[int, str], tuple[weakref.ref[Model], PlaceGroups]] = {}
_LOCK = threading.Lock()


def place_attributes(model: Model) -> list[str]:
    """The place attributes this model's users have, in ``PLACE_ATTRIBUTES`` order."""
    return [a for a in PLACE_ATTRIBUTES if a in model.user_table.attributes]


def check_place(model: Model, by: str) -> str:
    """``by`` (any case) as the model's place attribute; else ``InvalidParameterError`` saying
    what is wrong in one sentence."""
    have = place_attributes(model)
    listed = ", ".join(have) if have else "none"
    if by.lower() in have:
        return by.lower()
    if by in model.user_table.attributes:
        raise InvalidParameterError(
            f"by={by!r} is not a place attribute; use one of this model's place attributes "
            f"({listed})")
    if by in PLACE_ATTRIBUTES:
        raise InvalidParameterError(
            f"by={by!r}: this model's users have no {by!r} attribute; its place attributes "
            f"are: {listed}")
    raise InvalidParameterError(
        f"by={by!r} is not a user attribute of this model; its place attributes are: {listed}")


def place_groups(model: Model, by: str) -> PlaceGroups:
    """The users of ``model`` grouped by the place attribute ``by`` (checked; cached)."""
    by = check_place(model, by)
    key = (id(model), by)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is model:
            return hit[1]
    values = np.asarray(model.user_table.attributes[by], dtype=str)
    labels, codes = np.unique(values, return_inverse=True)
    labels = np.where(labels == "", UNKNOWN, labels).astype(str)
    users = np.bincount(codes, minlength=len(labels)).astype(np.int64)
    viewing = np.bincount(codes, weights=model.user_counts(),
                          minlength=len(labels)).astype(np.int64)
    groups = PlaceGroups(by, labels, codes.astype(np.intp), users, viewing)
    with _LOCK:
        for k in [k for k, (ref, _) in _CACHE.items() if ref() is None]:
            del _CACHE[k]
        _CACHE[key] = (weakref.ref(model), groups)
    return groups


_CINEMAS: dict[tuple[str, int, int], Cinemas] = {}


def cinemas_for(model: Model, model_path: str | os.PathLike[str] | None = None,
                explicit: str | os.PathLike[str] | None = None) -> Cinemas | None:
    """The cinema table for ``model`` (see the module docstring), read once per file version."""
    path: Path | None = Path(explicit) if explicit else None
    if path is None:
        candidates = [Path(model_path) / CINEMAS_FILE] if model_path else []
        source = str((model.meta.get("data") or {}).get("source") or "")
        if source:
            src = Path(source)
            candidates.append((src if src.is_dir() else src.parent) / CINEMAS_FILE)
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            return None
    try:
        stat = path.stat()
    except OSError:
        return read_cinemas(path)  # raises DataError naming the file
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        hit = _CINEMAS.get(key)
    if hit is None:
        hit = read_cinemas(path)
        with _LOCK:
            _CINEMAS.clear()  # one table at a time: a new version replaces the old
            _CINEMAS[key] = hit
    return hit
