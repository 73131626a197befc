"""Baselines against brute force: EASE's closed form, popularity orders, ItemKNN products."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.evaluation.baselines import EASE, ItemKNN, Popularity


def _matrix(rng: np.random.Generator, users: int, films: int, p: float) -> sp.csr_matrix:
    return sp.csr_matrix((rng.random((users, films)) < p).astype(np.float32))


@pytest.mark.parametrize("users", [30, 90])  # dual (users < films) and primal form
def test_ease_matches_the_closed_form(users: int) -> None:
    rng = np.random.default_rng(users)
    dense = (rng.random((users, 50)) < 0.15).astype(np.float32)
    dense[:, 7] = 0  # a film nobody watched in training
    X = sp.csr_matrix(dense)
    lam = 7.0
    G = X.toarray().astype(float)
    P = np.linalg.inv(G.T @ G + lam * np.eye(50))
    B = np.eye(50) - P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    model = EASE(lam).fit(X)
    everyone, films = np.arange(users), np.arange(50)
    got = model.scorer().score(everyone, films)
    np.testing.assert_allclose(got, G @ B, atol=1e-4)
    H = _matrix(rng, 6, 50, 0.3)  # folded-in users
    np.testing.assert_allclose(model.scorer(H).score(np.arange(6), films[::3]),
                               (H.toarray() @ B)[:, ::3], atol=1e-4)


def test_popularity_orders_films_by_viewers_and_users_by_activity() -> None:
    X = sp.csr_matrix(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 0]], np.float32))
    s = Popularity().fit(X).scorer().score(np.arange(4), np.arange(3))
    # film popularity 3, 2, 1 -> every user's row is ordered 0, 1, 2
    assert all(list(np.argsort(-row, kind="stable")) == [0, 1, 2] for row in s)
    # user activity 3, 1, 2, 0 -> every film's audience is 0, 2, 1, 3
    assert all(list(np.argsort(-col, kind="stable")) == [0, 2, 1, 3] for col in s.T)


def test_itemknn_scores_are_history_times_similarity() -> None:
    X = _matrix(np.random.default_rng(5), 40, 25, 0.2)
    knn = ItemKNN(K=5).fit(X)
    got = knn.scorer().score(np.arange(40), np.arange(25))
    np.testing.assert_allclose(got, (X @ knn.similarity_).toarray(), rtol=1e-5)
    assert (np.diff(knn.similarity_.tocsr().indptr) <= 5).all()
