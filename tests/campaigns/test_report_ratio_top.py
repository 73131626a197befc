"""The relative uplift's upper end when the weighted control count is near 0: unbounded, never
the estimate itself (the MOVER-R quadratic's larger root, found here by bisection)."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pyarrow as pa
import pytest
from scipy.optimize import brentq

from recommender.campaigns.report import (
    compute_report,
    mover_ratio,
    score_interval,
    strata_stats,
)


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
    p1, p2 = float(mx / mt), float(xc / nc)
    u1, l2 = score_interval(mx, mt)[1], score_interval(xc, nc)[0]

    def f(t: float) -> float:  # in 60-digit decimals: in floats (p2 - l2)^2 loses l2 ~ 1e-16
        with localcontext() as context:
            context.prec = 60
            a, b, u, low, x = (Decimal(v) for v in (p1, p2, u1, l2, t))
            return float((a - x * b) ** 2 - (u - a) ** 2 - x * x * (b - low) ** 2)

    # on a log scale, bracketed below 1e150 (at 1e300 the float squares overflowed to nan,
    # and a linear bracket that wide does not converge)
    assert f(1e150) > 0
    top = math.exp(brentq(lambda s: f(math.exp(s)), math.log(p1 / p2), math.log(1e150),
                          xtol=1e-12))
    assert top > 1e6 * (p1 / p2)  # far above the estimate (it was the estimate, +3000%)
    assert rel["high"] is not None and math.isclose(rel["high"] + 1, top, rel_tol=1e-6)


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


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [
    (1, 1e7, 1, 1e7), (30, 1e9, 30, 1e9), (3, 2e6, 1, 5e6), (56, 70, 48, 80),
    (1000, 1000, 1, 100), (1, 3, 2, 3), (0.2, 0.5, 0.1, 0.3), (7, 1e8, 2, 0.1)])
def test_both_ends_are_the_quadratics_roots_at_any_scale(x1: float, n1: float, x2: float,
                                                         n2: float) -> None:
    """MOVER-R's ends against the roots worked out in 60-digit decimals (no cancellation):
    a threshold on the quadratic's leading term made a finite end unbounded (one conversion
    in 10 million on each side: +4,656% read as no upper bound), and the low end lost its
    digits at a billion users ([-54%, ...] for [-40%, +65%])."""
    with localcontext() as context:
        context.prec = 60
        p1, p2 = Decimal(x1) / Decimal(n1), Decimal(x2) / Decimal(n2)
        (l1, u1), (l2, u2) = ([Decimal(v) for v in score_interval(x, n)]
                              for x, n in ((x1, n1), (x2, n2)))
        b = p1 * p2

        def exact(a: Decimal, c: Decimal, sign: int) -> float:
            return float((b + sign * (b * b - a * c).sqrt()) / a)

        low = max(exact(u2 * (2 * p2 - u2), l1 * (2 * p1 - l1), -1), 0.0)
        high = exact(l2 * (2 * p2 - l2), u1 * (2 * p1 - u1), 1)
    est, got_low, got_high = mover_ratio(x1, n1, x2, n2)
    ratio = float(p1 / p2)
    assert est is not None and math.isclose(est, ratio - 1, rel_tol=1e-12)
    assert math.isclose(got_low + 1, min(low, ratio), rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(got_high + 1, max(high, ratio), rel_tol=1e-9)


def test_a_tiny_control_count_against_no_target_conversion_leaves_the_high_end_open() -> None:
    """No target conversion of 466,309 against 0.0051 weighted control conversions of 188:
    the high end's quadratic has a of about 1e-300 and c of -6e-11, whose product underflowed
    to 0, so its root read 0 and the interval [-100%, -100%]; its end is about 2e154 (the
    root u1 / sqrt(a) at b = 0, worked out in 60-digit decimals)."""
    x1, n1, x2, n2 = 0.0, 466308.73773042386, 0.0051347172360468075, 187.93614148716142
    (_, u1), (l2, _) = score_interval(x1, n1), score_interval(x2, n2)
    with localcontext() as context:
        context.prec = 60
        p2, dl2 = Decimal(x2) / Decimal(n2), Decimal(l2)
        a = dl2 * (2 * p2 - dl2)
        assert 0 < a < Decimal("1e-300")  # the case: a c underflows in floats
        high = float(Decimal(u1) / a.sqrt())
    est, low, got_high = mover_ratio(x1, n1, x2, n2)
    assert est == -1.0 and low == -1.0
    assert math.isclose(got_high + 1, high, rel_tol=1e-4)  # a is subnormal: 1e-319
