"""Plan rows and events as (film, user) pair keys, and which rows converted in a window."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray


def conversions(rows: pa.Table, user_id: NDArray[np.str_], film_id: NDArray[np.str_],
                timestamp: NDArray[np.int64], *windows: tuple[int, int]
                ) -> list[NDArray[np.bool_]]:
    """Per window ``(start, end)``: True for each plan row with an event of its (film, user)
    in ``[start, end)`` (the rows' and events' keys built once for every window)."""
    keys, row_keys = pair_keys(film_id, user_id), row_pair_keys(rows)
    return [np.isin(row_keys, keys[(timestamp >= start) & (timestamp < end)])
            if len(row_keys) else np.zeros(0, bool) for start, end in windows]


def pair_keys(film_id: NDArray[np.str_], user_id: NDArray[np.str_]) -> NDArray[np.str_]:
    """One key per (film, user) pair: the film id, a NUL byte, the user id."""
    return np.char.add(np.char.add(np.asarray(film_id, str), "\x00"), np.asarray(user_id, str))


def row_pair_keys(rows: pa.Table) -> NDArray[np.str_]:
    """``pair_keys`` of plan rows."""
    return pair_keys(np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str),
                     np.asarray(rows.column("user_id").to_numpy(zero_copy_only=False), str))
