"""Sharing out whole screens in proportion to demand: largest remainder, with per-place caps.

``largest_remainder(weights, total, caps)`` gives each place ``total * w / sum(w)`` screens
rounded down, then hands the screens left over, one each, to the places with the largest
fractional parts (ties: larger weight, then lower index), so the allocation sums to ``total``
exactly (Hamilton's method). With caps (a cinema's screens), a place whose quota reaches its cap
gets the cap and the rest is shared again among the others, until no quota exceeds its cap.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.text import plural


def largest_remainder(weights: NDArray[np.floating], total: int,
                      caps: NDArray[np.integer] | None = None) -> NDArray[np.int64]:
    """``total`` whole units shared out over ``len(weights)`` places (see the module docstring).

    ``weights`` are >= 0 with a positive sum; ``caps`` (>= 0 integers) bound each place. When
    the places that are still below their cap all have zero weight, the units left are shared
    by remaining capacity. Raises ``InvalidParameterError`` when ``total`` < 0, the weights sum
    to 0, or the caps hold fewer than ``total`` units.
    """
    w = np.asarray(weights, np.float64)
    n = len(w)
    if total < 0:
        raise InvalidParameterError(f"the number of screens must be >= 0, got {total}")
    if n == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InvalidParameterError("there is no expected demand to share screens by")
    cap = (np.full(n, np.inf) if caps is None
           else np.asarray(caps, np.int64).astype(np.float64))
    if cap.sum() < total:
        raise InvalidParameterError(
            f"screens={total} is more than the {plural(int(cap.sum()), 'screen')} the "
            "cinemas hold")
    alloc = np.zeros(n, np.int64)
    free = cap > 0
    remaining = total
    quota = np.zeros(n)
    while remaining > 0 and free.any():
        base = np.where(free, w, 0.0)
        if base.sum() <= 0:  # only zero-demand places have room left: fill by capacity
            base = np.where(free, cap, 0.0)
        quota = np.where(free, remaining * base / base.sum(), 0.0)
        over = free & (quota >= cap)
        if not over.any():
            break
        alloc[over] = cap[over].astype(np.int64)
        remaining -= int(cap[over].sum())
        free &= ~over
        quota = np.zeros(n)
    if remaining > 0:
        floor = np.floor(quota)
        alloc[free] += floor[free].astype(np.int64)
        left = remaining - int(floor[free].sum())
        # rounded, so that remainders equal in exact arithmetic tie (1/3 computed two ways
        # differs in its last bit) and the documented tie rule decides, not float noise
        frac = np.round(np.where(free, quota - floor, -1.0), 9)
        order = np.lexsort((np.arange(n), -w, -frac))
        alloc[order[:left]] += 1
    return alloc
