"""A recommendation's reasons ("because you watched") rank the user's watched films by the
cosine of taste vectors: BPR's and LMF's bias columns are not taste, and left in the cosine a
popular film's bias made it a reason for nearly every film, with similarities far from the
pair's own (BPR: 0.70 for a pair whose taste cosine is -0.17).

Oracle: a brute-force cosine over the model's taste columns of each recommended film and
each watched film, in float64; the reasons are the best three with a positive cosine (none
where no watched film points the same way: BPR's bias recommends such films), shares of the
positive mass.
"""

from __future__ import annotations

import numpy as np
import pytest

from recommender.query.recommend import recommend_user, similar_films
from tests.service_fixtures import family_model


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_reasons_are_the_taste_cosine(family: str) -> None:
    model = family_model(family)
    ff = np.asarray(model.film_factors, np.float64)
    taste = ff[:, :ff.shape[1] - model.bias_columns]
    norms = np.linalg.norm(taste, axis=1)
    units = taste / np.where(norms > 0, norms, 1.0)[:, None]
    position = {str(f): i for i, f in enumerate(model.films.ids.tolist())}
    for u in (0, 7, 33):
        watched = model.user_films(u)
        films = recommend_user(model, str(model.users.ids[u]), 5)
        for row in films.rows(model):
            sims = units[watched] @ units[position[row["film_id"]]]
            mass = np.maximum(sims, 0).sum()
            best = np.lexsort((np.arange(len(sims)), -sims))[:3]
            want = [(str(model.films.ids[watched[j]]), round(float(sims[j]), 4),
                     round(float(max(sims[j], 0) / mass) if mass > 0 else 0.0, 4))
                    for j in best if sims[j] > 0]
            got = [(r["film_id"], r["similarity"], r["share"]) for r in row["because"]]
            assert [w[0] for w in want] == [g[0] for g in got]
            assert np.allclose([w[1:] for w in want], [g[1:] for g in got], atol=2e-4)
            # the same pair's similarity as the comparable films' list gives it
            similar = {r["film_id"]: r["score"] for r in
                       similar_films(model, row["film_id"], model.n_films - 1).rows(model)}
            for film_id, similarity, _ in got:
                assert abs(similar[film_id] - similarity) < 2e-4
