"""A model's users grouped by a place attribute, and the cinema table that caps screens.

``place_groups(model, by)`` checks ``by`` (a place attribute the model's users have) and codes
every user by its value once per model and attribute (kept while the model lives), with each
place's users and training interactions, so a film's demand by place is one ``np.bincount``.
A user whose value is empty (e.g. one who arrived through campaign events, with no attributes)
is in no place: coded ``len(labels)``, counted apart, never pooled with a real place.

``cinemas_for(...)`` finds the ``cinemas.csv`` that caps ``by=cinema`` allocations, first
found of: the file given (``--cinemas`` / ``RECOMMENDER_CINEMAS``); the model's own copy
(``recommender train`` copies the data folder's ``cinemas.csv`` into the model version, with
its checksum, so it travels with the model); ``cinemas.csv`` in the model folder (copied there
by hand); and, for models trained before that copy, ``cinemas.csv`` beside the training data
named in ``meta.json``'s ``data.source`` (without the `` + N events from ...`` suffix of a
model trained with ``--events``); a relative source is taken from the current working
directory, as training took it. None found: allocations are not capped, and the answer says
so (``screens.warning``).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.places import CINEMAS_FILE, PLACE_ATTRIBUTES, Cinemas, read_cinemas
from recommender.model import layout
from recommender.model.kept import Kept
from recommender.model.model import Model


@dataclass(frozen=True)
class PlaceGroups:
    """Users coded by one place attribute: ``labels[codes[u]]`` is user u's place, and
    ``codes[u] == len(labels)`` for a user without one (``unplaced_users`` of them, with
    ``unplaced_viewing`` training interactions). ``users`` and ``viewing`` are per place."""

    by: str
    labels: NDArray[np.str_]
    codes: NDArray[np.intp]
    users: NDArray[np.int64]
    viewing: NDArray[np.int64]
    unplaced_users: int = 0
    unplaced_viewing: int = 0

    def per_place(self, users: NDArray[np.integer] | None = None,
                  weights: NDArray[np.floating] | None = None) -> NDArray[np.float64]:
        """Counts (or ``weights`` summed) per place over ``users`` (default all), then the
        users without a place in one last slot: ``len(labels) + 1`` values."""
        codes = self.codes if users is None else self.codes[np.asarray(users, np.int64)]
        return np.bincount(codes, weights=weights, minlength=len(self.labels) + 1
                           ).astype(np.float64)


_CACHE: Kept[PlaceGroups] = Kept()  # by attribute


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
    hit = _CACHE.get(model, by)
    if hit is not None:
        return hit
    values = np.asarray(model.user_table.attributes[by], dtype=str)
    labels, codes = np.unique(values, return_inverse=True)
    codes = codes.astype(np.intp).ravel()
    blank = np.char.strip(labels) == ""
    if blank.any():  # users without a place: recode them to the slot after the places
        new_code = np.cumsum(~blank) - 1
        new_code[blank] = int((~blank).sum())
        labels, codes = labels[~blank], new_code[codes].astype(np.intp)
    k = len(labels)
    users = np.bincount(codes, minlength=k + 1).astype(np.int64)
    viewing = np.bincount(codes, weights=model.user_counts(), minlength=k + 1).astype(np.int64)
    groups = PlaceGroups(by, labels.astype(str), codes, users[:k], viewing[:k],
                         int(users[k]), int(viewing[k]))
    return _CACHE.put(model, groups, by)


_CINEMAS: dict[tuple[str, int, int], Cinemas] = {}
_LOCK = threading.Lock()


def cinemas_for(model: Model, model_path: str | os.PathLike[str] | None = None,
                explicit: str | os.PathLike[str] | None = None) -> Cinemas | None:
    """The cinema table for ``model`` (see the module docstring), read once per file version."""
    path: Path | None = Path(explicit) if explicit else None
    if path is None:
        path = next((c for c in cinema_candidates(model, model_path) if c.is_file()), None)
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


def cinema_candidates(model: Model, model_path: str | os.PathLike[str] | None = None
                      ) -> list[Path]:
    """Where ``cinemas_for`` looks, in order, when no file is given (module docstring)."""
    out: list[Path] = []
    if model.folder:  # the copy made at training, in the version the model was read from
        out.append(Path(model.folder) / CINEMAS_FILE)
    elif model_path:  # a model not read from disk: the folder's current version
        try:
            out.append(layout.resolve(model_path) / CINEMAS_FILE)
        except (OSError, ValueError):
            pass
    if model_path:
        out.append(Path(model_path) / CINEMAS_FILE)
    source = str((model.meta.get("data") or {}).get("source") or "")
    source = re.sub(r" \+ \d+ events from .*$", "", source, flags=re.S).strip()
    if source:
        src = Path(source)
        out.append((src if src.is_dir() else src.parent) / CINEMAS_FILE)
    return list(dict.fromkeys(out))


_NESTED: Kept[NDArray[np.bool_]] = Kept()  # by attribute, min_cell and the merge given


def nested_merge(model: Model, groups: PlaceGroups, merge: NDArray[np.bool_], min_cell: int
                 ) -> NDArray[np.bool_]:
    """``merge`` (the places of ``groups`` pooled into "other") grown so that another place
    attribute's breakdown cannot undo it: a place all of whose users share one value of
    another attribute (a city within its region, a cinema within its city) is nested in it,
    and that value's total less its shown nested places would be the merged ones. Wherever
    the merged places nested in one value hold some users but fewer than ``min_cell``, the
    smallest other place nested there is merged too, until none does. It depends on the
    model, the attribute and ``min_cell`` only, so it is kept while the model lives."""
    merge = np.asarray(merge, bool)
    key = (groups.by, int(min_cell), merge.tobytes())
    hit = _NESTED.get(model, key)
    if hit is not None:
        return hit.copy()
    out = merge.copy()
    k = len(groups.labels)
    placed = groups.codes < k
    parents = []  # per other place attribute: each place's one parent value, or -1
    for attr in place_attributes(model):
        if attr == groups.by:
            continue
        other = place_groups(model, attr)
        n = len(other.labels)
        lo = np.full(k, n, np.int64)
        hi = np.full(k, -1, np.int64)
        np.minimum.at(lo, groups.codes[placed], other.codes[placed])
        np.maximum.at(hi, groups.codes[placed], other.codes[placed])
        parents.append((np.where((lo == hi) & (lo < n), lo, -1), n))  # code n: no value
    changed = True
    while changed:  # a place merged for one attribute may leave another's total short
        changed = False
        for parent, n in parents:
            nested = parent >= 0
            while True:
                pooled = np.bincount(parent[nested & out], weights=groups.users[nested & out],
                                     minlength=n)
                grown = False
                for p in np.flatnonzero((pooled > 0) & (pooled < min_cell)).tolist():
                    options = np.flatnonzero(nested & ~out & (parent == p))
                    if len(options):
                        out[options[np.argmin(groups.users[options])]] = True
                        grown = changed = True
                if not grown:
                    break
    return _NESTED.put(model, out, key).copy()
