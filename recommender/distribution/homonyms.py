"""Cities of one name in several regions, told apart by their region: ``Springfield (North)``.

A breakdown by city grouped users by the city's name alone, so two towns of one name in two
regions (Springfield, Portland) were one row: their users, viewers and demand summed, their
cinemas' screens capping the row together, and the row nested in no region, so that a region's
total less its cities (and the other town's share, worked out the same way) gave a small
town's figures that ``places.place_merges`` pools. Where the users name one city in several
regions, each of its places is labelled ``CITY (REGION)``; a name in one region only, and a
user of such a city without a region, keep the name as it is. A cinema table's rows are
labelled by the same rule (``table_places``), so that each such place is capped by the
screens of its own region's cinemas.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import REGION
from recommender.io.places import CITY, Cinemas
from recommender.model.model import Model


def qualified(city: NDArray[np.str_], region: NDArray[np.str_], names: NDArray[np.str_]
              ) -> NDArray[np.str_]:
    """``city``, with ``" (REGION)"`` after each of ``names`` that has a region."""
    city, region = np.asarray(city, dtype=str), np.asarray(region, dtype=str)
    tell = np.isin(city, names) & (np.char.strip(region) != "")
    if not tell.any():
        return city
    return np.where(tell, np.char.add(np.char.add(np.char.add(city, " ("), region), ")"), city)


def homonym_names(city: NDArray[np.str_], region: NDArray[np.str_]) -> NDArray[np.str_]:
    """The city names (not blank) given with more than one region (not blank)."""
    city, region = np.asarray(city, dtype=str), np.asarray(region, dtype=str)
    both = (np.char.strip(city) != "") & (np.char.strip(region) != "")
    if not both.any():
        return np.zeros(0, dtype=str)
    cities, c = np.unique(city[both], return_inverse=True)
    regions, r = np.unique(region[both], return_inverse=True)
    pairs = np.unique(c.ravel().astype(np.int64) * len(regions) + r.ravel())
    return cities[np.bincount(pairs // len(regions), minlength=len(cities)) > 1]


def place_values(model: Model, by: str) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Each user's value of the place attribute ``by``, as the breakdown names its places
    (cities told apart by region, module docstring), and the city names told apart."""
    attributes = model.user_table.attributes
    values = np.asarray(attributes[by], dtype=str)
    if by != CITY or REGION not in attributes:
        return values, np.zeros(0, dtype=str)
    region = np.asarray(attributes[REGION], dtype=str)
    names = homonym_names(values, region)
    return (qualified(values, region, names) if len(names) else values), names


def table_places(cinemas: Cinemas, by: str, names: NDArray[np.str_]) -> NDArray[np.str_]:
    """Each cinema table row's place for ``by``, labelled as the users' (``place_values``)."""
    column = cinemas.column(by)
    return qualified(column, cinemas.region, names) if by == CITY and len(names) else column


def screens_in(cinemas: Cinemas, places: NDArray[np.str_], labels: NDArray[np.str_]
               ) -> NDArray[np.int64]:
    """The screens of the table's cinemas in each of ``labels``, each row in its place of
    ``places`` (``table_places``; 0 for a label no row names)."""
    names, code = np.unique(np.asarray(places, dtype=str), return_inverse=True)
    sums = np.zeros(len(names), np.int64)
    np.add.at(sums, code.ravel(), cinemas.screens)
    want = np.asarray(labels, dtype=str)
    if not len(names):
        return np.zeros(len(want), np.int64)
    pos = np.clip(np.searchsorted(names, want), 0, len(names) - 1)
    return np.where(names[pos] == want, sums[pos], 0).astype(np.int64)
