"""Cities of one name in several regions, told apart by their region: ``Springfield (North)``.

Where the users name one city in several regions, each of its towns is ``CITY (REGION)``
(a name in one region only, and a user of such a city without a region, keep the name as it
is). The distribution's places are labelled so (``recommender.distribution.homonyms``), and a
filter on ``city`` takes that label as well as the plain name (``--filter city="Springfield
(North)"``: that town's users; ``city=Springfield``: every Springfield's).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import REGION
from recommender.io.places import CITY

# a model's users' labels, by the id of its city column, held while that column and the
# region column live (new users give new columns: computed again); arrays are unhashable
_LABELS: dict[int, tuple[weakref.ref[np.ndarray], weakref.ref[np.ndarray],
                         NDArray[np.str_] | None]] = {}
# the service's request threads read and prune it at once (a prune beside another thread's
# insert raised 'dictionary changed size during iteration', or a KeyError)
_LOCK = threading.Lock()


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


def city_labels(attributes: Mapping[str, NDArray[np.str_]]) -> NDArray[np.str_] | None:
    """Each user's city as the distribution names it (``CITY (REGION)`` for a city of several
    regions), or None when no city is told apart (no ``city`` or ``region``, or no such city);
    kept per city column, so a filter reads it once per model."""
    city, region = attributes.get(CITY), attributes.get(REGION)
    if city is None or region is None:
        return None
    with _LOCK:
        known = _LABELS.get(id(city))
        if known is not None and known[0]() is city and known[1]() is region:
            return known[2]
        names = homonym_names(city, region)
        labels = qualified(city, region, names) if len(names) else None
        for gone in [k for k, (c, r, _) in _LABELS.items() if c() is None or r() is None]:
            del _LABELS[gone]
        _LABELS[id(city)] = (weakref.ref(city), weakref.ref(region), labels)
        return labels
