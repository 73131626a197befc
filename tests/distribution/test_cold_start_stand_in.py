"""A new film's genres lend the calibrations of the known films nearest their taste: under BPR
and LMF their bias columns are not taste (left in, the film of the largest bias stood in for
most new films). Oracle: the float64 cosine over the taste columns."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.distribution.cold_calibration import (
    NEAREST,
    calibration_films,
    new_film_calibration,
    new_film_taste,
)
from recommender.distribution.demand import cold_start_scores
from recommender.query.audience import cold_start_vector
from tests.service_fixtures import family_model


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_the_nearest_films_are_the_nearest_by_taste(family: str) -> None:
    model = family_model(family)
    ff = np.asarray(model.film_factors, np.float64)
    d = ff.shape[1] - model.bias_columns
    units = ff[:, :d] / np.linalg.norm(ff[:, :d], axis=1)[:, None]
    picked = []
    for like in ([1, 4], [2], [7, 9, 11], [20, 3]):
        ids = [str(model.films.ids[i]) for i in like]
        vec = np.asarray(cold_start_vector(model, ids, []), np.float64)[:d]
        films, weights = calibration_films(model, new_film_taste(model, ids, []))
        want = np.sort(units @ (vec / np.linalg.norm(vec)))[::-1]
        got = units[films] @ (vec / np.linalg.norm(vec))
        # the NEAREST largest cosines, nearest first, each weighted by its cosine less the
        # next film's (the model's unit vectors are float32: a difference of two cosines
        # carries their float32 rounding)
        assert got == pytest.approx(want[:NEAREST], abs=1e-6), (family, like)
        assert weights == pytest.approx((want[:NEAREST] - want[NEAREST])
                                        / (want[:NEAREST] - want[NEAREST]).sum(), abs=5e-3)
        picked.append(int(films[0]))
    assert len(set(picked)) > 1  # not one film (the largest bias) for every new film


def test_a_new_film_like_one_known_film_borrows_that_films_calibration() -> None:
    # EASE's film cosines are its projection's rows (Model.film_units): the mean of the
    # comparables' factors (V / d, another space) stood 5 of these 30 films in for others
    model = family_model("als", family="ease")
    assert model.fold_in_projection is not None
    for f in range(model.n_films):
        like = [str(model.films.ids[f])]
        _, films, weights, nothing = cold_start_scores(model, like, [])
        assert films.tolist() == [f] and weights.tolist() == [1.0]
        near, _ = calibration_films(model, new_film_taste(model, like, []))
        assert nothing or near[0] == f, f
        assert new_film_calibration(model, like, [])[0].tolist() == [f]
