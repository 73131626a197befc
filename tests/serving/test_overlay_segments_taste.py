"""A new user's segment (the live overlay) is the nearest centre over the taste columns, as
training clusters them: LMF's and BPR's bias columns (a constant 1, a user bias) left out."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.model.model import Segments
from recommender.serving.overlay import Overlay
from tests.service_fixtures import family_model


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_a_new_user_with_a_trained_users_vector_joins_that_users_segment(family: str) -> None:
    model = family_model(family, segments=4)
    uf = np.asarray(model.user_factors)
    labels = np.asarray(model.segments.labels)
    # every trained user again, as a new user with the very same vector
    seg: Segments = Overlay(model)._segments(np.r_[uf, uf])
    clones = np.asarray(seg.labels)[len(labels):]
    # with the bias columns in the cosine, LMF put 2 of its 80 users' clones elsewhere
    assert np.array_equal(clones, labels)
