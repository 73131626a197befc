"""Each user attribute's values coded once per user table: its sorted values and every user's code.

A portrait codes each attribute's values (``np.unique`` over every user's string) and a
filter lists an attribute's values the same way; worked out per request, the sorts took 2.1
to 2.6 s of CPU of each summary's portrait beside 2,000,000 users (age band, gender,
occupation and region; 0.09 s kept), the same answer each time. Kept by the user table, as
``attribute_values.shown_values`` are, so the models the service derives from events
of known users share them; the codes take the smallest unsigned type that holds them (one
byte a user for an attribute of up to 256 values).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.model.kept import Kept
from recommender.model.model import Model

Coded = tuple[NDArray[np.str_], NDArray[np.unsignedinteger]]

# each entry holds the column it coded: a table whose column was replaced (a test swaps one
# in and back) is coded again, not answered from the column it held before
_CODES: Kept[tuple[object, Coded]] = Kept()


def attribute_codes(model: Model, name: str) -> Coded:
    """``np.unique(values, return_inverse=True)`` of the user attribute ``name`` (its values
    as strings, sorted, ``""`` for the users without one; each user's index into them), kept
    per user table and attribute; the arrays are read-only, shared by every caller."""
    table = model.user_table
    column = table.attributes[name]
    kept = _CODES.get(table, name)
    if kept is not None and kept[0] is column:
        return kept[1]
    uniq, inverse = np.unique(np.asarray(column, dtype=str), return_inverse=True)
    dtype = np.min_scalar_type(max(len(uniq) - 1, 0))
    codes = np.asarray(inverse, dtype).reshape(-1)
    for array in (uniq, codes):
        array.setflags(write=False)
    return _CODES.put(table, (column, (uniq, codes)), name)[1]
