"""Pseudonymised exports keep no user findable by the attribute columns they carry.

A pseudonym hides a user's id, but the ``with`` columns beside it (age, gender, occupation,
cinema...) may single the user out: on the demo's 3,000 users, 89% are the only ones with
their age, gender, occupation and cinema, so anyone who knows those of a person finds that
person's row in a "pseudonymised" list. ``check_linkable`` refuses such an export: each user
it lists must share the combination of its user-attribute columns with at least
``min_cell`` users of the model (the minimum cell size of every other answer), counted over
all the model's users (not only those listed, so that the rule does not depend on the page).
The refusal names how many users fall short and the largest set of the asked columns that
leaves none. Rows cut by attribute filters carry the filtered attributes too (every user
listed holds the filter's value), so ``check_filtered`` counts them with the columns: a
filter on age, gender, occupation and cinema listed a class of one user by pseudonym with no
column at all. Not covered: two exports with different columns joined on their pseudonyms (the
same key gives the same pseudonym), which together may single users out (README, Security).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.columns import REGION
from recommender.io.places import CITY
from recommender.model.kept import Kept
from recommender.model.min_cell import min_cell_from_env
from recommender.model.model import Model
from recommender.query.cities import city_labels

MAX_SUGGESTED = 8  # columns searched for a suggestion (2^8 subsets at most)
_SIZES: Kept[NDArray[np.int64]] = Kept()


def class_sizes(model: Model, attributes: Sequence[str]) -> NDArray[np.int64]:
    """For each of the model's users, how many of its users share their values of
    ``attributes`` (an unknown value, "", counts as a value); kept per model and set of
    attributes (in any order), for the combinations asked of an export. The subsets a
    suggestion tries (``safe_columns``) are counted afresh (``_sizes``): kept, each would
    hold a users-long array for the model's life."""
    key = tuple(sorted(set(attributes)))
    kept = _SIZES.get(model, key)
    return kept if kept is not None else _SIZES.put(model, _sizes(model, key), key)


def _sizes(model: Model, attributes: Sequence[str]) -> NDArray[np.int64]:
    """``class_sizes`` without the keeping."""
    table = model.user_table.attributes
    codes = np.zeros(len(table[attributes[0]]) if attributes else model.n_users, np.int64)
    for name in attributes:  # one dense code per combination, column by column
        _, col = np.unique(np.asarray(table[name]), return_inverse=True)
        _, codes = np.unique(codes * (int(col.max(initial=0)) + 1) + col, return_inverse=True)
    counts = np.bincount(codes, minlength=1)
    return counts[codes].astype(np.int64)


def check_linkable(model: Model, columns: Sequence[str], users: NDArray[np.integer],
                   min_cell: int, filtered: Sequence[str] = (),
                   listed: str = "rows name users who") -> None:
    """``InvalidParameterError`` when some of ``users`` (the rows' user indices) share the
    values of ``columns``' user attributes, and of the ``filtered`` ones (attributes the rows
    were cut by: ``check_filtered``), with fewer than ``min_cell`` of the model's users.
    ``listed`` words what ``users`` are in the message ("users this export may list")."""
    attributes = model.user_table.attributes
    fixed = [c for c in dict.fromkeys(filtered) if c in attributes]
    attrs = [c for c in dict.fromkeys(columns) if c in attributes and c not in fixed]
    users = np.asarray(users, np.int64)
    if not (attrs or fixed) or not len(users):
        return
    short = class_sizes(model, [*fixed, *attrs])[users] < min_cell
    small = int(short.sum())
    if not small:
        return
    # users the model learnt from events (or without a profile) have no values: "" is a value
    blank = int(np.logical_or.reduce([np.asarray(attributes[a])[users[short]] == ""
                                      for a in (*fixed, *attrs)]).sum())
    what = " and ".join(([f"the {', '.join(fixed)} the rows are filtered by"] if fixed else [])
                        + ([f"their {', '.join(attrs)}"] if attrs else []))
    if fixed and (class_sizes(model, fixed)[np.unique(users)] < min_cell).any():
        hint = "filter on fewer or coarser attributes"
    else:
        fewer = safe_columns(model, attrs, np.unique(users), min_cell, fixed)
        hint = "ask for fewer or coarser columns" + (
            f" (keeping only {', '.join(fewer)} singles none out)" if fewer else
            " (each of them alone singles some out)" if len(attrs) > 1 else
            f" ({attrs[0]} singles some out)" if not fixed else
            f" ({attrs[0]} singles some out beside the filter)")
    unknown = (f" ({blank:,} of them with no value for some of these: users without a "
               "profile, e.g. new from campaign events, are few)" if blank else "")
    raise InvalidParameterError(
        f"{small:,} of the {len(users):,} {listed} share {what} with fewer than {min_cell} "
        f"users of the model (the minimum cell size, RECOMMENDER_MIN_CELL){unknown}: a "
        "pseudonymised list with these attributes could be linked back to them; "
        f"{hint}, or export without pseudonyms")


def check_filtered(model: Model, filters: Mapping[str, object] | None, columns: Sequence[str],
                   users: NDArray[np.integer], min_cell: int) -> None:
    """``check_linkable`` for pseudonymised rows cut by attribute ``filters`` (resolved
    names, ``filters.resolve_filters``): each row carries the filtered attributes as surely as
    a column (its user holds the filter's value), so they count with the user-attribute
    ``columns``; nothing without a filter (``render.with_columns`` checks the columns)."""
    if filters:
        check_linkable(model, columns, users, min_cell, filtered_attributes(model, filters))
        # the filter's own classes over every user it matches, listed or not: a page's total
        # and an empty page's note count them all (a pseudonymised page past the end, or of
        # a ring the filter missed, listed nobody, and its total of 1 told its recipients
        # about a class of 3 users)
        from recommender.query.filters import candidate_mask

        values = {a: v for a, v in filters.items() if v is not None}
        mask = candidate_mask(model, None, values) if values else None  # type: ignore[arg-type]
        if mask is not None:
            check_linkable(model, (), np.flatnonzero(mask), min_cell,
                           filtered_attributes(model, values), listed="users the filter matches")


def filtered_attributes(model: Model, filters: Mapping[str, object]) -> list[str]:
    """The attributes every row cut by ``filters`` (resolved names and values) holds: their
    names, and ``region`` beside ``city`` when a value is a town of a city of several regions
    (``Springfield (North)``, ``query.cities``): its users share city and region, a class the
    city alone overstates (a town of 3 users passed as a Springfield of 43)."""
    names = list(filters)
    values = filters.get(CITY)
    attributes = model.user_table.attributes
    if values is None or REGION in names or city_labels(model) is None:
        return names
    given = [values] if isinstance(values, str) else \
        [str(v) for v in values] if isinstance(values, Sequence) else []
    if given and not np.isin(np.asarray(given, str), np.asarray(attributes[CITY], str)).all():
        names.append(REGION)
    return names


def pseudonymous_cut(model: Model, filters: Mapping[str, str | Sequence[str]] | None,
                     columns: Sequence[str], users: NDArray[np.integer]) -> list[str]:
    """For a model whose users are pseudonyms (``pseudonym.pseudonymous_users``), the
    attributes ``filters`` cut the rows of ``users`` by (resolved), once ``check_filtered``
    passed at the environment's minimum cell size; [] for any other model."""
    if not model.meta.get("pseudonymized") or not filters:
        return []
    from recommender.query.filters import resolve_filters

    resolved = resolve_filters(model, filters)
    check_filtered(model, resolved, columns, users, min_cell_from_env())
    return filtered_attributes(model, resolved)  # a town's rows: its city and its region


def safe_columns(model: Model, attrs: Sequence[str], users: NDArray[np.int64],
                 min_cell: int, fixed: Sequence[str] = ()) -> list[str]:
    """The largest subset of ``attrs`` (``attrs`` itself when it passes; searched over the
    first ``MAX_SUGGESTED``; the first in their order on ties) under which every user of
    ``users`` shares their values, and those of the ``fixed`` attributes (a filter's), with
    at least ``min_cell`` of the model's users; [] when no column passes."""
    names = list(attrs)
    if not len(users) or (class_sizes(model, [*fixed, *names])[users] >= min_cell).all():
        return names
    names = names[:MAX_SUGGESTED]
    for size in range(len(names) - (len(names) == len(attrs)), 0, -1):
        for subset in combinations(names, size):
            if (_sizes(model, [*fixed, *subset])[users] >= min_cell).all():
                return list(subset)
    return []
