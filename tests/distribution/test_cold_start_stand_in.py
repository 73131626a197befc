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


def test_under_ease_a_new_film_like_one_known_film_borrows_that_films_calibration() -> None:
    # EASE's film cosines are its projection's rows (Model.film_units): the mean of the
    # comparables' factors (V / d, another space) stood 5 of these 30 films in for others
    model = family_model("als", family="ease")
    assert model.fold_in_projection is not None
    for f in range(model.n_films):
        _, stand_in, nothing = cold_start_scores(model, [str(model.films.ids[f])], [])
        assert nothing or stand_in == f, f
