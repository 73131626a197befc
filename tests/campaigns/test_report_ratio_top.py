"""The relative uplift's upper end when the weighted control count is near 0: unbounded, never
the estimate itself (the MOVER-R quadratic's larger root, found here by bisection)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.optimize import brentq

from recommender.campaigns.report import compute_report, score_interval, strata_stats


def test_a_near_zero_control_count_leaves_the_ratio_unbounded_above() -> None:
    # film A: 1,000 targets (30 converted) against 100 controls (none converted); film B: 2
    # targets against 2 controls, one of which converted. Overall the control rate is B's
    # weighted by its 2 targets of 1,002: a weighted control count of ~0.1, whose exact
    # Poisson lower limit is ~1e-16, so the ratio's upper end is astronomically high
    n_t, x_t = np.array([1000, 2]), np.array([30, 1])
    n_c, x_c = np.array([100, 2]), np.array([0, 1])
    block = strata_stats(n_t, x_t, n_c, x_c, 0.0, 0.0)
    rel = block["relative_uplift"]
    assert rel["estimate"] is not None and rel["estimate"] > 10
    # the oracle: the larger root of (p1 - t p2)^2 = (u1 - p1)^2 + t^2 (p2 - l2)^2, the
    # MOVER-R upper limit of the ratio, by bisection above the observed ratio
    mt, mx = n_t.sum(), x_t.sum()
    w = n_t / mt
    nc = 1 / np.sum(w * w / n_c)
    xc = float(np.sum(w * x_c / n_c)) * nc
    p1, p2 = mx / mt, xc / nc
    u1, l2 = score_interval(mx, mt)[1], score_interval(xc, nc)[0]

    def f(t: float) -> float:
        return (p1 - t * p2) ** 2 - (u1 - p1) ** 2 - t * t * (p2 - l2) ** 2

    top = brentq(f, p1 / p2, 1e300) if f(1e300) > 0 else float("inf")
    assert top > 1e6 * (p1 / p2)  # far above the estimate (it was the estimate, +3000%)
    assert rel["high"] is None or rel["high"] >= min(top - 1, 1e12)


def test_the_overall_row_of_a_plan_says_so_too() -> None:
    rows, conv = [], []
    for film, (nt, xt, nc, xc) in {"A": (1000, 30, 100, 0), "B": (2, 1, 2, 1)}.items():
        for group, n, x in (("target", nt, xt), ("control", nc, xc)):
            rows += [(film, f"{film}{group}{i}", 1, group, 0.01) for i in range(n)]
            conv += [i < x for i in range(n)]
    table = pa.table(dict(zip(["film_id", "user_id", "wave", "group", "p"],
                              map(list, zip(*rows, strict=True)), strict=True)))
    overall = compute_report(table, np.asarray(conv))["overall"]["relative_uplift"]
    assert overall["high"] is None or overall["high"] > 1e6 * (1 + overall["estimate"])
