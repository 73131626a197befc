"""Cities of one name in several regions, told apart by their region: ``Springfield (North)``.

A breakdown by city grouped users by the city's name alone, so two towns of one name in two
regions (Springfield, Portland) were one row: their users, viewers and demand summed, their
cinemas' screens capping the row together, and the row nested in no region, so that a region's
total less its cities (and the other town's share, worked out the same way) gave a small
town's figures that ``places.place_merges`` pools. Where the users name one city in several
regions, each of its places is labelled ``CITY (REGION)``; a name in one region only, and a
user of such a city without a region, keep the name as it is. A cinema table's rows are
labelled by the same rule (``table_places``), so that each such place is capped by the
screens of its own region's cinemas; and a row of a city the users name in other regions
only is ``CITY (REGION)`` too, a place no user names (its screens capped the users' town of
that name, in another region).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import REGION
from recommender.io.places import CITY, Cinemas
from recommender.io.text import plural
from recommender.model.model import Model
from recommender.query.cities import homonym_names, qualified


def place_values(model: Model, by: str
                 ) -> tuple[NDArray[np.str_], NDArray[np.str_], NDArray[np.str_]]:
    """Each user's value of the place attribute ``by``, as the breakdown names its places
    (cities told apart by region, module docstring), the city names told apart, and every
    ``CITY (REGION)`` the users give (both not blank; for ``table_places``)."""
    attributes = model.user_table.attributes
    values = np.asarray(attributes[by], dtype=str)
    none = np.zeros(0, dtype=str)
    if by != CITY or REGION not in attributes:
        return values, none, none
    region = np.asarray(attributes[REGION], dtype=str)
    names = homonym_names(values, region)
    both = (np.char.strip(values) != "") & (np.char.strip(region) != "")
    pairs = np.unique(qualified(values[both], region[both], np.unique(values[both])))
    return (qualified(values, region, names) if len(names) else values), names, pairs


def _regions_of(pairs: NDArray[np.str_], region: NDArray[np.str_]) -> NDArray[np.bool_]:
    """Which of ``region`` some ``CITY (REGION)`` of ``pairs`` ends with (a region the users
    give, as they spell it)."""
    names = np.unique(np.asarray(region, dtype=str))
    ends = np.char.add(np.char.add(" (", names), ")")
    given = np.array([bool(np.char.endswith(pairs, e).any()) for e in ends.tolist()], bool)
    return np.isin(region, names[given]) if len(names) else np.zeros(len(region), bool)


def table_places(cinemas: Cinemas, by: str, names: NDArray[np.str_],
                 pairs: NDArray[np.str_] | None = None) -> NDArray[np.str_]:
    """Each cinema table row's place for ``by``, labelled as the users' (``place_values``):
    a row of a city the users name in other regions only (none of ``pairs``, the users'
    ``CITY (REGION)``) is its own ``CITY (REGION)``, a place no user names."""
    column = cinemas.column(by)
    if by != CITY:
        return column
    full = qualified(column, cinemas.region, np.unique(column))  # each row with a region
    told = np.isin(column, names) & (full != column)
    if pairs is not None and len(pairs):
        regional = np.isin(full, np.asarray(pairs, dtype=str))
        # a city users name with a region, in another region they give (a table that
        # spells its regions otherwise than the users, "IL" for "Illinois", is left as it is)
        cities = np.unique(column[(full != column) & regional])
        told |= ((full != column) & ~regional & np.isin(column, cities)
                 & _regions_of(pairs, cinemas.region))
    return np.where(told, full, column) if told.any() else column


def untold_rows(cinemas: Cinemas, by: str, names: NDArray[np.str_]) -> NDArray[np.bool_]:
    """The table's rows of a city the users name in several regions (``names``) that give no
    region (a ``cinema_id,city,screens`` table): which town each is is not known, so they cap
    no place (they capped the users of that name who give no region, whose town is not known
    either, while its towns got none)."""
    if by != CITY or not len(names):
        return np.zeros(len(cinemas), np.bool_)
    return np.isin(cinemas.city, names) & (np.char.strip(cinemas.region) == "")


def untold_idle(cinemas: Cinemas, untold: NDArray[np.bool_]) -> str:
    """What ``capped_by`` says of the ``untold_rows``' screens ("" for none)."""
    if not untold.any():
        return ""
    cities = ", ".join(repr(c) for c in np.unique(cinemas.city[untold])[:3].tolist())
    return (f"; {plural(int(cinemas.screens[untold].sum()), 'screen', sep=',')} of "
            f"{plural(int(untold.sum()), 'cinema', sep=',')} in {cities} cannot be used (no region "
            "tells which town's they are)")


def untold_towns(labels: NDArray[np.str_], missing: NDArray[np.bool_],
                 towns: NDArray[np.str_], cinemas: Cinemas, untold: NDArray[np.bool_],
                 table: str, keep: NDArray[np.intp]) -> tuple[NDArray[np.bool_], str | None]:
    """Of the places ``missing`` from the table, the towns (``CITY (REGION)`` of ``towns``,
    the users' pairs) of the cities of ``untold_rows``, and the warning saying why they get
    no screens (None when there are none; it names those shown as rows, ``keep``, and counts
    the pooled ones)."""
    cities = np.unique(cinemas.city[untold])
    mine = np.zeros(len(labels), np.bool_)
    for city in cities.tolist():
        mine |= np.char.startswith(labels, f"{city} (")
    mine &= missing & np.isin(labels, towns)
    if not mine.any():
        return mine, None
    shown = ", ".join(repr(c) for c in cities[:3].tolist())
    named = ", ".join(repr(p) for p in labels[keep][mine[keep]][:3].tolist())
    n = int(mine.sum())
    cinemas_there = plural(int(untold.sum()), "cinema", sep=",")
    return mine, (f"{table} gives no region for its {cinemas_there} in "
                  f"{shown}, a city users name in several regions: which town's they are is "
                  f"not known, so {plural(n, 'city', 'cities', sep=',')}"
                  f"{f' ({named})' if named else ''}"
                  f" get{'s' if n == 1 else ''} no screens")
