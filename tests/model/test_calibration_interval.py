"""The 95% interval of a tier's expected conversion (``calibration_interval``).

Oracles: a synthetic problem whose hits are drawn from a known logistic model (the true mean
p over a tier's ranks, computed directly from the true coefficients, lies in 95% intervals
about 95% of the time, and the intervals narrow with 10x the data); a finite-difference
Hessian of the penalised log-likelihood (the stored covariance); scipy's isotonic regression
(the vectorised monotone forcing); ``calibration.mean_p`` (draws with no spread give the point
estimate back, forcing included); the demo model's summary for the end-to-end checks.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from helpers import demo_model, run_cli

from recommender.model import artifact, calibration, calibration_interval
from recommender.model.calibration import GRID, _non_increasing, log_rank_grid
from recommender.model.calibration_fit import (
    FEATURES,
    FIT_EDGES,
    RIDGE,
    coef_cov,
    design,
    fit_logistic,
)
from recommender.model.calibration_interval import (
    DRAWS,
    STRATA,
    mean_p_draws,
    pooled,
    tier_intervals,
)
from recommender.query.audience import audience_summary

N_USERS = 5000
#: intercept, log rank slope, knots 0, popularity 0.5: p falls with rank (no forcing needed)
TRUE = np.array([-5.0, -0.5, 0, 0, 0, 0, 0, 0.4, 0, 0, 0], np.float64)
FILM_VIEWERS = 50  # the film asked about: 4,950 candidates, a core ring of ranks 1-50


def _table(films: int, rng: np.random.Generator) -> tuple[Any, Any, Any]:
    """A fitting table as ``fit_table`` builds it (rows per film and rank-fraction bin),
    its hits drawn from the logistic model ``TRUE`` itself."""
    xs, pops, ns = [], [], []
    for viewers in rng.integers(5, 500, films):
        t = N_USERS - int(viewers)
        lo = np.ceil(FIT_EDGES * t).astype(np.int64)
        lo[-1] = t
        n = np.diff(lo)
        keep = n > 0
        mid = (lo[:-1] + lo[1:] - 1) / 2.0
        xs.append(np.log((mid[keep] + 0.5) / t))
        ns.append(n[keep])
        pops.append(np.full(int(keep.sum()), math.log((viewers + 1.0) / N_USERS)))
    X = design(np.concatenate(xs), np.concatenate(pops), 0.0)
    c = np.concatenate(ns).astype(np.float64)
    h = rng.binomial(c.astype(np.int64), 1 / (1 + np.exp(-(X @ TRUE)))).astype(np.float64)
    return X, h, c


def _calibration(coef: Any, cov: Any) -> dict[str, Any]:
    """A calibration.json holding a logistic model and one film (index 0) with
    ``FILM_VIEWERS`` viewers."""
    return {"users": N_USERS, "film_viewers": [FILM_VIEWERS], "film_recent": [0],
            "interactions": 100_000, "recent_interactions": 0, "hits": [1], "candidates": [1],
            "model": {"kind": "logistic", "features": list(FEATURES), "momentum": False,
                      "coef": [float(b) for b in coef],
                      "cov": [[float(v) for v in row] for row in np.asarray(cov)]}}


def _true_mean(first: int, last: int, total: int) -> float:
    """The mean p over ranks first..last straight from ``TRUE``: every rank, no grid."""
    t = N_USERS - FILM_VIEWERS
    ranks = np.arange(first, last + 1, dtype=np.float64)
    x = np.log((ranks - 1) / total + 0.5 / t)
    z = design(x, math.log((FILM_VIEWERS + 1.0) / N_USERS), 0.0) @ TRUE
    return float(np.mean(1 / (1 + np.exp(-z))))


def _interval(films: int, seed: int) -> tuple[list[float], float]:
    """The core ring's 95% interval and point estimate after a fit on ``films`` films."""
    X, h, c = _table(films, np.random.default_rng(seed))
    coef = fit_logistic(X, h, c)
    cal = _calibration(coef, coef_cov(X, h, c, coef))
    total = N_USERS - FILM_VIEWERS
    spans, _ = tier_intervals(cal, 0, [(1, 50)], total)
    point = calibration.mean_p(cal, 0, 1, 50, total)
    assert spans[0] is not None and point is not None
    return spans[0], point


def test_interval_covers_the_true_mean_p_and_narrows_with_more_data() -> None:
    truth = _true_mean(1, 50, N_USERS - FILM_VIEWERS)
    runs = [_interval(100, seed) for seed in range(40)]
    covered = sum(lo <= truth <= hi for (lo, hi), _ in runs)
    assert covered >= 34, f"the 95% interval held the true {truth:.5f} in {covered} of 40"
    # not covering by being wide: its width is about that of the estimates' own spread
    # (3.92 standard deviations of the 40 point estimates, each from fresh data)
    widths = np.array([hi - lo for (lo, hi), _ in runs])
    spread = 3.92 * float(np.std([p for _, p in runs], ddof=1))
    assert 0.6 < widths.mean() / spread < 1.6, (widths.mean(), spread)
    big = np.array([hi - lo for (lo, hi), _ in (_interval(1000, s) for s in range(5))])
    assert big.mean() < widths.mean() / 2  # sqrt(10) = 3.2 times narrower, in theory


def test_stored_covariance_is_the_inverse_penalised_hessian() -> None:
    X, h, c = _table(60, np.random.default_rng(3))
    coef = fit_logistic(X, h, c)
    pen = np.full(len(coef), RIDGE)
    pen[0] = 0.0

    def grad(b: Any) -> Any:  # of the penalised negative log-likelihood
        p = 1 / (1 + np.exp(-(X @ b)))
        return X.T @ (c * p - h) + pen * b

    step = 1e-5
    hess = np.array([(grad(coef + step * e) - grad(coef - step * e)) / (2 * step)
                     for e in np.eye(len(coef))])
    np.testing.assert_allclose(coef_cov(X, h, c, coef), np.linalg.inv((hess + hess.T) / 2),
                               rtol=1e-4, atol=1e-10)


def test_pooled_is_scipys_isotonic_regression_row_by_row() -> None:
    rng = np.random.default_rng(5)
    grid = log_rank_grid(3000)
    z = np.cumsum(rng.normal(0, 0.3, (30, GRID)), axis=1) - 4
    peak = np.argmax(z, axis=1)
    got = pooled(z, grid, peak)
    for row in range(len(z)):
        stretch = peak[row] + 1
        np.testing.assert_allclose(got[row, :stretch],
                                   _non_increasing(z[row, :stretch], grid[:stretch]),
                                   rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("rising", [False, True])
def test_draws_without_spread_give_the_point_estimate(rising: bool) -> None:
    coef = TRUE.copy()
    if rising:  # p rises from the best rank to 1% and falls after: the forcing pools it
        coef[1], coef[2] = 0.6, -1.4
    cal = _calibration(coef, np.zeros((len(coef), len(coef))))
    total = N_USERS - FILM_VIEWERS
    z = design(log_rank_grid(total), math.log(51 / N_USERS), 0.0) @ coef
    assert (int(np.argmax(z)) > 0) == rising
    ranges = [(1, 50), (51, 250), (251, 1000), (1, total)]
    draws = mean_p_draws(cal, 0, ranges, total)
    for (first, last), row in zip(ranges, draws, strict=True):
        point = calibration.mean_p(cal, 0, first, last, total)
        assert point is not None
        by_rank = calibration.p_at(cal, 0, (np.arange(first, last + 1) - 1) / total)
        # every rank below STRATA of them; past it, off by at most 1/STRATA of p's fall
        slack = 1e-12 if last - first < STRATA else (by_rank[0] - by_rank[-1]) / STRATA
        assert np.abs(row - point).max() <= slack + 1e-12


def test_strata_keep_the_mean_of_a_film_with_a_million_candidates() -> None:
    # past STRATA ranks the draws average strata: their mean must stay the exact mean p over
    # every rank (calibration.mean_p) in relative terms, p's steep best ranks included (equal
    # strata read the whole ranking's mean 54% low on the demo model's curve)
    coef = TRUE.copy()
    coef[1] = -1.1  # p falls steeply from the best rank, as fitted curves do
    cal = _calibration(coef, np.zeros((len(coef), len(coef))))
    cal["users"] = 1_000_000 + FILM_VIEWERS
    total = 1_000_000
    ranges = [(1, total), (1, 10_000), (10_001, 50_000), (50_001, 200_000)]
    draws = mean_p_draws(cal, 0, ranges, total, draws=2)
    for (first, last), row in zip(ranges, draws, strict=True):
        exact = calibration.mean_p(cal, 0, first, last, total)
        assert exact is not None and exact > 0
        np.testing.assert_allclose(row, exact, rtol=1e-3)


@pytest.mark.parametrize("tied", [False, True])
def test_empty_and_tied_rings(tied: bool) -> None:
    # an empty ring (last < first) has no interval; a ranking in no order (tied) gives every
    # ring the film's mean p, as audience_summary's point does: the base's own interval,
    # and a lift of exactly 1 in every draw
    X, h, c = _table(40, np.random.default_rng(2))
    coef = fit_logistic(X, h, c)
    cal = _calibration(coef, coef_cov(X, h, c, coef))
    total = N_USERS - FILM_VIEWERS
    rings = [(1, 50), (51, 50), (51, 250)]
    spans, lifts = tier_intervals(cal, 0, rings, total, tied)
    assert spans[1] is None and lifts[1] is None
    base = np.percentile(mean_p_draws(cal, 0, [(1, total)], total)[0], [2.5, 97.5])
    for (first, last), span, lift in zip(rings, spans, lifts, strict=True):
        if last < first:
            continue
        assert span is not None and lift is not None
        if tied:
            np.testing.assert_allclose(span, base, atol=6e-6)
            assert lift == [1.0, 1.0]
        else:
            point = calibration.mean_p(cal, 0, first, last, total)
            assert point is not None and span[0] <= point <= span[1] and lift[0] > 1


def test_summary_evaluates_a_bounded_number_of_points(monkeypatch: pytest.MonkeyPatch) -> None:
    # the cost of an interval: DRAWS curves on the grid and STRATA points per ring at most,
    # however many candidates the film has (counted, not timed)
    X, h, c = _table(40, np.random.default_rng(1))
    coef = fit_logistic(X, h, c)
    cal = _calibration(coef, coef_cov(X, h, c, coef))
    seen: list[int] = []
    real = calibration_interval._sigmoid

    def counted(z: Any) -> Any:
        seen.append(int(np.size(z)))
        return real(z)

    monkeypatch.setattr(calibration_interval, "_sigmoid", counted)
    total = 4_000_000
    rings = [(1, 40_000), (40_001, 200_000), (200_001, 800_000)]
    spans, lifts = tier_intervals(cal, 0, rings, total)
    assert all(s is not None for s in spans + lifts)
    assert sum(seen) <= DRAWS * (2 * GRID + (len(rings) + 1) * STRATA)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return demo_model(tmp_path_factory)[1]


def test_summary_intervals_on_the_demo_model(demo: Any) -> None:
    film = str(demo.films.ids[3])
    one, two = audience_summary(demo, film), audience_summary(demo, film)
    assert one == two  # a fixed seed: the same answer every time
    assert one["conversion_interval_note"].startswith("95% interval")
    for tier in one["tiers"]:
        lo, hi = tier["expected_conversion_interval"]
        assert 0 <= lo <= tier["expected_conversion"] <= hi <= 1
        lift_lo, lift_hi = tier["conversion_lift_interval"]
        assert lift_lo <= tier["conversion_lift"] <= lift_hi
    # the viewers ranked in: no conversion, so no interval either
    seen = audience_summary(demo, film, exclude_seen=False)
    assert all(t["expected_conversion_interval"] is None and t["conversion_lift_interval"]
               is None for t in seen["tiers"])


def test_a_calibration_from_before_the_covariance_gives_null_and_says_why(demo: Any) -> None:
    old = copy.deepcopy(demo.calibration)
    del old["model"]["cov"]
    film = str(demo.films.ids[3])
    now = audience_summary(demo, film)
    demo_old = copy.copy(demo)
    demo_old.calibration = old
    before = audience_summary(demo_old, film)
    assert "predates" in before["conversion_interval_note"]
    for new, row in zip(now["tiers"], before["tiers"], strict=True):
        assert row["expected_conversion_interval"] is None
        assert row["conversion_lift_interval"] is None
        assert row["expected_conversion"] == new["expected_conversion"]  # the rest unchanged


def test_a_saved_model_from_before_the_covariance_loads_and_says_so(
        demo: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # a folder whose calibration.json has no model.cov, as every one saved before it: it
    # loads, and the summary (JSON and table) gives null intervals and says why
    old = copy.copy(demo)
    old.calibration = copy.deepcopy(demo.calibration)
    del old.calibration["model"]["cov"]
    folder = artifact.save(old, tmp_path / "model")
    assert "cov" not in artifact.load(folder).calibration["model"]
    film = str(demo.films.ids[3])
    code, out, err = run_cli(capsys, "summary", folder, film, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert all(t["expected_conversion_interval"] is None for t in body["tiers"])
    assert all(t["expected_conversion"] is not None for t in body["tiers"])
    code, out, err = run_cli(capsys, "summary", folder, film)
    assert code == 0, err
    assert "No interval: this model's calibration predates the coefficients' covariance" in out
