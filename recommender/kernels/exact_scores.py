"""Whole score rows equal to ``ranking.exact_dots``, the audience's settled scores, bit for bit.

A film's audience settles its ranking on ``exact_dots`` (the float32 products summed in
float64 in numpy's order, rounded to float32). The planner's probabilities and every
distribution forecast rank all users, so they score them with ``exact_scores``: one float64
BLAS product (its summation order differs from numpy's by a few units in the last float64
place), and only the entries whose float32 rounding that difference could change are summed
again as ``exact_dots`` sums them. Users who tie in the audience tie here, and no others.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# unit roundoff of float64: any summation order of n products errs by at most about
# n * U64 * sum|x_i y_i| <= n * U64 * |x| |y|
U64 = 2.0**-53
ROWS_A_BLOCK = 4096  # rows converted to float64 at once (2 MiB at 64 factors)


def exact_scores(rows: NDArray[np.floating], vectors: NDArray[np.floating],
                 max_row_norm: float | None = None) -> NDArray[np.float32]:
    """``vectors @ rows.T`` (vectors x rows) as ``ranking.exact_dots`` computes each entry.

    ``max_row_norm``: a bound on the rows' Euclidean norms (``Model.max_user_norm``); the
    rows' largest norm when None. A float64 product gives every entry within ``slack`` of
    numpy's float64 sum; where ``value - slack`` and ``value + slack`` round to the same
    float32, numpy's sum rounds to it too (rounding is monotone), and the few other entries
    are summed again in numpy's order."""
    matrix = np.asarray(rows)
    v64 = np.atleast_2d(np.asarray(vectors, np.float64))
    n = matrix.shape[0]
    wide = np.empty((v64.shape[0], n), np.float64)
    vt = np.ascontiguousarray(v64.T)
    # a block of rows at a time, converted to float64 while it is in cache: at the ML-20M
    # shape (138k x 64) 16 ms a vector, where converting the whole matrix first took 42
    for start in range(0, n, ROWS_A_BLOCK):
        stop = min(n, start + ROWS_A_BLOCK)
        wide[:, start:stop] = (np.asarray(matrix[start:stop], np.float64) @ vt).T
    out = wide.astype(np.float32)
    if wide.size == 0:
        return out
    bound = (float(np.linalg.norm(np.asarray(matrix, np.float64), axis=1).max())
             if max_row_norm is None else float(max_row_norm))
    # both sums within (n + 1) * U64 * |x| |y| of the true one (products of float64
    # vectors rounded once more): twice their distance, for margin
    slack = (4.0 * (v64.shape[1] + 1) * U64 * bound) * np.linalg.norm(v64, axis=1)[:, None]
    redo = (wide - slack).astype(np.float32) != (wide + slack).astype(np.float32)
    b, u = np.nonzero(redo)
    if len(b):  # numpy's per-row sum of the same float64 products, as exact_dots takes it
        out[b, u] = (np.asarray(matrix[u], np.float64) * v64[b]).sum(axis=1)
    return out
