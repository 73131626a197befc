"""Cities of one name in several regions, told apart by their region: ``Springfield (North)``.

Where the users name one city in several regions, each of its towns is ``CITY (REGION)``
(a name in one region only, and a user of such a city without a region, keep the name as it
is). The distribution's places are labelled so (``recommender.distribution.homonyms``), and a
filter on ``city`` takes that label as well as the plain name (``--filter city="Springfield
(North)"``: that town's users; ``city=Springfield``: every Springfield's).
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import REGION
from recommender.io.places import CITY
from recommender.model.kept import Kept
from recommender.model.model import Model

# each user table's labels, or None where no city is told apart (kept while it lives): by the
# table, not the model, so a model derived from events of known users (serving.overlay, which
# keeps the base model's table) reads them, where per model each events poll's new model
# worked them out again at the next filtered request (about a second per million users)
_LABELS: Kept[tuple[NDArray[np.str_] | None]] = Kept()
# one worked out at a time (as query.titles builds its index): the service's request threads
# that filter on city at once after a reload each worked them out, where the lock of the cache
# before it made them wait for one
_WORKING = threading.Lock()


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


def city_labels(model: Model) -> NDArray[np.str_] | None:
    """Each user's city as the distribution names it (``CITY (REGION)`` for a city of several
    regions), or None when no city is told apart (no ``city`` or ``region``, or no such city);
    worked out once per user table."""
    table = model.user_table
    kept = _LABELS.get(table)
    if kept is not None:
        return kept[0]
    with _WORKING:
        kept = _LABELS.get(table)  # another thread's, worked out while this one waited
        if kept is not None:
            return kept[0]
        attributes = table.attributes
        city, region = attributes.get(CITY), attributes.get(REGION)
        labels = None
        if city is not None and region is not None and len(names := homonym_names(city, region)):
            labels = qualified(city, region, names)
        return _LABELS.put(table, (labels,))[0]
