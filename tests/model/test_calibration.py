"""Calibrated probabilities: monotone in rank, a planted curve recovered, momentum, storage.

The synthetic set-up plants p(rank, film) = sigmoid(a + b x + c mom), x = log of the rank
fraction, on users ranked the same way for every film (one-dimensional factors), draws the
held-out viewers from it, and checks what ``calibration.calibrate`` fits against the planted
values, with tolerances from the binomial standard error of the compared averages.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import synthetic_model
from numpy.typing import NDArray

from recommender.model import artifact, calibration, calibration_horizon
from recommender.model.calibration_fit import design, film_features
from recommender.model.model import Model
from recommender.query.audience import audience_summary

N_USERS, N_FILMS = 2000, 80
PLANT = (-4.0, -0.5, 0.8)  # a, b, c of the planted logit
HORIZON = 12.5


def _planted_logit(x: NDArray[np.float64], mom: float) -> NDArray[np.float64]:
    a, b, c = PLANT
    return a + b * x + c * mom


class Planted:
    """Films x users structures of a planted world and the calibration fitted on it."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        # user i scores -i for every film: rank order is user index order among candidates
        self.uf = -np.arange(N_USERS, dtype=np.float32)[:, None]
        self.ff = np.ones((N_FILMS, 1), np.float32)
        n_fit = rng.integers(20, 300, size=N_FILMS)
        # half the films are "arriving now": most of their viewers are in the latest window
        hot = np.arange(N_FILMS) % 2 == 1
        n_recent = np.where(hot, (n_fit * 0.6).astype(int), (n_fit * 0.02).astype(int))
        fit_rows, fit_cols, win_rows, win_cols = [], [], [], []
        for f in range(N_FILMS):  # building the fixture, not the code under test
            viewers = rng.choice(N_USERS, size=int(n_fit[f]), replace=False)
            fit_rows.append(np.full(len(viewers), f))
            fit_cols.append(viewers)
            win_rows.append(np.full(int(n_recent[f]), f))
            win_cols.append(viewers[:int(n_recent[f])])
        self.fit = _csr(np.concatenate(fit_rows), np.concatenate(fit_cols))
        self.window = _csr(np.concatenate(win_rows), np.concatenate(win_cols))
        pop, self.mom = film_features(n_fit, n_recent, N_USERS, self.fit.nnz, self.window.nnz)
        self.hot = hot
        held_rows, held_cols = [], []
        self.truth: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []
        dense = self.fit.toarray() > 0
        for f in range(N_FILMS):
            cand = np.flatnonzero(~dense[f])  # already in rank order
            t = len(cand)
            x = np.log((np.arange(t) + 0.5) / t)
            p = 1 / (1 + np.exp(-_planted_logit(x, float(self.mom[f]))))
            self.truth.append((cand, p))
            hit = rng.random(t) < p
            held_rows.append(np.full(int(hit.sum()), f))
            held_cols.append(cand[hit])
        self.held = _csr(np.concatenate(held_rows), np.concatenate(held_cols))
        self.cal = calibration.calibrate(self.uf, self.ff, self.fit, self.held, self.window,
                                         horizon_days=HORIZON)


def _csr(rows: NDArray[Any], cols: NDArray[Any]) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(N_FILMS, N_USERS))
    m.sum_duplicates()
    return m


@pytest.fixture(scope="module")
def planted() -> Planted:
    return Planted()


def _serving_view(planted: Planted) -> dict[str, Any]:
    """The fitted model with the features of the calibration time (the planted world's), so
    ``p_at`` can be compared with the planted curve film by film."""
    cal = dict(planted.cal)
    cal["film_viewers"] = np.diff(planted.fit.indptr).tolist()
    cal["film_recent"] = np.diff(planted.window.indptr).tolist()
    cal["interactions"] = int(planted.fit.nnz)
    cal["recent_interactions"] = int(planted.window.nnz)
    return cal


def test_p_is_non_increasing_in_rank_for_every_film(planted: Planted) -> None:
    fr = np.linspace(0, 0.9999, 3001)
    for f in range(N_FILMS):
        p = calibration.p_at(planted.cal, f, fr)
        assert np.all(np.diff(p) <= 1e-15), f
        assert np.all((p > 0) & (p < 1))
    # even when the fitted curve itself rises somewhere, p_at never does
    rising = json.loads(json.dumps(planted.cal))
    rising["model"]["coef"] = [-3.0, 0.4, -1.5, 0.0, 2.0, 0.0, -3.0, 0.0, 0.0, 0.0, 0.0]
    p = calibration.p_at(rising, 3, fr)
    assert np.all(np.diff(p) <= 1e-15)
    x = np.log(fr + 0.5 / (N_USERS - rising["film_viewers"][3]))
    z = np.asarray(rising["model"]["coef"]) @ design(x, 0.0, 0.0).T
    assert not np.all(np.diff(z) <= 0)  # the raw curve does rise: the envelope did the work


def test_a_curve_that_rises_with_rank_keeps_its_mean_rate(planted: Planted) -> None:
    """A log where new, light users convert most can fit a curve that rises with rank. The
    running minimum clamped it to its best rank's value (p about 1e-24 at every rank where
    1.3% converted); the isotonic fit pools it. Oracle: a curve rising throughout pools into
    one block, the mean of its p over the grid weighted by the ranks each point stands for;
    a falling curve is left exactly as it was."""
    rising = json.loads(json.dumps(planted.cal))
    f = 3
    coef = np.zeros(len(rising["model"]["coef"]))
    coef[0], coef[1] = -4.0, 1.0  # z = -4 + log rank fraction: rises with rank
    rising["model"]["coef"] = coef.tolist()
    rising["model"]["momentum"] = False
    t = max(int(rising["users"]) - int(rising["film_viewers"][f]), 1)
    grid = np.linspace(math.log(0.5 / t), 0.0, calibration.GRID)
    p_grid = 1.0 / (1.0 + np.exp(-(-4.0 + grid)))
    pooled = float((p_grid * np.exp(grid)).sum() / np.exp(grid).sum())
    p = calibration.p_at(rising, f, np.array([0.0, 0.3, 0.99]))
    assert np.allclose(p, pooled, rtol=1e-9) and pooled > 0.005
    falling = json.loads(json.dumps(rising))
    falling["model"]["coef"][1] = -1.0  # z = -4 - log rank fraction: falls, left as fitted
    fr = np.array([0.0, 0.3, 0.99])
    z = -4.0 - np.interp(np.log(fr + 0.5 / t), grid, grid)
    assert np.allclose(calibration.p_at(falling, f, fr), 1.0 / (1.0 + np.exp(-z)), rtol=1e-12)


def test_calibrated_p_recovers_the_planted_curve(planted: Planted) -> None:
    cal = _serving_view(planted)
    assert cal["model"]["fit_hits"] == planted.held.nnz
    checked = 0
    for group in (planted.hot, ~planted.hot):
        for lo, hi in ((0.0, 0.01), (0.01, 0.05), (0.05, 0.2), (0.2, 0.5), (0.5, 1.0)):
            fitted, true = [], []
            for f in np.flatnonzero(group):
                cand, p = planted.truth[f]
                t = len(cand)
                r = np.arange(int(math.ceil(lo * t)), int(math.ceil(hi * t)))
                fitted.append(calibration.p_at(cal, int(f), r / t))
                true.append(p[r])
            pf, pt = np.concatenate(fitted), np.concatenate(true)
            # 4 binomial standard errors of the realised mean over this slice
            tol = 4 * math.sqrt(float((pt * (1 - pt)).sum())) / len(pt)
            assert abs(pf.mean() - pt.mean()) <= tol, (lo, hi, pf.mean(), pt.mean(), tol)
            checked += 1
    assert checked == 10


def test_films_with_momentum_get_higher_p(planted: Planted) -> None:
    coef = dict(zip(planted.cal["model"]["features"], planted.cal["model"]["coef"],
                    strict=True))
    assert coef["mom"] > 0
    cal = _serving_view(planted)
    fr = np.array([0.0, 0.01, 0.1, 0.5])
    hot = np.mean([calibration.p_at(cal, int(f), fr) for f in np.flatnonzero(planted.hot)], 0)
    cold = np.mean([calibration.p_at(cal, int(f), fr) for f in np.flatnonzero(~planted.hot)], 0)
    assert np.all(hot > 1.5 * cold), (hot, cold)


def test_horizon_days_and_scaling_by_hand(planted: Planted) -> None:
    h = calibration.horizon(planted.cal)
    assert h["days"] == HORIZON and f"{HORIZON:g} days" in h["description"]
    # no measured curve: a constant daily rate, 1 - (1 - p) ** (D / h)
    assert calibration.scale(0.1, planted.cal, 2 * HORIZON) == pytest.approx(1 - 0.9 ** 2)
    curved = dict(planted.cal, horizon_curve={"days": [HORIZON / 2, HORIZON, 2 * HORIZON],
                                              "ratio": [0.6, 1.0, 1.5]})
    assert calibration.horizon_factor(curved, HORIZON) == pytest.approx(1.0)
    assert calibration.horizon_factor(curved, HORIZON / 4) == pytest.approx(0.3)
    assert calibration.horizon_factor(curved, 3 * HORIZON) == pytest.approx(2.0)  # last pace
    assert calibration.scale(0.2, curved, 1.5 * HORIZON) == pytest.approx(1 - 0.8 ** 1.25)


@pytest.mark.parametrize("block,shuffled", [(1 << 20, False), (7, False), (1000, True),
                                            (1, True)])
def test_activity_curve_against_brute_force(block: int, shuffled: bool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # the histogram summed over blocks of rows of any size, in time order or not
    monkeypatch.setattr(calibration_horizon, "_BLOCK", block)
    rng = np.random.default_rng(3)
    n, n_users, n_films = 3000, 60, 40
    u = rng.integers(n_users, size=n)
    f = rng.integers(n_films, size=n)
    ts = np.sort(rng.integers(0, 400 * 86400, size=n))
    if shuffled:
        order = rng.permutation(n)
        u, f, ts = u[order], f[order], ts[order]
    days = 20.0
    curve = calibration.activity_curve(u, f, ts, n_users, n_films, days, n_cuts=6)
    quantiles = np.unique(np.quantile(ts, np.linspace(0.5, 1.0, 7)[:-1], method="lower"))
    cuts = [int(c) for c in quantiles if c + days * 86400 <= ts.max()]

    first_u: dict[int, int] = {}
    first_f: dict[int, int] = {}
    for i in range(n):  # the plain definitions, one interaction at a time
        first_u[int(u[i])] = min(first_u.get(int(u[i]), ts[i]), ts[i])
        first_f[int(f[i])] = min(first_f.get(int(f[i]), ts[i]), ts[i])

    def count(c: int, d: float) -> int:
        return sum(1 for i in range(n) if c < ts[i] <= c + d * 86400
                   and first_u[int(u[i])] <= c and first_f[int(f[i])] <= c)

    at_h = {c: count(c, days) for c in cuts}
    expected = []
    for d in curve["days"]:
        ok = [c for c in cuts if c + d * 86400 <= ts.max()]
        expected.append(sum(count(c, d) for c in ok) / sum(at_h[c] for c in ok))
    assert len(curve["days"]) >= 5 and curve["cuts"] == len(cuts)
    # pooled ratios, made non-decreasing (fewer cuts have room for longer horizons)
    assert curve["ratio"] == pytest.approx(np.maximum.accumulate(expected).tolist(), abs=1e-4)
    assert curve["ratio"][curve["days"].index(days)] == pytest.approx(1.0)


def test_from_arrays_measures_the_horizon_and_the_window() -> None:
    model = synthetic_model(n_users=120, n_films=30, seed=4)
    rng = np.random.default_rng(4)
    n = 2500
    u = rng.integers(120, size=n)
    f = rng.integers(30, size=n)
    ts = np.sort(rng.integers(0, 100 * 86400, size=n))
    held = np.zeros(n, bool)
    held[-250:] = True
    cal = calibration.from_arrays(np.asarray(model.user_factors),
                                  np.asarray(model.film_factors), u, f, ts, held, 120, 30)
    assert cal["horizon_days"] == pytest.approx((ts.max() - ts[held].min()) / 86400, abs=1e-3)
    pairs = {(int(a), int(b)) for a, b in zip(u, f, strict=True)}
    recent = {(int(a), int(b)) for a, b in zip(u[held], f[held], strict=True)}
    assert cal["interactions"] == len(pairs)
    assert cal["film_recent"] == [len({p for p in recent if p[1] == j}) for j in range(30)]
    assert cal["film_viewers"] == [len({p for p in pairs if p[1] == j}) for j in range(30)]
    assert cal["model"]["momentum"] is True and cal["horizon_curve"]["cuts"] >= 1
    # without timestamps: a random hold-out, no momentum and no span in days
    flat = calibration.from_arrays(np.asarray(model.user_factors),
                                   np.asarray(model.film_factors), u, f, None, held, 120, 30)
    assert flat["horizon_days"] is None and flat["model"]["momentum"] is False
    assert calibration.horizon(flat)["days"] is None
    assert "no span in days" in calibration.horizon(flat)["description"]


def test_save_load_round_trip_keeps_p(planted: Planted, tmp_path: Path) -> None:
    base = synthetic_model(n_users=N_USERS, n_films=N_FILMS, seed=5)
    model = Model(users=base.users, films=base.films, user_factors=base.user_factors,
                  film_factors=base.film_factors, seen=base.seen, seen_by_film=base.seen_by_film,
                  catalog=base.catalog, user_table=base.user_table, segments=base.segments,
                  meta=base.meta, calibration=planted.cal)
    loaded = artifact.load(artifact.save(model, tmp_path / "m"))
    assert loaded.calibration == json.loads(json.dumps(planted.cal))
    fr = np.linspace(0, 0.999, 500)
    for f in (0, 7, N_FILMS - 1):
        assert np.array_equal(calibration.p_at(loaded.calibration, f, fr),
                              calibration.p_at(planted.cal, f, fr))
    assert calibration.horizon(loaded.calibration) == calibration.horizon(planted.cal)


def test_no_calibration_gives_zeros_and_says_so() -> None:
    fr = np.linspace(0, 0.99, 7)
    assert np.array_equal(calibration.p_at({}, 3, fr), np.zeros(7))
    h = calibration.horizon({})
    assert h["days"] is None and "no calibration" in h["description"]
    assert calibration.mean_p({}, 3, 1, 10, 100) is None
    base = synthetic_model(n_users=200, n_films=20, seed=6)
    bare = Model(users=base.users, films=base.films, user_factors=base.user_factors,
                 film_factors=base.film_factors, seen=base.seen, seen_by_film=base.seen_by_film,
                 catalog=base.catalog, user_table=base.user_table, segments=base.segments,
                 meta=base.meta, calibration={})
    s = audience_summary(bare, str(bare.films.ids[2]))
    assert s["base_conversion"] is None and "no calibration" in s["horizon"]["description"]
    assert all(t["expected_conversion"] is None and t["conversion_lift"] is None
               for t in s["tiers"])


def test_a_model_with_only_rank_bins_gets_one_monotone_curve() -> None:
    hits = np.zeros(1000)
    hits[:10], hits[10:20], hits[20:] = 3, 5, 1  # not monotone: bins 10-19 beat 0-9
    cal = {"bins": 1000, "hits": hits.tolist(), "candidates": [10] * 1000}
    p = calibration.p_at(cal, 0, np.array([0.0, 0.005, 0.015, 0.5]))
    # isotonic (pooled adjacent violators) by hand: bins 0-19 pool to 0.4, the rest 0.1
    assert p == pytest.approx([0.4, 0.4, 0.4, 0.1])
    assert calibration.horizon(cal)["days"] is None


def test_trained_demo_summary_uses_p_with_its_horizon(tmp_path_factory: Any) -> None:
    from helpers import demo_model

    _, m = demo_model(tmp_path_factory)
    cal = m.calibration
    assert cal["model"]["kind"] == "logistic" and cal["horizon_days"] > 0
    assert len(cal["film_viewers"]) == m.n_films
    assert cal["film_viewers"] == np.diff(m.seen_by_film.indptr).tolist()
    f = int(np.argmax(np.diff(m.seen_by_film.indptr)))
    s = audience_summary(m, str(m.films.ids[f]))
    conv = [t["expected_conversion"] for t in s["tiers"]]
    assert conv[0] > conv[1] > conv[2] > 0
    assert s["horizon"] == calibration.horizon(cal)
    t = s["candidates"]
    for row in s["tiers"]:
        a, b = row["rank_range"]
        mean = calibration.p_at(cal, f, (np.arange(a, b + 1) - 1) / t).mean()
        assert row["expected_conversion"] == pytest.approx(float(mean), abs=1e-5)
    assert s["base_conversion"] == pytest.approx(
        float(calibration.p_at(cal, f, np.arange(t) / t).mean()), abs=1e-5)


def test_a_log_of_dates_spans_whole_days() -> None:
    """A log written as dates (every time at midnight: ``2020-01-31``, Parquet date32) whose
    held-out slice falls on its last date spanned 0 days, floored to an hour: the horizon said
    "within 0.042 days" and a campaign report's 14-day window raised every p to the power 336
    (predicted conversions 18x those of the same log written to the second). A date stands
    for its day. Oracle: the held-out dates' span counted in whole days, by hand."""
    model = synthetic_model(n_users=120, n_films=30, seed=4)
    rng = np.random.default_rng(4)
    n = 2000
    u = rng.integers(120, size=n)
    f = rng.integers(30, size=n)
    day0 = 1_577_836_800  # 2020-01-01
    days = np.sort(rng.integers(0, 8, size=n))  # eight dates, one week
    held = np.zeros(n, bool)
    held[days == 7] = True  # the slice held out: the last date's rows
    args = (np.asarray(model.user_factors), np.asarray(model.film_factors), u, f)
    cal = calibration.from_arrays(*args, day0 + days * 86_400, held, 120, 30)
    assert cal["horizon_days"] == 1.0
    held_two = days >= 6  # the last two dates: two days, not one
    cal2 = calibration.from_arrays(*args, day0 + days * 86_400, held_two, 120, 30)
    assert cal2["horizon_days"] == 2.0
    # the same times to the second keep their span (plus the second the last time starts)
    secs = day0 + days * 86_400 + rng.integers(0, 86_400, size=n)
    cal3 = calibration.from_arrays(*args, secs, held_two, 120, 30)
    assert cal3["horizon_days"] == pytest.approx((secs.max() - secs[held_two].min() + 1)
                                                 / 86_400, abs=1e-3)
    assert calibration.resolution(secs) == 1
    assert calibration.resolution(day0 + days * 86_400) == 86_400
    assert calibration.resolution(day0 + days * 3_600 * 24 * 14) == 86_400  # a day at most
    assert calibration.resolution(np.array([day0, day0])) == 1
