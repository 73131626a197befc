"""The horizon of a calibrated probability, and stretching it to another number of days.

``p`` covers the held-out slice's span (``span_days``). ``activity_curve`` measures, on past
cuts of the training data, how known users' activity on known films grows with the horizon;
``scale`` stretches ``p`` along it: ``1 - (1 - p) ** horizon_factor(days)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

#: rows per block of ``activity_curve``'s histogram (its counts are summed over the blocks)
_BLOCK = 1 << 20
CURVE_STEPS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)


def activity_curve(user_idx: NDArray[np.integer], film_idx: NDArray[np.integer],
                   timestamp: NDArray[np.integer], n_users: int, n_films: int, days: float,
                   n_cuts: int = 12) -> dict[str, Any]:
    """How known users' activity grows with the horizon, measured on past cuts of the data.

    For cuts spread over the later half of the data, count the interactions, within D days
    after the cut, of users already seen before it on films already seen before it;
    ``ratio`` is that count at D against the count at ``days`` (the calibration horizon),
    pooled over the cuts with D days of data after them, for D = ``days`` x ``CURVE_STEPS``
    (those the data can measure). Users leave and new films take a share, so it grows more
    slowly than D / days.
    """
    ts = np.asarray(timestamp, np.int64)
    u = np.asarray(user_idx)
    f = np.asarray(film_idx)
    end = int(ts.max())
    first = np.full(n_users, np.iinfo(np.int64).max)
    np.minimum.at(first, u, ts)
    film_first = np.full(n_films, np.iinfo(np.int64).max)
    np.minimum.at(film_first, f, ts)
    h = days * 86400.0
    cuts = np.unique(np.quantile(ts, np.linspace(0.5, 1.0, n_cuts + 1)[:-1], method="lower"))
    cuts = cuts[cuts + h <= end]
    grid = np.asarray(CURVE_STEPS) * h
    counts = np.zeros((len(cuts), len(grid)))
    at_h = np.zeros(len(cuts))
    valid = np.zeros((len(cuts), len(grid)), bool)
    # the rows after the first cut
    after = cuts.min() if len(cuts) else end
    # one 2-D histogram instead of a sort: rows by (how many cuts precede known_at, how many
    # thresholds precede the timestamp), thresholds being every cut and cut + horizon
    edges = np.unique(np.r_[cuts.astype(np.float64),
                            (cuts[:, None] + np.r_[grid, h][None, :]).ravel()])
    width = len(edges) + 1
    # cuts before the time a row's user and film were both known: the later of the two counts
    # (searchsorted is monotone), found per user and per film instead of per row
    user_known = np.searchsorted(cuts, first, side="left")
    film_known = np.searchsorted(cuts, film_first, side="left")
    counts_flat = np.zeros((len(cuts) + 1) * width, np.int64)
    for at in range(0, len(ts), _BLOCK):  # by blocks of rows: no temporaries of the log's size
        block = ts[at:at + _BLOCK]
        late = block > after
        known_bin = np.maximum(user_known[u[at:at + _BLOCK][late]],
                               film_known[f[at:at + _BLOCK][late]])
        counts_flat += np.bincount(known_bin * width
                                   + np.searchsorted(edges, block[late], side="left"),
                                   minlength=len(counts_flat))
    hist = counts_flat.reshape(len(cuts) + 1, width)
    # cum[i, b]: rows known by cut i (known_at <= cuts[i]) with fewer than b thresholds < ts
    cum = np.zeros((len(cuts) + 1, width + 1), np.int64)
    np.cumsum(np.cumsum(hist, axis=0), axis=1, out=cum[:, 1:])
    for i, c in enumerate(cuts.tolist()):  # rows with c < ts <= c + D: thresholds (c, c + D]
        lo = int(np.searchsorted(edges, float(c))) + 1
        hi = np.searchsorted(edges, c + np.r_[grid, h]) + 1
        row = cum[i, hi] - cum[i, lo]
        counts[i], at_h[i] = row[:-1], row[-1]
        valid[i] = c + grid <= end
    out_days, out_ratio = [], []
    for j in range(len(grid)):
        den = float(at_h[valid[:, j]].sum())
        if den > 0:
            out_days.append(round(float(grid[j] / 86400.0), 3))
            out_ratio.append(float(counts[valid[:, j], j].sum()) / den)
    ratio = np.maximum.accumulate(np.asarray(out_ratio)) if out_ratio else np.zeros(0)
    return {"days": out_days, "ratio": [round(float(r), 4) for r in ratio],
            "cuts": int(len(cuts))}


def ordering(timestamps: NDArray[np.integer] | None) -> NDArray[np.integer] | None:
    """``timestamps`` when they order anything; None when there are none or all are equal, so
    that "the latest" is never the file's last rows passed off as a time order."""
    if timestamps is None or len(timestamps) == 0 or np.ptp(timestamps) == 0:
        return None
    return timestamps


def latest(timestamps: NDArray[np.integer], k: int, *, seed: int) -> NDArray[np.bool_]:
    """True for the ``k`` latest of ``timestamps``; of the rows at the cut's time, a seeded
    random ``k`` less the later rows, each as likely as another (as the Spark engine's
    holdout, which draws a seeded random share of them). Ties went by position, later
    winning, and merged interactions are in user order: a log of dates (or months) held out,
    at the cut, the rows of the users first seen last (ML-100K with times in 30-day steps:
    the 4,176 held of 14,810 tied rows all from user indices 651-934 of 943)."""
    n = len(timestamps)
    mask = np.zeros(n, bool)
    if k <= 0 or n == 0:
        return mask
    k = min(k, n)
    ts = np.asarray(timestamps, np.int64)
    # the k-th largest timestamp (a partition, O(n)): every later row is in, and of the rows
    # at that timestamp, a seeded random choice fills the rest (all of them when they fit:
    # a log without ties at the cut draws nothing and holds out the same rows as before)
    t_k = np.partition(ts, n - k)[n - k]
    np.greater(ts, t_k, out=mask)
    tied = np.flatnonzero(ts == t_k)
    need = k - int(np.count_nonzero(mask))
    if need >= len(tied):
        mask[tied] = True
    else:
        mask[tied[np.random.default_rng(seed).choice(len(tied), need, replace=False)]] = True
    return mask


DAY = 86_400


def resolution(timestamps: NDArray[np.integer]) -> int:
    """The step, in seconds, that a log's times are written at, at most a day: 86,400 for
    dates (``2020-01-31``, Parquet ``date32``: every time at midnight), 60 for times to the
    minute, 1 for times to the second. A time stands for the step that starts at it (a
    date for its whole day). The greatest common divisor of the times' distances from the
    first one; 1 when they are all equal."""
    ts = np.asarray(timestamps, np.int64)
    if len(ts) == 0:
        return 1
    first, step = int(ts.min()), 0
    for at in range(0, len(ts), 1 << 16):  # by blocks: a log to the second stops at the first
        step = int(np.gcd(step, np.gcd.reduce(ts[at:at + (1 << 16)] - first)))
        if step == 1:
            return 1
    return min(step, DAY) if step > 0 else 1


def span_days(held_timestamps: NDArray[np.integer], last_timestamp: int,
              step: int = 1) -> float | None:
    """The held-out slice's span in days: from its first timestamp to the end of the step
    (``resolution``) that ``last_timestamp`` starts. A log of dates whose held-out slice
    falls on its last date spans that day, not 0 (it was an hour, the floor, so every
    probability stretched to a 14-day window was raised to the power 336)."""
    if len(held_timestamps) == 0:
        return None
    return max(float(last_timestamp - int(np.min(held_timestamps)) + step) / DAY, 1.0 / 24)


def horizon_factor(calibration: dict[str, Any], days: float) -> float | None:
    """How many calibration horizons of known users' activity ``days`` amount to: the
    measured ``horizon_curve`` ratio, interpolated; past its last point it grows at the pace
    of its last step (or D / horizon_days without a curve). None without a horizon."""
    h = calibration.get("horizon_days") if calibration else None
    if not h:
        return None
    curve = calibration.get("horizon_curve") or {}
    xs, ys = list(curve.get("days") or []), list(curve.get("ratio") or [])
    if len(xs) < 2:
        return float(days) / float(h)
    if days <= xs[-1]:
        return float(np.interp(days, [0.0, *xs], [0.0, *ys]))
    slope = max((ys[-1] - ys[-2]) / max(xs[-1] - xs[-2], 1e-9), 0.0)
    return ys[-1] + slope * (float(days) - xs[-1])


def scale(p: NDArray[np.float64] | float, calibration: dict[str, Any], days: float
          ) -> NDArray[np.float64]:
    """``p`` stretched from the calibration horizon to ``days``:
    ``1 - (1 - p) ** horizon_factor(days)`` (the daily rate follows known users' measured
    activity); unchanged when the horizon is unknown."""
    arr = np.asarray(p, np.float64)
    k = horizon_factor(calibration, days)
    if k is None:
        return arr
    return 1.0 - np.power(1.0 - np.clip(arr, 0.0, 1.0), k)
