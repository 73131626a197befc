"""Segments cluster users by taste: BPR's and LMF's bias columns (a constant 1, LMF's user
bias: how much a user watches) are left out of the k-means, as lookalikes leave them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from recommender.model import segments, training
from tests.service_fixtures import SMALL_FAMILY, family_model

REAL_KMEANS = segments.kmeans


def clustered_by(monkeypatch: pytest.MonkeyPatch, **train: Any) -> tuple[Any, np.ndarray]:
    """``family_model(**train)`` and the one matrix training handed to ``segments.kmeans``."""
    clustered: list[np.ndarray] = []

    def spied(x: np.ndarray, *a: Any, **k: Any) -> Any:
        clustered.append(np.array(x))
        return REAL_KMEANS(x, *a, **k)

    monkeypatch.setattr(segments, "kmeans", spied)
    model = family_model(**train)
    (x,) = clustered
    return model, x


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_segments_are_clustered_on_the_taste_columns(family: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model, x = clustered_by(monkeypatch, model=family, segments=3)
    taste = model.user_factors[:, :model.user_factors.shape[1] - model.bias_columns]
    assert x.shape == (model.n_users, SMALL_FAMILY.factors)
    assert np.array_equal(x, taste)
    # and the labels are that clustering's (the oracle: k-means on the taste columns alone)
    want = REAL_KMEANS(np.asarray(taste), 3, seed=SMALL_FAMILY.seed,
                min_size=training.min_cell_from_env())
    assert np.array_equal(model.segments.labels, want)


@pytest.mark.parametrize("model_name", ["bpr", "lmf"])
def test_ease_clusters_every_column_whatever_model_says(model_name: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # --family ease ignores --model (meta's model is "ease", bias_columns 0): its rank's every
    # column is taste, so none is cut off for the k-means (--model lmf dropped two)
    model, x = clustered_by(monkeypatch, model=model_name, family="ease")
    assert model.meta["model"] == "ease" and model.bias_columns == 0
    assert np.array_equal(x, model.user_factors)
