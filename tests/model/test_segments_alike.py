"""Users of one taste make one segment: k-means split taste vectors that differ only by
round-off (a log where every user watched every film trained two segments of users at cosine
1 - 1e-14, the second labelled "(segment 1)"). Oracle: the planted directions."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.model.segments import kmeans


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("min_size", [1, 10])
def test_round_off_apart_is_one_segment(seed: int, min_size: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=16)
    x = (base + 1e-6 * rng.normal(size=(40, 16))).astype(np.float32)
    assert np.bincount(kmeans(x, 5, seed=seed, min_size=min_size)).tolist() == [40]


def test_planted_directions_stay_apart() -> None:
    rng = np.random.default_rng(5)
    bases = rng.normal(size=(3, 16))
    planted = np.repeat(np.arange(3), 20)
    x = (bases[planted] + 1e-6 * rng.normal(size=(60, 16))).astype(np.float32)
    labels = kmeans(x, 5, seed=0, min_size=1)
    assert len(set(labels.tolist())) == 3
    for p in range(3):  # each planted taste is one segment, whole
        assert len(set(labels[planted == p].tolist())) == 1
