"""EASE models' film similarity, explanations and live refresh under rating weighting, each
against an independent dense computation from the interactions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from test_foldin import small_log

from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.model.weighting import confidence
from recommender.query.recommend import recommend_from_history, similar_films
from recommender.serving.overlay import Overlay

LAM = 8.0


def test_similar_films_are_the_shrunk_gram_cosine_not_orthogonal_factors() -> None:
    """At full rank EASE's film factors V / d are orthogonal (every cosine 0): similarity must
    come from the projection V diag(w), whose Gram is (I - lam P)^2 with P = (X'X + lam I)^-1."""
    data = small_log()
    m = train(data, TrainConfig(family="ease", factors=30, ease_lambda=LAM, holdout=0.0,
                                segments=2), progress=False)
    x = np.asarray(m.seen.toarray() > 0, np.float64)
    a = np.eye(x.shape[1]) - LAM * np.linalg.inv(x.T @ x + LAM * np.eye(x.shape[1]))
    s = a @ a
    cos = s / np.sqrt(np.outer(np.diag(s), np.diag(s)))
    for f in (0, 7, 19):
        got = similar_films(m, str(m.films.ids[f]), k=5)
        want = cos[f].copy()
        want[f] = -np.inf
        cand = np.argsort(-want, kind="stable")[:5]
        assert got.film_idx.tolist() == cand.tolist()
        np.testing.assert_allclose(got.score, want[cand], atol=1e-5)
        assert np.abs(got.score).max() > 0.05  # not the orthogonal factors' zeros
    # explanations ("because") use the same similarities, so they are not all zero either
    rec = recommend_from_history(m, [str(m.films.ids[i]) for i in (1, 4, 9)], k=3,
                                 explain_n=2)
    assert rec.because is not None
    shares = [b for row in rec.because for b in row]
    assert shares and any(abs(float(b["similarity"])) > 0.05 for b in shares)


def test_overlay_keeps_trained_ease_vectors_exact_under_rating_weighting() -> None:
    """Rating weighting: the rebuilt rows count a trained interaction as one view, but EASE is
    linear, so a refreshed vector is the trained one plus the new event's confidence times the
    projection; oracle: the rating-weighted confidence row with the event (at the log's median
    rating), times it."""
    rng = np.random.default_rng(3)
    base = small_log(1)
    ratings = rng.integers(1, 6, len(base)).astype(np.float32)
    data = Interactions.from_columns(pa.array(base.users.ids[base.user_idx]),
                                     pa.array(base.films.ids[base.film_idx]),
                                     rating=ratings, weight=ratings, source="rated")
    m = train(data, TrainConfig(family="ease", factors=30, ease_lambda=LAM, holdout=0.0,
                                weighting="rating", segments=2), progress=False)
    u = 11
    new_film = int(np.setdiff1d(np.arange(m.n_films), m.user_films(u))[0])
    ov = Overlay(m)
    ov.apply(np.array([str(m.users.ids[u])]), np.array([str(m.films.ids[new_film])]),
             np.array([4.0]), 1)
    derived = ov.model()
    conf = confidence(data, "rating").toarray()
    row = np.asarray(conf[u], np.float64)
    # an event carries no rating: its new pair counts at the log's median rating, as
    # train --events rates it (the event's weight, 4 views, is no rating)
    assert m.meta["data"]["event_rating"] == float(np.median(ratings))
    row[new_film] = float(np.median(ratings))
    proj = np.asarray(m.fold_in_projection, np.float64)
    want = row @ proj
    np.testing.assert_allclose(derived.user_factors[u], want, rtol=1e-4,
                               atol=1e-5 * float(np.abs(want).max()))
    # the trained vector itself is the rating-weighted row times the projection
    np.testing.assert_allclose(m.user_factors[u], conf[u] @ proj, rtol=1e-4,
                               atol=1e-5 * float(np.abs(want).max()))
