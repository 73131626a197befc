"""A model's users grouped by a place attribute, and the cinema table that caps screens.

``place_groups(model, by)`` checks ``by`` (a place attribute the model's users have) and codes
every user by its value once per model and attribute (kept while the model lives), with each
place's users and training interactions, so a film's demand by place is one ``np.bincount``.
A user whose value is empty (e.g. one who arrived through campaign events, with no attributes)
is in no place: coded ``len(labels)``, counted apart, never pooled with a real place. A city
name the users give in several regions is one place per region (``homonyms``).

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.distribution.homonyms import place_values
from recommender.errors import InvalidParameterError
from recommender.io.places import CINEMAS_FILE, PLACE_ATTRIBUTES, Cinemas, read_cinemas
from recommender.io.project import ZIP_COLUMNS
from recommender.model import layout
from recommender.model.kept import Kept
from recommender.model.model import Model
from recommender.query.privacy import OTHER, merged_cells
from recommender.query.typos import near_name


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
    homonyms: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype=str))
    """City names in several regions, whose places are ``CITY (REGION)`` (``homonyms``)."""
    city_regions: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, dtype=str))
    """Every ``CITY (REGION)`` the users give (``homonyms.table_places``)."""

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
    """``by`` (any case, surrounding blanks ignored, as every name is: a tier, a segment, a
    filter) as the model's place attribute; else ``InvalidParameterError`` saying what is
    wrong in one sentence, its ``param`` ``by`` (the service's 422 ``loc``: ``["query",
    "by"]`` when the default was used too, which the words alone left at ``["query"]``)."""
    have = place_attributes(model)
    # none at all: say how a model gets them (a log without users.csv, FilmTrust's, was told
    # "its place attributes are: none" and nothing more)
    listed = ", ".join(have) if have else (
        f"none ({', '.join(PLACE_ATTRIBUTES)} are columns of the users file: train with a "
        "users.csv or users.parquet beside the log, or --users FILE, holding one)")
    if by.strip().lower() in have:
        return by.strip().lower()
    if by in model.user_table.attributes:
        raise InvalidParameterError(
            f"by={by!r} is not a place attribute; use one of this model's place attributes "
            f"({listed})", param="by")
    # a misspelt column of the users file (cinmea) is an attribute of the model: name it
    sources = set(ZIP_COLUMNS) | set(model.user_table.derived.values())  # zip_code: region's
    near = near_name(by, [a for a in model.user_table.attributes
                          if a not in have and a not in sources])
    meant = "" if near is None else (
        f" (did you mean {near!r}? a users-file column the model keeps as an attribute; "
        f"rename it {by.strip().lower()!r} and train again to group by it)"
        if by.strip().lower() in PLACE_ATTRIBUTES else f" (did you mean {near!r}?)")
    if by in PLACE_ATTRIBUTES:
        raise InvalidParameterError(
            f"by={by!r}: this model's users have no {by!r} attribute{meant}; its place "
            f"attributes are: {listed}", param="by")
    near_place = near_name(by, have)
    raise InvalidParameterError(
        f"by={by!r} is not a user attribute of this model"
        f"{meant if near_place is None else f' (did you mean {near_place!r}?)'}; its place "
        f"attributes are: {listed}", param="by")


def place_groups(model: Model, by: str) -> PlaceGroups:
    """The users of ``model`` grouped by the place attribute ``by`` (checked; cached)."""
    by = check_place(model, by)
    hit = _CACHE.get(model, by)
    if hit is not None:
        return hit
    values, homonyms, pairs = place_values(model, by)  # a city's name in two regions: two places
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
                         int(users[k]), int(viewing[k]), homonyms, pairs)
    return _CACHE.put(model, groups, by)


def check_placed(model: Model, groups: PlaceGroups, viewers: int | None = None) -> None:
    """Refuse a breakdown by an attribute no user has a value of (a users file whose ids match
    none of the log's, ``0001`` for ``1``): its head read "0 viewers + 0.0 expected new" of a
    film with hundreds, only its footer saying why. ``viewers``: the film's, said."""
    if len(groups.labels):
        return
    seen = "" if viewers is None else f" (the film's {viewers:,} viewers among them)"
    raise InvalidParameterError(
        f"by={groups.by!r}: none of the {model.n_users:,} users of this model has a "
        f"{groups.by}{seen}, so there is no place to break demand down by (nor to share "
        "screens among); train with a users file whose user_id values are the log's (train "
        "warns when few match)")


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


def nested_merge(model: Model, groups: PlaceGroups, merge: NDArray[np.bool_], min_cell: int
                 ) -> NDArray[np.bool_]:
    """``merge`` (the places of ``groups`` pooled into "other") grown so that another place
    attribute's breakdown cannot undo it: a place all of whose users share one value of
    another attribute (a city within its region, a cinema within its city) is nested in it,
    and that value's total less its shown nested places would be the merged ones. Wherever
    the merged places nested in one value hold some users but fewer than ``min_cell``, the
    smallest other place nested there is merged too, until none does. Not kept: its caller,
    ``place_merges``, keeps what it builds from it."""
    out = np.array(merge, bool)
    parents = [(parent_codes(model, groups, attr), len(place_groups(model, attr).labels))
               for attr in place_attributes(model) if attr != groups.by]
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
    return out


_PARENTS: Kept[NDArray[np.int64]] = Kept()  # by (attribute, parent attribute)


def parent_codes(model: Model, groups: PlaceGroups, attr: str) -> NDArray[np.int64]:
    """Per place of ``groups``, the code of the one value of the place attribute ``attr`` all
    its users share (the place is nested in it), else -1 (users in several, or with none)."""
    key = (groups.by, attr)
    hit = _PARENTS.get(model, key)
    if hit is not None:
        return hit
    other = place_groups(model, attr)
    k, n = len(groups.labels), len(other.labels)
    placed = groups.codes < k
    lo = np.full(k, n, np.int64)
    hi = np.full(k, -1, np.int64)
    np.minimum.at(lo, groups.codes[placed], other.codes[placed])
    np.maximum.at(hi, groups.codes[placed], other.codes[placed])
    return _PARENTS.put(model, np.where((lo == hi) & (lo < n), lo, -1), key)  # n: no value


_MERGES: Kept[dict[str, NDArray[np.bool_]]] = Kept()  # by min_cell


def place_merges(model: Model, min_cell: int) -> dict[str, NDArray[np.bool_]]:
    """Per place attribute of ``model``, the places its breakdown pools into "other": the
    small ones (``merged_cells``), grown by ``nested_merge``, and grown together so that no
    breakdown undoes another's pooling. A place is known when shown, or when its users are
    exactly those of known places of another attribute nested in it (a city whose one
    cinema is shown). Where the known places of a pool that can be worked out (the "other"
    row, or the pooled places nested in one value of another attribute: a region's total
    less its shown cities) leave the rest of it some users but fewer than ``min_cell``, the
    smallest known one is made unknown: the smallest shown place nested in it of an
    attribute that makes it known is pooled (all the places nested in it, when none is
    shown), until no such rest is left. Kept while the model lives."""
    key = int(min_cell)
    hit = _MERGES.get(model, key)
    if hit is not None:
        return {a: v.copy() for a, v in hit.items()}
    attrs = place_attributes(model)
    groups = {a: place_groups(model, a) for a in attrs}
    merges = {a: nested_merge(model, g, merged_cells(g.users, key, always=g.labels == OTHER),
                              key) for a, g in groups.items()}
    inside = {(a, b): parent_codes(model, groups[b], a) for a in attrs for b in attrs if a != b}
    for _ in range(sum(len(g.labels) for g in groups.values()) + 1):  # each round pools one
        grow = _unknow(groups, merges, inside, _known(groups, merges, inside), key)
        if not grow:
            break
        for b, more in grow.items():
            merges[b] = nested_merge(model, groups[b], merges[b] | more, key)
    return {a: v.copy() for a, v in _MERGES.put(model, merges, key).items()}


Inside = dict[tuple[str, str], NDArray[np.int64]]
"""Per (a, b): each place of b's one place of a (it is nested in it), or -1."""


def _covered(groups: dict[str, PlaceGroups], inside: Inside, a: str, b: str,
             known: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The places of ``a`` whose users are exactly those of ``known`` places of ``b`` nested
    in them (each place of ``a`` with users, at least one such place of ``b``)."""
    ga, gb, where = groups[a], groups[b], inside[(a, b)]
    nested = where >= 0
    k = len(ga.labels)
    held = np.bincount(where[nested], weights=gb.users[nested], minlength=k)
    unknown = np.bincount(where[nested], weights=~known[nested], minlength=k)
    return (held == ga.users) & (unknown == 0) & (ga.users > 0)


def _known(groups: dict[str, PlaceGroups], merges: dict[str, NDArray[np.bool_]],
           inside: Inside) -> dict[str, NDArray[np.float64]]:
    """Per attribute, the round in which each place's users can be counted from the
    breakdowns: 0 for the shown ones, r for those covered (``_covered``) by places of
    another attribute known before round r; inf for the others."""
    rank = {a: np.where(m, np.inf, 0.0) for a, m in merges.items()}
    r = 0
    while True:
        r += 1
        before = {a: np.isfinite(v) for a, v in rank.items()}
        new = False
        for a, b in inside:
            fresh = _covered(groups, inside, a, b, before[b]) & ~before[a] & np.isinf(rank[a])
            if fresh.any():
                rank[a][fresh] = r
                new = True
        if not new:
            return rank


def _unknow(groups: dict[str, PlaceGroups], merges: dict[str, NDArray[np.bool_]],
            inside: Inside, rank: dict[str, NDArray[np.float64]], min_cell: int
            ) -> dict[str, NDArray[np.bool_]]:
    """One more place to pool so that a known pooled place stops leaving a small rest of a
    pool (``place_merges``), as {attribute: flags}; empty when none does."""
    for a, ga in groups.items():
        pooled = merges[a]
        known = np.isfinite(rank[a])
        mine = pooled & known
        if not mine.any():
            continue
        parts = [pooled]  # the "other" row; then the pooled places nested in one value
        for c in groups:
            if c != a:
                parent = inside[(c, a)]
                parts += [pooled & (parent == v) for v in np.unique(parent[mine]) if v >= 0]
        for part in parts:
            left = int(ga.users[part & ~known].sum())
            if 0 < left < min_cell:
                w = int(np.flatnonzero(part & mine)[np.argmin(ga.users[part & mine])])
                return _unknow_place(groups, inside, rank, a, w)
    return {}


def _unknow_place(groups: dict[str, PlaceGroups], inside: Inside,
                  rank: dict[str, NDArray[np.float64]], a: str, w: int
                  ) -> dict[str, NDArray[np.bool_]]:
    """The shown place to pool that undoes one reason place ``w`` of ``a`` is known: of an
    attribute whose places nested in ``w``, all known earlier, hold its users, the smallest
    shown one, else (all pooled, known through finer places) the same for the smallest of
    them; the rounds fall at each step, so it ends at a shown place."""
    for b in groups:
        if b == a:
            continue
        under = inside[(a, b)] == w
        earlier = rank[b] < rank[a][w]
        if not _covered(groups, inside, a, b, earlier)[w]:
            continue
        shown = np.flatnonzero(under & (rank[b] == 0))
        if len(shown):
            out = np.zeros(len(under), bool)
            out[shown[np.argmin(groups[b].users[shown])]] = True
            return {b: out}
        held = np.flatnonzero(under)
        return _unknow_place(groups, inside, rank, b, int(held[np.argmin(groups[b].users[held])]))
    # not reached (a place known after round 0 has such an attribute); all nested in it
    return {b: inside[(a, b)] == w for b in groups if b != a}
