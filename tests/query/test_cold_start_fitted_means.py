"""A cold-start genre's mean vector is over the genre's films the model fitted: films whose
every rating fell below ``--min-rating`` are in the model with zero vectors (235 of ML-100K's
1,682 at ``--min-rating 4``), and averaged in they shrank the genre's mean towards 0 by their
share, and its weight against other genres and comparable films with it.

Oracle: the planted low ratings (which films were fitted) and each genre's mean taken by hand
over the catalog's genre strings and the model's non-zero rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from numpy.typing import NDArray

from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query.audience import cold_start_vector
from tests.service_fixtures import build_interactions

CONFIG = TrainConfig(factors=6, iterations=4, segments=2, holdout=0.0, tune=False, seed=2,
                     min_rating=3.0)


@pytest.fixture(scope="module")
def model() -> Model:
    base = build_interactions(n_users=80, n_films=30, per_user=8, seed=3)
    first = str(base.catalog.genres[0])  # half of this genre's films only rated low
    films = base.catalog.film_ids[base.catalog.genres == first]
    low = np.isin(base.films.ids[base.film_idx], films[::2])
    rating = np.where(low, 1.0, 5.0)
    return train(Interactions.from_columns(
        pa.array(base.users.ids[base.user_idx]), pa.array(base.films.ids[base.film_idx]),
        rating=rating, catalog=base.catalog, user_table=base.user_table, source="cold-means"),
        CONFIG, progress=False)


def hand_mean(model: Model, genre: str) -> NDArray[np.float64]:
    ff = np.asarray(model.film_factors, np.float64)
    rows = [f for f, text in enumerate(model.catalog.genres.tolist())
            if genre in text.split("|") and any(v != 0.0 for v in ff[f])]
    return ff[rows].mean(axis=0)


def test_a_genres_mean_leaves_out_the_films_nothing_was_fitted_on(model: Model) -> None:
    ff = np.asarray(model.film_factors, np.float64)
    zero = ~ff.any(axis=1)
    first = str(model.catalog.genres[0])
    members = np.array([first in g.split("|") for g in model.catalog.genres.tolist()])
    assert 0 < (zero & members).sum() < members.sum(), "the planted low films hold zeros"
    np.testing.assert_allclose(cold_start_vector(model, genres=[first]),
                               hand_mean(model, first), rtol=1e-5, atol=1e-6)
    # two genres weigh 1 each, whatever their share of unfitted films
    other = next(g for g in model.catalog.genre_vocabulary() if g != first)
    np.testing.assert_allclose(cold_start_vector(model, genres=[first, other]),
                               (hand_mean(model, first) + hand_mean(model, other)) / 2,
                               rtol=1e-5, atol=1e-6)
    # and a comparable film against a genre: 1 to 1
    fitted = str(model.films.ids[np.flatnonzero(~zero)[0]])
    np.testing.assert_allclose(cold_start_vector(model, [fitted], genres=[first]),
                               (ff[~zero][0] + hand_mean(model, first)) / 2,
                               rtol=1e-5, atol=1e-6)


def test_a_genre_with_no_fitted_film_is_zero_not_nan(model: Model) -> None:
    from dataclasses import replace

    first = str(model.catalog.genres[0])
    members = np.array([first in g.split("|") for g in model.catalog.genres.tolist()])
    ff = np.array(model.film_factors)
    ff[members] = 0.0
    blank = replace(model, film_factors=ff)
    vec = cold_start_vector(blank, genres=[first])
    assert np.isfinite(vec).all() and not vec.any()
