"""A flat calibration curve and users whose scores tie: equal p must be exactly equal.

The mean p of a run of tied users was the difference of two running sums, a few ulps off:
over a flat curve the runs came out at slightly different p, some later runs above earlier
ones, and the planner's tie-break by rank (which exchanges only exactly equal weights)
selected a film's rank 42 before its rank 1."""

from __future__ import annotations

import numpy as np
from helpers import synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.probabilities import slate_candidates
from recommender.campaigns.slate import SlateFilm
from recommender.model import calibration


def flat_tied_model():  # type: ignore[no-untyped-def]
    m = synthetic_model(n_users=300, n_films=12, seed=4, ties=True)
    m.calibration = {"bins": 1000, "hits": [3] * 1000, "candidates": [497] * 1000}
    return m


def test_tied_runs_over_a_flat_curve_share_exactly_its_p() -> None:
    m = flat_tied_model()
    cands = slate_candidates(m, np.arange(m.n_films), progress=False)
    flat = calibration.p_at(m.calibration, 0, np.zeros(1))[0]
    for i in range(m.n_films):
        p = cands.p[i][cands.rank[i] > 0]
        assert (p == flat).all(), np.unique(p)


def test_p_in_order_never_rises_with_rank() -> None:
    m = flat_tied_model()
    rng = np.random.default_rng(0)
    desc = -np.sort(rng.integers(0, 40, size=500)).astype(np.float64)
    p = calibration.p_in_order(m.calibration, 0, desc)
    assert (np.diff(p) <= 0).all()


def test_flat_p_plans_the_best_ranks() -> None:
    m = flat_tied_model()
    for f in range(m.n_films):
        plan = plan_slate(m, [SlateFilm(str(m.films.ids[f]), 5)], cap=1, holdout=0.0, waves=1)
        assert sorted(plan.rows.column("rank").to_pylist()) == [1, 2, 3, 4, 5], f
