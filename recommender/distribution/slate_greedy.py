"""A slate whose films have no bound: each cinema's screens to its cheapest pieces, exactly.

Without a film's minimum or maximum the slate's programme (``slate.solve``) has one row per
cinema and nothing else, so it separates: each cinema fills its screens from the pieces of
its films' convex costs in the order of their slopes (a piece is a run of screens of one cost:
up to the target's floor, its one fractional screen, past its ceiling), the optimum of each
cinema's own programme and so of the whole. The tie-break in the costs makes the pieces'
costs differ within a cinema, so the optimum is the one vertex the dual simplex reached; this
is O(cinemas x films log films), where the simplex took about one pivot per ten variables,
each over the whole programme (2,000 cinemas x 50 films: 26 s on a 2-core machine).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def by_cinema(cost: NDArray[np.float64], bounds: NDArray[np.float64],
              screens: NDArray[np.float64], n_c: int, n_f: int) -> NDArray[np.int64]:
    """The cinemas x films screens: ``cost`` and ``bounds`` are the programme's, three pieces
    of ``n_c * n_f`` cells each (piece, cinema, film order); each cinema takes ``screens`` of
    its pieces' units, the cheapest first (ties: the earlier piece, then the earlier film)."""
    c = cost.reshape(3, n_c, n_f).transpose(1, 0, 2).reshape(n_c, 3 * n_f)
    b = bounds.reshape(3, n_c, n_f).transpose(1, 0, 2).reshape(n_c, 3 * n_f)
    order = np.argsort(c, axis=1, kind="stable")
    size = np.take_along_axis(b, order, axis=1)
    before = np.cumsum(size, axis=1) - size
    took = np.clip(screens[:, None] - before, 0.0, size)
    x = np.zeros((n_c, 3 * n_f))
    np.put_along_axis(x, order, took, axis=1)
    return np.rint(x.reshape(n_c, 3, n_f).sum(axis=1)).astype(np.int64)
