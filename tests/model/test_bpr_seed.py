"""A BPR fit is reproducible under its seed, as the ALS, LMF and EASE fits are: implicit's BPR
samples on every core, and two fits with the same seed differed (up to 0.16 in a factor)."""

from __future__ import annotations

import numpy as np

from recommender.model.config import TrainConfig
from recommender.model.training import train
from tests.service_fixtures import build_interactions


def test_two_bpr_fits_with_one_seed_are_identical() -> None:
    data = build_interactions(n_users=300, n_films=60, per_user=12, seed=4)
    config = TrainConfig(model="bpr", factors=8, iterations=20, segments=2, holdout=0.0,
                         seed=3)
    first, second = (train(data, config, progress=False) for _ in range(2))
    assert np.array_equal(first.film_factors, second.film_factors)
    assert np.array_equal(first.user_factors, second.user_factors)
    other = train(data, TrainConfig(model="bpr", factors=8, iterations=20, segments=2,
                                    holdout=0.0, seed=4), progress=False)
    assert not np.array_equal(first.film_factors, other.film_factors)  # the seed matters
