"""``train``'s ALS sweeps: before a warm refit the fit on the calibration split runs
``iterations`` less the refit's sweeps, so the final model gets ``iterations`` sweeps in all; a
small log is refitted afresh; checked by redoing the fits by hand with ``implicit``."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.training import (
    FRESH_REFIT_INTERACTIONS,
    WARM_ITERATIONS,
    calibration_fit_config,
    fit_factors,
    holdout_mask,
    train,
    warm_sweeps,
)
from recommender.model.weighting import confidence


def _log() -> Interactions:
    rng = np.random.default_rng(11)
    n = 3000
    users = np.char.add("u", rng.integers(0, 150, n).astype(str))
    films = np.char.add("f", rng.zipf(1.6, n).clip(1, 120).astype(str))
    return Interactions.from_columns(pa.array(users), pa.array(films),
                                     timestamp=rng.integers(0, 10**6, n))


def test_the_final_model_gets_iterations_sweeps_in_all() -> None:
    data = _log()
    cfg = TrainConfig(factors=6, iterations=7, warm_iterations=2, regularization=1.0,
                      alpha=2.0, segments=3)
    model = train(data, cfg, progress=False)
    held = holdout_mask(data, cfg.holdout, cfg.seed)
    part = data.subset(~held)
    uf, ff = fit_factors(confidence(part, cfg.weighting), TrainConfig(
        **{**cfg.__dict__, "iterations": 5}))  # 7 sweeps less the refit's 2
    uf, ff = fit_factors(confidence(data, cfg.weighting), cfg, init=(uf, ff), iterations=2)
    assert np.allclose(model.user_factors, uf, atol=1e-6)
    assert np.allclose(model.film_factors, ff, atol=1e-6)


def test_calibration_fit_config_keeps_at_least_one_sweep() -> None:
    def sweeps(n: int = 10**8, **kw: object) -> int:
        return calibration_fit_config(TrainConfig(**kw), n).iterations  # type: ignore[arg-type]

    assert sweeps(iterations=15, warm_iterations=2) == 13
    assert sweeps(iterations=2, warm_iterations=2) == 1
    assert sweeps(iterations=5, warm_iterations=0) == 5
    assert sweeps(iterations=15, warm_iterations=2, family="ease") == 15  # no warm refit
    # automatic: a fresh refit (every sweep in both fits) up to the size limit, then 2 warm
    assert sweeps(FRESH_REFIT_INTERACTIONS, iterations=15) == 15
    assert sweeps(FRESH_REFIT_INTERACTIONS + 1, iterations=15) == 15 - WARM_ITERATIONS
    assert sweeps(10, iterations=15, warm_iterations=2) == 13  # a number forces the warm refit
    # automatic, with no sweep to split: afresh (1 + 2 warm sweeps were 3 for --iterations 2)
    for it in range(1, WARM_ITERATIONS + 2):
        big = FRESH_REFIT_INTERACTIONS + 1
        warm = None if it <= WARM_ITERATIONS else WARM_ITERATIONS
        assert warm_sweeps(TrainConfig(iterations=it), big) == warm
        assert sweeps(big, iterations=it) == it - (warm or 0)  # and the sweeps add up


def test_a_small_log_is_refitted_afresh_on_all_interactions() -> None:
    """With ``warm_iterations`` automatic, a small log's model is one fit on all interactions
    (what tuning validated), not 2 sweeps warm-started from the calibration fit; checked
    against ``implicit`` fitted by hand, and the calibration still comes from the held-out
    slice's fit."""
    data = _log()
    cfg = TrainConfig(factors=6, iterations=7, regularization=1.0, alpha=2.0, segments=3)
    assert cfg.warm_iterations is None and len(data) <= FRESH_REFIT_INTERACTIONS
    model = train(data, cfg, progress=False)
    uf, ff = fit_factors(confidence(data, cfg.weighting), cfg)
    assert np.allclose(model.user_factors, uf, atol=1e-6)
    assert np.allclose(model.film_factors, ff, atol=1e-6)
    assert model.meta["refit"].startswith("fresh") and model.calibration
    warm = train(data, TrainConfig(**{**cfg.__dict__, "warm_iterations": 2}), progress=False)
    assert warm.meta["refit"].startswith("warm: 2 sweep")
    assert not np.allclose(warm.user_factors, uf, atol=1e-3)


def test_a_fresh_refit_under_min_rating_says_what_it_fitted() -> None:
    """The refit said "a second fit on all 1,565 interactions" of a 4,349-interaction log
    under --min-rating: all the liked ones, not all."""
    data = _log()
    rated = Interactions.from_columns(
        pa.array(data.users.ids[data.user_idx]), pa.array(data.films.ids[data.film_idx]),
        timestamp=data.timestamp, rating=np.where(np.arange(len(data)) % 3 == 0, 2.0, 4.0))
    model = train(rated, TrainConfig(factors=6, iterations=3, min_rating=3.0, segments=2),
                  progress=False)
    liked = int((np.arange(len(data)) % 3 != 0).sum())
    assert model.meta["refit"] == (f"fresh: a second fit on all {liked:,} interactions rated 3 "
                                   f"or more (of {len(data):,})")
    plain = train(data, TrainConfig(factors=6, iterations=3, segments=2), progress=False)
    assert plain.meta["refit"] == f"fresh: a second fit on all {len(data):,} interactions"
