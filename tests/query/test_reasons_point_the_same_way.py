"""A recommendation's reasons are watched films that point the same way as the film: a film
whose cosine with it is 0 or less (pointing away, or with nothing fitted: a zero vector) brought
none of its score and is no reason. Such films were cited with share 0 (a watch list of two or
three films got them in a third of its lists on ml-100k), and the CLI's table printed them as
"because you watched".

Oracle: hand-made film vectors whose cosines are known (1, 0.995, 0, -0.995).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from helpers import synthetic_model

from recommender.query.recommend import explain, recommend_for_watched


def test_a_film_pointing_away_or_with_nothing_fitted_is_no_reason() -> None:
    m = synthetic_model(n_users=30, n_films=8, factors=2, seed=3)
    ff = np.zeros((8, 2), np.float32)
    ff[0] = (1, 0)        # the recommended film's direction
    ff[1] = (1, 0.1)      # watched, nearly the same way
    ff[2] = (0, 0)        # watched, nothing fitted
    ff[3] = (-1, -0.1)    # watched, pointing away
    ff[4:] = (-1, 1)      # the rest, away from the watch list's taste
    m = dataclasses.replace(m, film_factors=ff)
    got = explain(m, np.array([1, 2, 3]), np.array([0]))
    assert [[b["film_id"] for b in row] for row in got] == [[str(m.films.ids[1])]]
    assert got[0][0]["share"] == 1.0 and got[0][0]["similarity"] == 0.995
    # no watched film points the film's way: no reason at all
    assert explain(m, np.array([2, 3]), np.array([0])) == [[]]
    films, _ = recommend_for_watched(m, [str(m.films.ids[f]) for f in (1, 2, 3)], k=5)
    for f, row in zip(films.film_idx.tolist(), films.because or [], strict=True):
        assert all(b["similarity"] > 0 and b["share"] > 0 for b in row), (f, row)
