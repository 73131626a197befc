"""Fold-in by model family: an EASE model folds a training user back onto its trained vector,
recommends from a history exactly as a dense EASE does at full rank, and the live overlay
refreshes EASE users by the projection; ALS fold-in is implicit's user step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from helpers import demo_model
from numpy.typing import NDArray

from recommender.io.dataset import Interactions
from recommender.model import foldin
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query.recommend import fold_in, recommend_from_history, recommend_user
from recommender.serving.overlay import Overlay


@pytest.fixture(scope="module")
def ease_model(tmp_path_factory: Any) -> Model:
    return demo_model(tmp_path_factory, family="ease", ease_lambda=50.0)[1]


@pytest.fixture(scope="module")
def als_model(tmp_path_factory: Any) -> Model:
    return demo_model(tmp_path_factory)[1]


def binary_rows(model: Model, users: NDArray[np.integer]) -> NDArray[np.float64]:
    return np.asarray(model.seen[users].toarray() > 0, np.float64)


def test_folding_in_training_users_gives_back_their_vectors(ease_model: Model) -> None:
    m = ease_model
    assert m.family == "ease" and m.fold_in_projection is not None
    users = np.arange(m.n_users)
    again = foldin.fold_in(m, foldin.confidence_of(m, m.seen, m.seen))
    np.testing.assert_allclose(again, m.user_factors, rtol=1e-4,
                               atol=1e-5 * float(np.abs(m.user_factors).max()))
    # the same through the query room's fold-in of a watch history, one user at a time
    for u in (0, 17, m.n_users - 1):
        np.testing.assert_allclose(fold_in(m, m.user_films(u)), m.user_factors[u], rtol=1e-4,
                                   atol=1e-5 * float(np.abs(m.user_factors).max()))
    # and independently: the binary rows times the projection
    proj = np.asarray(m.fold_in_projection, np.float64)
    np.testing.assert_allclose(binary_rows(m, users[:50]) @ proj, m.user_factors[:50],
                               rtol=1e-4, atol=1e-5 * float(np.abs(m.user_factors).max()))


def small_log(seed: int = 0, n_users: int = 120, n_films: int = 30) -> Interactions:
    rng = np.random.default_rng(seed)
    dense = rng.random((n_users, n_films)) < 0.2
    dense[rng.integers(n_users, size=n_films), np.arange(n_films)] = True
    dense[np.arange(n_users), rng.integers(n_films, size=n_users)] = True
    u, f = np.nonzero(dense)
    return Interactions.from_columns(pa.array([f"u{i:03d}" for i in u]),
                                     pa.array([f"film-{j:02d}" for j in f]), source="small")


def test_history_recommendations_at_full_rank_are_dense_ease() -> None:
    lam = 8.0
    m = train(small_log(), TrainConfig(family="ease", factors=30, ease_lambda=lam, holdout=0.0,
                                       segments=2), progress=False)
    x = np.asarray(m.seen.toarray() > 0, np.float64)
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    films = np.array([1, 4, 9, 22])
    history = np.zeros(m.n_films)
    history[films] = 1.0
    want = history @ b
    got = recommend_from_history(m, [str(m.films.ids[i]) for i in films], k=m.n_films - 4,
                                 explain_n=0)
    cand = np.setdiff1d(np.arange(m.n_films), films)
    oracle = cand[np.lexsort((cand, -want[cand]))]
    assert got.film_idx.tolist() == oracle.tolist()
    np.testing.assert_allclose(got.score, want[oracle], atol=1e-5 * np.abs(want).max())


def test_the_overlay_refreshes_ease_users_by_the_projection(ease_model: Model) -> None:
    m = ease_model
    u = 5
    new_film = int(np.setdiff1d(np.arange(m.n_films), m.user_films(u))[0])
    films = [str(m.films.ids[i]) for i in (3, 8, 21)]
    ov = Overlay(m)
    assert ov.refresh_vectors
    ov.apply(np.array([str(m.users.ids[u]), "newcomer", "newcomer", "newcomer"]),
             np.array([str(m.films.ids[new_film]), *films]), np.ones(4), 9)
    derived = ov.model()
    proj = np.asarray(m.fold_in_projection, np.float64)
    row = binary_rows(m, np.array([u]))[0]
    row[new_film] = 1.0
    scale = float(np.abs(m.user_factors).max())
    np.testing.assert_allclose(derived.user_factors[u], row @ proj, rtol=1e-4, atol=1e-5 * scale)
    newcomer = derived.users.index_of("newcomer")
    fresh = np.zeros(m.n_films)
    fresh[[3, 8, 21]] = 1.0
    np.testing.assert_allclose(derived.user_factors[newcomer], fresh @ proj, rtol=1e-4,
                               atol=1e-5 * scale)
    # untouched users keep their trained vectors
    np.testing.assert_array_equal(derived.user_factors[:5], m.user_factors[:5])
    assert "EASE" in ov.describe()["vectors"]


def test_als_fold_in_is_implicits_user_step(als_model: Model) -> None:
    """A watch list and the overlay's batch step both solve implicit's user step with the
    confidence training used, c = alpha x value (the watch list took c = 1 + alpha, a step of
    another objective)."""
    m = als_model
    assert m.family == "als" and m.fold_in_projection is None
    params = m.meta["params"]
    assert params["weighting"] == "binary"
    alpha, reg = float(params["alpha"]), float(params["regularization"])
    y = np.asarray(m.film_factors, np.float64)

    def direct(films: NDArray[np.integer]) -> NDArray[np.float64]:
        # (YtY + reg I + sum (c-1) y y^T)^-1 sum c y, c = alpha
        yi = y[films]
        return np.linalg.solve(y.T @ y + reg * np.eye(y.shape[1]) + (alpha - 1) * yi.T @ yi,
                               alpha * yi.sum(axis=0))

    np.testing.assert_allclose(fold_in(m, m.user_films(11)), direct(m.user_films(11)),
                               rtol=1e-4, atol=1e-5)
    rows = sp.csr_matrix(m.seen[[11, 12]], dtype=np.float64)
    got = foldin.fold_in(m, foldin.confidence_of(m, rows, m.seen))
    for r, user in enumerate((11, 12)):
        np.testing.assert_allclose(got[r], direct(m.user_films(user)), rtol=1e-4, atol=1e-5)


def test_a_watch_list_is_folded_in_as_a_new_users_events_are(als_model: Model) -> None:
    """``recommend --watched`` / ``POST /recommendations`` and a user the model knows only
    from the store's events, with the same films: one vector, one list (they differed)."""
    m = als_model
    films = [str(m.films.ids[i]) for i in (3, 8, 21, 40, 41)]
    ov = Overlay(m)
    ov.apply(np.array(["newcomer"] * len(films)), np.array(films), np.ones(len(films)), 5)
    derived = ov.model()
    newcomer = derived.users.index_of("newcomer")
    np.testing.assert_allclose(fold_in(m, m.films.to_index(films)),
                               derived.user_factors[newcomer], rtol=1e-5, atol=1e-6)
    by_list = recommend_from_history(m, films, k=10)
    by_events = recommend_user(derived, "newcomer", k=10)
    assert by_list.film_idx.tolist() == by_events.film_idx.tolist()
    np.testing.assert_allclose(by_list.score, by_events.score, rtol=1e-5, atol=1e-6)


def test_a_training_users_history_folds_in_near_their_trained_vector(als_model: Model
                                                                     ) -> None:
    """The user step training took lands near the trained vector (it is one step off the
    fit's last sweep); the 1 + alpha step was about 5x further (median 0.15 of the norm)."""
    m = als_model
    errs = [np.linalg.norm(fold_in(m, m.user_films(u)) - m.user_factors[u])
            / np.linalg.norm(m.user_factors[u]) for u in range(0, m.n_users, 50)]
    assert float(np.median(errs)) < 0.07, np.median(errs)


def test_an_ease_model_without_its_projection_cannot_fold_in(ease_model: Model) -> None:
    from dataclasses import replace

    from recommender.errors import ArtifactError

    with pytest.raises(ArtifactError, match="fold_in_projection"):
        fold_in(replace(ease_model, fold_in_projection=None), np.array([1, 2]))


def test_the_user_protocol_folds_ease_users_in_by_the_projection() -> None:
    from recommender.evaluation.runs import EngineUnderTest
    from recommender.evaluation.splits import make_split

    lam = 8.0
    split = make_split(small_log(seed=3, n_users=200), "user", 0)
    engine = EngineUnderTest(TrainConfig(family="ease", factors=30, ease_lambda=lam,
                                         holdout=0.0, segments=2))
    scorer = engine.fit_split(split)
    # the oracle: dense EASE on the training matrix, applied to each held-out user's history
    x = np.asarray(split.train.to_csr().toarray() > 0, np.float64)
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    hist = np.asarray(split.history.to_csr().toarray() > 0, np.float64)
    users = np.asarray(split.users)
    want = hist[users] @ b
    got = scorer.score(users, np.arange(x.shape[1]))
    unseen = hist[users] == 0
    np.testing.assert_allclose(got[unseen], want[unseen], atol=1e-5 * np.abs(want).max())


def test_a_watch_lists_fold_in_is_implicits_own_recalculate_user(als_model: Model) -> None:
    """An oracle the closed forms above do not share: implicit's ``recalculate_user`` (which
    applies alpha itself) on the model's film factors gives a watch list's vector."""
    from implicit.cpu.als import AlternatingLeastSquares

    m = als_model
    params = m.meta["params"]
    assert params["weighting"] == "binary"
    als = AlternatingLeastSquares(factors=m.film_factors.shape[1], alpha=float(params["alpha"]),
                                  regularization=float(params["regularization"]))
    als.item_factors = np.asarray(m.film_factors, np.float32)
    als.user_factors = np.zeros((1, m.film_factors.shape[1]), np.float32)
    for user in (0, 11, 77):
        films = m.user_films(user)
        row = sp.csr_matrix((np.ones(len(films), np.float32),
                             (np.zeros(len(films), np.int64), films)), shape=(1, m.n_films))
        want = np.asarray(als.recalculate_user(0, row), np.float64).reshape(-1)
        np.testing.assert_allclose(fold_in(m, films), want, rtol=1e-3,
                                   atol=1e-4 * float(np.abs(want).max()))
