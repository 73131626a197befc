"""The live overlay: fold-in against implicit's own solver and a direct normal-equations solve;
derived models exclude new interactions, refresh vectors and serve new users, exactly."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import brute_audience, synthetic_model

from recommender.model.model import Model
from recommender.serving.engine import Engine
from recommender.serving.overlay import Overlay, confidence_of, engine_with, fold_in


def normal_equations(y: np.ndarray, films: np.ndarray, conf: np.ndarray, reg: float
                     ) -> np.ndarray:
    """The ALS user step written out: (Y^T C Y + reg I)^-1 Y^T C p over all films."""
    y = np.asarray(y, np.float64)
    c = np.ones(len(y))
    p = np.zeros(len(y))
    c[films] = conf  # confidence c_i for watched films, 1 elsewhere (Hu et al.)
    p[films] = 1.0
    a = y.T @ (c[:, None] * y) + reg * np.eye(y.shape[1])
    return np.linalg.solve(a, y.T @ (c * p))


def test_fold_in_matches_implicit_and_the_normal_equations() -> None:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(5)
    n_users, n_films, f = 60, 40, 16
    dense = (rng.random((n_users, n_films)) < 0.2).astype(np.float32)
    dense[np.arange(n_users), rng.integers(n_films, size=n_users)] = 1
    counts = sp.csr_matrix(dense * rng.integers(1, 4, size=dense.shape).astype(np.float32))
    with threadpool_limits(1, "blas"):
        als = AlternatingLeastSquares(factors=f, regularization=3.0, alpha=2.5, iterations=3,
                                      random_state=0, calculate_training_loss=False)
        als.fit(counts, show_progress=False)
        users = np.arange(10)
        theirs = als.recalculate_user(users, counts[users])
    ours = fold_in(als.item_factors, 2.5 * counts[users], 3.0)
    assert np.allclose(ours, theirs, rtol=2e-3, atol=2e-4)
    for u in users.tolist():
        row = counts[u]
        direct = normal_equations(als.item_factors, row.indices, 2.5 * row.data, 3.0)
        assert np.allclose(ours[u], direct, rtol=1e-4, atol=1e-5)


def test_fold_in_of_an_empty_row_is_zero_and_batches_agree() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=(30, 8)).astype(np.float32)
    conf = sp.csr_matrix((np.array([3.0, 3.0, 0.0]), (np.array([0, 2, 2]),
                                                      np.array([4, 5, 6]))), shape=(3, 30))
    conf.eliminate_zeros()
    out = fold_in(y, conf, 1.0)
    assert (out[1] == 0).all()
    assert np.allclose(out[0], fold_in(y, conf[0], 1.0)[0])


@pytest.fixture()
def model() -> Model:
    return synthetic_model(n_users=120, n_films=25, seed=2)


def _overlay(model: Model, rows: list[tuple[str, str, float]], seq: int = 3) -> Overlay:
    ov = Overlay(model)
    ov.apply(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
             np.array([r[2] for r in rows]), seq)
    return ov


def test_new_interactions_are_excluded_and_the_vector_refreshed(model: Model) -> None:
    u = 7
    unseen = np.setdiff1d(np.arange(model.n_films), model.user_films(u))
    f = int(unseen[0])
    uid, fid = str(model.users.ids[u]), str(model.films.ids[f])
    derived = _overlay(model, [(uid, fid, 1.0)]).model()
    assert model.seen[u, f] == 0, "the base model is never changed"
    assert derived.seen[u, f] == 1 and u in derived.film_viewers(f)
    engine = Engine(derived)
    page = engine.audience(fid, k=derived.n_users)
    assert uid not in page.user_ids.tolist()
    order, scores = brute_audience(derived, f)
    assert page.user_idx.tolist() == order.tolist()
    recs = engine.recommendations(uid, k=derived.n_films)
    assert f not in recs.film_idx.tolist()
    assert model.seen[u].nnz + len(recs.film_idx) == model.n_films - 1
    # the refreshed vector is the trained one plus what the event changes: the ALS step over
    # the user's films with it less the step without it (binary, alpha, reg)
    films, before = derived.user_films(u), model.user_films(u)
    alpha, reg = model.meta["params"]["alpha"], model.meta["params"]["regularization"]
    step = normal_equations(model.film_factors, films, np.full(len(films), alpha), reg)
    step_before = normal_equations(model.film_factors, before, np.full(len(before), alpha), reg)
    expected = model.user_factors[u] + step - step_before
    assert np.allclose(derived.user_factors[u], expected, rtol=1e-4, atol=1e-5)
    others = np.setdiff1d(np.arange(model.n_users), [u])
    assert np.array_equal(derived.user_factors[others], model.user_factors[others])


def test_a_new_user_gets_a_vector_and_appears_in_audiences(model: Model) -> None:
    films = [str(model.films.ids[i]) for i in (1, 4, 9)]
    new_id = "nouveau/ü 0042"
    ov = _overlay(model, [(new_id, fid, 1.0) for fid in films] + [(new_id, "no-such", 1.0)])
    derived = ov.model()
    assert new_id not in model.users and len(model.users) == model.n_users
    assert derived.n_users == model.n_users + 1 and derived.users.ids[-1] == new_id
    assert ov.describe()["new_users"] == 1 and ov.unknown_film_events == 1
    n = model.n_users
    assert np.abs(derived.user_factors[n]).sum() > 0
    assert sorted(derived.user_films(n).tolist()) == [1, 4, 9]
    # the best film for the new user: the new user is in its audience, at the brute rank
    f = int(np.argmax(np.where(np.isin(np.arange(model.n_films), [1, 4, 9]), -np.inf,
                               derived.film_factors @ derived.user_factors[n])))
    page = Engine(derived).audience(str(model.films.ids[f]), k=derived.n_users)
    order, _ = brute_audience(derived, f)
    assert page.user_idx.tolist() == order.tolist() and new_id in page.user_ids.tolist()
    assert len(derived.user_table.user_ids) == derived.n_users
    assert derived.segments.labels[n] >= 0


def test_engine_keys_follow_the_event_sequence(model: Model) -> None:
    base = Engine(model)
    uid, fid = str(model.users.ids[0]), str(model.films.ids[3])
    derived = engine_with(base, _overlay(model, [(uid, fid, 1.0)], seq=42).model())
    assert base.events_seq == 0 and derived.events_seq == 42
    assert derived.key != base.key and "+42#" in derived.key
    assert derived.max_k == base.max_k and derived.depth == base.depth


def test_events_of_films_the_model_lacks_are_reflected_all_the_same(model: Model) -> None:
    """Events that apply to nothing (a film the model lacks) left the base model, whose
    meta names no sequence: its engine (and a next wave's events_seq) said 0 events were
    seen, where the overlay had read through 42."""
    uid = str(model.users.ids[0])
    ov = _overlay(model, [(uid, "no-such-film", 1.0)], seq=42)
    derived = ov.model()
    assert ov.applied == 0 and ov.unknown_film_events == 1
    assert derived.meta["overlay"]["seq"] == 42 and Engine(derived).events_seq == 42
    assert derived.user_factors is model.user_factors and derived.seen is model.seen
    assert "overlay" not in model.meta and Overlay(model).model() is model  # nothing read


def test_log_weighting_uses_the_event_weight(model: Model) -> None:
    model.meta["params"] = {**model.meta["params"], "weighting": "log"}
    counts = sp.csr_matrix(np.array([[0, 2.0, 1.0]]))
    conf = confidence_of(model, counts, counts)
    assert np.allclose(conf.data, model.meta["params"]["alpha"] * (1 + np.log1p([2.0, 1.0])))


def test_applying_in_steps_equals_applying_at_once(model: Model) -> None:
    ids, films = model.users.ids, model.films.ids
    first = [(str(ids[3]), str(films[2]), 1.0), ("newbie", str(films[5]), 1.0)]
    second = [(str(ids[3]), str(films[9]), 1.0), (str(ids[8]), str(films[1]), 1.0),
              ("newbie", str(films[6]), 1.0), ("later", str(films[7]), 1.0)]
    steps = _overlay(model, first, seq=2)
    steps.model()
    steps.apply(np.array([r[0] for r in second]), np.array([r[1] for r in second]),
                np.ones(len(second)), 6)
    stepped = steps.model()
    once = _overlay(model, first + second, seq=6).model()
    assert stepped.users.ids.tolist() == once.users.ids.tolist()
    assert np.array_equal(stepped.user_factors, once.user_factors)
    assert (stepped.seen != once.seen).nnz == 0


def test_the_trained_part_of_a_vector_is_kept() -> None:
    """A known user's vector is the trained one plus what the events change, never a re-fold
    of their rows alone (which would turn a rating-weighted vector into a one-view-each one):
    under binary weighting a repeat view of a film already watched changes no confidence, so
    the vector stays exactly as trained (the trained factors here are not an ALS step of the
    rows, so a re-fold would move them)."""
    model = synthetic_model(n_users=60, n_films=20, seed=4)
    assert model.meta["params"].get("weighting", "binary") == "binary"
    u = 5
    f = int(model.user_films(u)[0])
    derived = _overlay(model, [(str(model.users.ids[u]), str(model.films.ids[f]), 1.0)]).model()
    assert np.array_equal(derived.user_factors[u], model.user_factors[u])


def test_a_new_user_with_a_trained_users_history_joins_that_users_segment() -> None:
    """New users were put in the segment of the nearest raw mean (Euclidean), while training
    clusters by direction (spherical k-means): a new user with a trained user's very history
    (an EASE fold-in gives the trained vector exactly) landed in another segment for 7% (ALS)
    to 23% (EASE) of users on ML-100K. Oracle: the trained users' own labels."""
    from recommender.model.config import TrainConfig
    from recommender.model.training import train
    from tests.service_fixtures import build_interactions

    data = build_interactions(n_users=150, n_films=40, per_user=8, seed=6)
    model = train(data, TrainConfig(family="ease", factors=12, segments=5, holdout=0.0),
                  progress=False)
    rows = [(f"clone-{u}", str(model.films.ids[f]), 1.0)
            for u in range(model.n_users) for f in model.user_films(u).tolist()]
    derived = _overlay(model, rows).model()
    clones = np.asarray([derived.users.index_of(f"clone-{u}") for u in range(model.n_users)])
    assert np.allclose(derived.user_factors[clones], model.user_factors, atol=1e-5)
    same = np.asarray(derived.segments.labels)[clones] == np.asarray(model.segments.labels)
    assert same.mean() >= 0.99, f"{(~same).sum()} of {len(same)} clones in another segment"


def test_rating_weighting_values_an_event_as_train_events_does(model: Model) -> None:
    """Under the rating scheme an event carries no rating: a new pair counts at the
    ``event_rating`` training recorded (what ``train --events`` gives it), not at its weight
    of one view (a rating of 1, the lowest); a pair the user rated is unchanged, as retraining
    keeps their rating. Oracle: the ALS step written out at that confidence."""
    model.meta["params"] = {**model.meta["params"], "weighting": "rating"}
    model.meta["data"] = {**model.meta.get("data", {}), "event_rating": 4.0}
    alpha, reg = model.meta["params"]["alpha"], model.meta["params"]["regularization"]
    films = [1, 4, 9]
    derived = _overlay(model, [("rater", str(model.films.ids[i]), 1.0) for i in films]).model()
    expected = normal_equations(model.film_factors, np.array(films),
                                np.full(len(films), alpha * 4.0), reg)
    assert np.allclose(derived.user_factors[model.n_users], expected, rtol=1e-4, atol=1e-5)
    u = int(np.flatnonzero(np.diff(model.seen.indptr))[0])
    rated = int(model.user_films(u)[0])
    again = _overlay(model, [(str(model.users.ids[u]), str(model.films.ids[rated]), 3.0)]
                     ).model()
    assert np.array_equal(again.user_factors[u], model.user_factors[u])
    # a model that recorded no event_rating (trained before it was) keeps the event's weight
    del model.meta["data"]["event_rating"]
    old = _overlay(model, [("rater", str(model.films.ids[i]), 1.0) for i in films]).model()
    expected = normal_equations(model.film_factors, np.array(films),
                                np.full(len(films), alpha * 1.0), reg)
    assert np.allclose(old.user_factors[model.n_users], expected, rtol=1e-4, atol=1e-5)
