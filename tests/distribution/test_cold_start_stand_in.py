"""A new film's demand borrows the calibration of the known film nearest its taste vector:
under BPR and LMF their bias columns are not taste (left in, the film of the largest bias
stood in for most new films). Oracle: the float64 cosine over the taste columns."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.distribution.demand import cold_start_scores
from recommender.query.audience import cold_start_vector
from tests.service_fixtures import family_model


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_the_stand_in_is_the_nearest_film_by_taste(family: str) -> None:
    model = family_model(family)
    ff = np.asarray(model.film_factors, np.float64)
    d = ff.shape[1] - model.bias_columns
    units = ff[:, :d] / np.linalg.norm(ff[:, :d], axis=1)[:, None]
    picked = []
    for like in ([1, 4], [2], [7, 9, 11], [20, 3]):
        ids = [str(model.films.ids[i]) for i in like]
        vec = np.asarray(cold_start_vector(model, ids, []), np.float64)[:d]
        _, stand_in, _ = cold_start_scores(model, ids, [])
        want = units @ (vec / np.linalg.norm(vec))
        assert want[stand_in] == pytest.approx(want.max(), abs=1e-6), (family, like)
        picked.append(stand_in)
    assert len(set(picked)) > 1  # not one film (the largest bias) for every new film
