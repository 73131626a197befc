"""A slate's target screens: each cinema's screens shared by demand, within each film's bounds.

``_targets`` shares each cinema's screens among the films in proportion to their demand,
each film's demand scaled by the factor ``_weights`` finds to hold its total target within
its minimum and cap (sweeps of Newton's method, ``_factor``; a set of films tight together
takes the limit in ``slate_fit.fit``). ``slate.solve`` rounds the targets to whole screens.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.distribution.slate_fit import at_flat, fit, own_demand, plain_targets

WEIGHT_ROUNDS = 500  # sweeps over the bounded films' demand factors (``_weights``)
WEIGHT_TOLERANCE = 1e-12  # the largest change of a log factor in a sweep that ends them
FACTOR_LIMIT = 1e12  # the largest factor (and 1 / it the smallest) short of an infinite one


def _targets(demand: NDArray[np.float64], screens: NDArray[np.int64],
             weights: NDArray[np.float64] | None = None, lo: NDArray[np.int64] | None = None,
             hi: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Each cinema's screens shared in proportion to ``weights`` x demand (equally, by
    ``weights``, at a cinema without demand); where ``weights`` has infinite factors (a set of
    films tight together, ``_weights``) and the bounds are given, the limit of the fitting
    (``slate_fit.fit``), else those films share their cinemas by demand alone."""
    w = np.ones(demand.shape[1]) if weights is None else np.asarray(weights, np.float64)
    top = np.isinf(w)
    if top.any() and lo is not None and hi is not None:
        return _fit(demand, screens, lo, hi)[1]
    (own, flat), s = own_demand(demand), np.asarray(screens, np.float64)
    if not top.any():
        return plain_targets(own, s, w, flat) if len(own) else np.zeros(own.shape)
    t = np.zeros(own.shape)
    mine = (own[:, top] > 0).any(axis=1)
    t[np.ix_(mine, top)] = plain_targets(own[np.ix_(mine, top)], s[mine], np.ones(top.sum()),
                                         flat[mine])
    t[np.ix_(~mine, ~top)] = plain_targets(own[np.ix_(~mine, ~top)], s[~mine], w[~top],
                                           flat[~mine])
    return t


def _fit(demand: NDArray[np.float64], screens: NDArray[np.int64], lo: NDArray[np.int64],
         hi: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(``_weights``, the targets of its limit)."""
    own, flat = own_demand(demand)
    return fit(own, np.asarray(screens, np.float64), np.asarray(lo, np.float64),
               np.asarray(hi, np.float64), _sweep, flat)


def _weights(demand: NDArray[np.float64], screens: NDArray[np.int64],
             lo: NDArray[np.int64], hi: NDArray[np.float64]) -> NDArray[np.float64]:
    """The factor of each film's demand that holds its total target within its bounds: 1
    for a film the bounds leave alone, else the factor at which its total target meets the
    bound it is off, the others' factors held (``_factor``), film after film until none
    moves (the minimum over log factors of a convex function, sum over cinemas of screens x
    log(sum of factor x demand), less lo x log w above 1 and hi x log w below; at a cinema
    without demand a factor over 1 counts as 1, ``slate_fit.at_flat``, and each film's total
    still rises with its own factor, so the sweeps settle as before). Films whose
    minimums no finite factors meet together (their minimums add up to every screen of the
    cinemas where they have demand, or more: the convex function has no minimum, it falls
    as their log factors rise together) have infinite factors: ``slate_fit.fit`` takes the
    limit, those films take those screens and keep the finite ratios that meet their
    minimums. A cap no factor meets (a film alone in demand at more screens than its cap)
    stops at ``1 / FACTOR_LIMIT``, and the integer programme holds the bound."""
    return _fit(demand, screens, lo, hi)[0]


def _sweep(own: NDArray[np.float64], s: NDArray[np.float64], lo_f: NDArray[np.float64],
           hi_f: NDArray[np.float64], flat: NDArray[np.bool_]) -> NDArray[np.float64]:
    """``_weights`` where no set of films is tight: the sweeps of ``_factor`` (at the
    cinemas ``flat`` without demand the factors as ``slate_fit.at_flat`` has them)."""
    w = np.ones(own.shape[1])
    bounded = np.flatnonzero((lo_f > 0) | np.isfinite(hi_f))
    for _ in range(WEIGHT_ROUNDS):
        moved = 0.0
        # kept up to date film by film
        row = np.where(flat, own @ at_flat(w), own @ w) if len(own) else np.zeros(0)
        for j in bounded.tolist():
            at = np.flatnonzero(own[:, j] > 0)
            d, cap = own[at, j], flat[at]
            mine = d * np.where(cap, at_flat(w[j : j + 1])[0], w[j])
            new = _factor(s[at], d, np.maximum(row[at] - mine, 0.0), lo_f[j], hi_f[j],
                          float(w[j]), cap)
            row[at] += d * np.where(cap, at_flat(np.array([new]))[0], new) - mine
            moved = max(moved, abs(np.log(new / w[j])))
            w[j] = new
        if moved <= WEIGHT_TOLERANCE:
            break
    return w


def _factor(s: NDArray[np.float64], d: NDArray[np.float64], rest: NDArray[np.float64],
            lo: float, hi: float, w: float, flat: NDArray[np.bool_]) -> float:
    """The factor of one film whose total target ``sum s v d / (v d + rest)`` (over its
    cinemas with demand; ``min(v, 1)`` for ``v`` at those ``flat``, without any:
    ``slate_fit.at_flat``) meets the bound it is off at ``v = 1``, else 1: Newton's method on
    ``log v`` from ``w`` (the last sweep's), kept within a bracket that halves when a step
    leaves it, within ``FACTOR_LIMIT`` (the total grows with ``v``)."""

    def total(u: float) -> tuple[float, float]:  # the total at v = e^u, and its slope in u
        here = np.where(flat, min(u, 0.0), u)
        t = s * d / (d + rest * np.exp(-here))
        slope = np.where(flat & (u > 0), 0.0, t * (1.0 - t / s))
        return float(t.sum()), float(slope.sum())
    now = total(0.0)[0]
    if lo <= now <= hi:
        return 1.0
    limit = float(np.log(FACTOR_LIMIT))
    goal, a, b = (lo, 0.0, limit) if now < lo else (hi, -limit, 0.0)
    u = min(max(float(np.log(w)), a), b)
    for _ in range(200):
        value, slope = total(u)
        if abs(value - goal) <= 1e-12 * max(goal, 1.0) or b - a <= 1e-15:
            break
        a, b = (u, b) if value < goal else (a, u)
        step = u - (value - goal) / slope if slope > 0 else np.nan
        u = step if a < step < b else 0.5 * (a + b)
    return float(np.exp(u))
