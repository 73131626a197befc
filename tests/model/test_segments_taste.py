"""Segments cluster users by taste: BPR's and LMF's bias columns (a constant 1, LMF's user
bias: how much a user watches) are left out of the k-means, as lookalikes leave them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from recommender.model import segments, training
from recommender.model.config import MODEL_REGULARIZATION, TrainConfig
from tests.service_fixtures import build_interactions

CONFIG = TrainConfig(factors=6, iterations=3, segments=3, holdout=0.0, tune=False, seed=2)


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_segments_are_clustered_on_the_taste_columns(family: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = CONFIG if family == "als" else replace(
        CONFIG, model=family, regularization=MODEL_REGULARIZATION[family])
    clustered: list[np.ndarray] = []
    real = segments.kmeans

    def spied(x: np.ndarray, *a: Any, **k: Any) -> Any:
        clustered.append(np.array(x))
        return real(x, *a, **k)

    monkeypatch.setattr(segments, "kmeans", spied)
    model = training.train(build_interactions(n_users=80, n_films=30, per_user=8, seed=3),
                           config, progress=False)
    (x,) = clustered
    taste = model.user_factors[:, :model.user_factors.shape[1] - model.bias_columns]
    assert x.shape == (model.n_users, CONFIG.factors)
    assert np.array_equal(x, taste)
    # and the labels are that clustering's (the oracle: k-means on the taste columns alone)
    want = real(np.asarray(taste), CONFIG.segments, seed=CONFIG.seed,
                min_size=training.min_cell_from_env())
    assert np.array_equal(model.segments.labels, want)
