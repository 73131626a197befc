"""The user attribute values an answer may name: those held by at least the minimum cell size.

``GET /users/attributes`` (``recommender attributes``), a filter's error (its valid values,
its "did you mean") and the schema's filter pattern list an attribute's values; a value held
by fewer than ``min_cell`` users (an email, a phone number, a rare occupation) is in none of
them, and each says how many values it leaves out and their users in all. A filter still
takes such a value typed exactly as the users file spells it (``filters.resolve_filters``),
and a list's ``with=`` columns carry every user's values: the hiding keeps a value from
being offered, not from a key holder (README, Privacy of attribute values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.io.places import CITY
from recommender.io.text import plural, value_order
from recommender.model.kept import Kept
from recommender.model.model import Model
from recommender.query.attribute_codes import attribute_codes
from recommender.query.cities import city_labels
from recommender.query.privacy import few, min_cell_from_env


@dataclass(frozen=True)
class Shown:
    """One attribute's values as answers may name them at one minimum cell size: ``values``
    (sorted, ``value_order``; a city's towns of at least ``min_cell`` users too), the
    attribute's own among them (``own``) and the towns (``towns``), the values left out
    (``hidden``: held by 1 to ``min_cell`` - 1 users each) and their users in all
    (``hidden_users``), and how many users have no value (``blank``)."""

    values: tuple[str, ...]
    own: tuple[str, ...]
    towns: tuple[str, ...]
    hidden: int
    hidden_users: int
    blank: int


# each user table's shown values per (attribute, minimum cell) (kept while it lives), with
# the column they were read from (one replaced in its table is read again, as
# ``attribute_codes`` codes it again): the Studio asks on each film page, and sorting a
# million distinct values cost 0.6 s of CPU
_SHOWN: Kept[tuple[object, Shown]] = Kept()


def shown_values(model: Model, name: str, min_cell: int) -> Shown:
    """The values of attribute ``name`` an answer may name at ``min_cell`` (kept per user
    table): vectorised over the coded column (``attribute_codes``), never a loop per user."""
    table = model.user_table
    column = table.attributes[name]
    kept = _SHOWN.get(table, (name, min_cell))
    if kept is not None and kept[0] is column:
        return kept[1]
    uniq, codes = attribute_codes(model, name)
    counts = np.bincount(codes, minlength=len(uniq)).astype(np.int64)
    value = uniq != ""
    rare = value & few(counts, min_cell)
    own = uniq[value & ~rare].tolist()
    towns: list[str] = []
    labels = city_labels(model) if name == CITY else None
    if labels is not None:  # Springfield (North): a town of enough users, as a filter takes it
        named, sizes = np.unique(labels, return_counts=True)
        towns = sorted(set(named[(sizes >= min_cell) & (named != "")].tolist()) - set(own))
    blank = int(counts[~value].sum())
    shown = Shown(tuple(value_order({*own, *towns})), tuple(value_order(own)), tuple(towns),
                  int(rare.sum()), int(counts[rare].sum()), blank)
    return _SHOWN.put(table, (column, shown), (name, min_cell))[1]


def held(model: Model, name: str, value: str) -> bool:
    """Whether some user holds ``value`` of attribute ``name`` exactly (a city's town
    label, ``Springfield (North)``, too): by a binary search of the sorted values."""
    known = known_values(model, name)
    i = int(np.searchsorted(known, value))
    if i < len(known) and known[i] == value:
        return True
    labels = city_labels(model) if name == CITY else None
    return value != "" and labels is not None and bool((labels == value).any())


def known_values(model: Model, name: str) -> NDArray[np.str_]:
    """Every value of attribute ``name`` users hold, shown or not (sorted, no blank): what a
    filter typed exactly is matched against."""
    uniq = attribute_codes(model, name)[0]
    return uniq[uniq != ""]


def hidden_text(shown: Shown, min_cell: int) -> str:
    """``"3 values held by fewer than 10 users each are not listed (12 users in all; a filter
    takes one typed exactly as the users file spells it)"``, or "" when none is."""
    if not shown.hidden:
        return ""
    in_all = f"{plural(shown.hidden_users, 'user', sep=',')} in all"
    return (f"{plural(shown.hidden, 'value', sep=',')} held by fewer than "
            f"{plural(min_cell, 'user', sep=',')} each {'is' if shown.hidden == 1 else 'are'} "
            f"not listed ({in_all}; a filter takes one typed exactly as the users file spells "
            "it)")


def user_attributes(model: Model, min_cell: int | None = None) -> dict[str, Any]:
    """``GET /users/attributes``: every user attribute and the values held by at least
    ``min_cell`` users (default ``RECOMMENDER_MIN_CELL``), sorted (no counts, as the schema's
    filter vocabulary lists them). A city named in several regions is listed as its towns
    too (``Springfield (North)``, ``recommender.query.cities``), as a filter takes them: the
    Studio's filter offered only the name, and dropped a town's bookmark.

    ``hidden_values``: per attribute, how many values hold fewer than ``min_cell`` users
    each and are left out of the list (``values``; a users file's email column: every one),
    and their users in all (``users``, always: a key holder works it out from the listed
    values' filtered totals anyway, so a null guarded nothing). A portrait leaves out the
    same values and, while they hold fewer than ``min_cell`` together, one more
    (``portrait.rare_values``).

    ``without_value``: per attribute, how many users have none (an empty cell of users.csv,
    no row there, a user new from campaign events), whom ``ATTRIBUTE=(no value)`` filters
    (``filters.NO_VALUE``); None when the minimum cell rule hides it: 1 to ``min_cell`` - 1
    users without a value, or, the model's user count being published, as few with one (as
    a film's segments hide the size less the count, ``viewer_segments``), or 1 to
    ``min_cell`` - 1 trained users without one beside users new from campaign events (their
    number is published too, as ``users_without_place`` hides their viewers). 0 and every
    user are shown: an empty cell names nobody, and the model's user count is published."""
    cell = min_cell_from_env() if min_cell is None else min_cell
    names = sorted(model.user_table.attributes)
    shown = [shown_values(model, name, cell) for name in names]
    blank = np.array([s.blank for s in shown], np.int64)
    some = (blank > 0) & (blank < model.n_users)  # none or all: the published user count
    # users new from campaign events have no value, and their number is published (GET
    # /health's store_events): 12 of them beside 3 trained users without a region showed 15
    added = int((model.meta.get("overlay") or {}).get("new_users") or 0)
    hidden = some & (few(blank, cell) | few(model.n_users - blank, cell)
                     | (added > 0) & few(blank - added, cell))
    return {"attributes": {name: list(s.values) for name, s in zip(names, shown, strict=True)},
            "hidden_values": {name: {"values": s.hidden, "users": s.hidden_users}
                              for name, s in zip(names, shown, strict=True)},
            "without_value": {name: None if h else int(n) for name, n, h in zip(
                names, blank.tolist(), hidden.tolist(), strict=True)},
            "min_cell": cell}
