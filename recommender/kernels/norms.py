"""The longest row of a factor matrix, read in blocks of rows.

``np.linalg.norm`` of a whole (users x factors) float32 matrix made two float64 copies of it
(75 MB each at 138,000 users x 64 factors) for one number; by blocks of rows every row's norm
is the same float64 sum, so the largest is the same to the bit, NaN included.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: rows per block (8,192 rows x 64 factors x 8 bytes: 4 MB of float64)
BLOCK_ROWS = 8192


def largest_norm(x: NDArray[np.floating], block: int = BLOCK_ROWS) -> float:
    """``float(np.max(np.linalg.norm(np.asarray(x, np.float64), axis=1), initial=0.0))`` of a
    2-D ``x``, computed a block of rows at a time: NaN when a row's norm is NaN, 0 for no
    rows."""
    tops = [np.max(np.linalg.norm(np.asarray(x[at:at + block], np.float64), axis=1),
                   initial=0.0) for at in range(0, len(x), block)]
    return float(np.max(np.asarray(tops, np.float64), initial=0.0))
