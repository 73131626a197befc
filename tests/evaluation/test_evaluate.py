"""Splits (no leakage), baselines (against brute force), scoring and the evaluate / tune
commands end to end on small planted data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.evaluation.baselines import EASE, ItemKNN, Popularity
from recommender.evaluation.evaluate import (
    ENGINE,
    Engine,
    Split,
    candidate_configs,
    evaluate,
    make_split,
    score_split,
    validation_split,
)
from recommender.io import demo
from recommender.io.dataset import Interactions
from recommender.io.ids import IdMap
from recommender.io.readers import load
from recommender.model.config import TrainConfig
from recommender.model.training import train


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.generate(tmp_path_factory.mktemp("eval") / "demo", seed=3, n_users=300,
                         n_films=80, n_interactions=6000, n_groups=4)


@pytest.fixture(scope="session")
def demo_data(demo_dir: Path) -> Interactions:
    return load(demo_dir)


def _pairs(x: Interactions) -> set[tuple[int, int]]:
    return set(zip(x.user_idx.tolist(), x.film_idx.tolist(), strict=True))


def _check_known(split: Split) -> None:
    train_users = set(split.train.user_idx.tolist())
    train_films = set(split.train.film_idx.tolist())
    assert set(split.test.film_idx.tolist()) <= train_films
    assert set(split.films.tolist()) == train_films
    assert not _pairs(split.test) & _pairs(split.history)
    assert set(split.test.user_idx.tolist()) <= set(split.users.tolist())
    if not split.fold_in:
        assert set(split.users.tolist()) == train_users


def test_random_split_has_no_leakage(demo_data: Interactions) -> None:
    split = make_split(demo_data, "random", seed=1)
    _check_known(split)
    assert len(split.train) == len(demo_data) - round(0.2 * len(demo_data))
    assert 0.15 * len(demo_data) < len(split.test) <= 0.2 * len(demo_data)
    # seeded: the same seed gives the same split, another seed another one
    assert _pairs(make_split(demo_data, "random", seed=1).test) == _pairs(split.test)
    assert _pairs(make_split(demo_data, "random", seed=2).test) != _pairs(split.test)


def test_time_split_respects_the_cutoff(demo_data: Interactions) -> None:
    split = make_split(demo_data, "time")
    _check_known(split)
    assert split.cutoff is not None
    assert split.train.timestamp is not None and split.test.timestamp is not None
    assert split.train.timestamp.max() <= split.cutoff < split.test.timestamp.min()
    assert np.mean(demo_data.timestamp <= split.cutoff) == pytest.approx(0.8, abs=0.01)
    # films first seen after the cut-off go to the cold-start set, never to the test set
    assert split.new_films is not None
    assert not set(split.new_films.film_idx.tolist()) & set(split.train.film_idx.tolist())
    assert split.new_films.timestamp is not None
    assert split.new_films.timestamp.min() > split.cutoff


def test_user_split_holds_users_out_of_training(demo_data: Interactions) -> None:
    split = make_split(demo_data, "user", seed=0)
    _check_known(split)
    held = set(split.users.tolist())
    assert split.fold_in
    assert held and not held & set(split.train.user_idx.tolist())
    assert set(split.history.user_idx.tolist()) == held
    assert 0.1 * demo_data.n_users < len(held) <= 0.2 * demo_data.n_users


def test_time_protocol_needs_timestamps(demo_data: Interactions) -> None:
    from dataclasses import replace

    with pytest.raises(InvalidParameterError, match="timestamps"):
        make_split(replace(demo_data, timestamp=None), "time")
    with pytest.raises(InvalidParameterError, match="protocol"):
        make_split(demo_data, "leave-one-out")


def test_duplicated_pairs_never_reach_the_test_set() -> None:
    # hand-built rows where every (user, film) pair appears twice: whichever copy lands in
    # the test part while the other is in training must be dropped
    u = np.repeat(np.arange(40) % 8, 2).astype(np.int32)
    f = np.repeat(np.arange(40) % 5, 2).astype(np.int32)
    data = Interactions(IdMap([f"u{i}" for i in range(8)]), IdMap([f"f{i}" for i in range(5)]),
                        u, f, np.ones(80, np.float32))
    for seed in range(5):
        split = make_split(data, "random", seed=seed)
        assert not _pairs(split.test) & _pairs(split.train)


def test_validation_split_only_sees_training(demo_data: Interactions) -> None:
    split = make_split(demo_data, "random", seed=0)
    val = validation_split(split)
    assert _pairs(val.train) | _pairs(val.test) <= _pairs(split.train)
    assert not _pairs(val.test) & _pairs(split.test)


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


class _Recorder:
    """A scorer with a known answer: the test matrix itself (a perfect oracle), which also
    records what it was asked to score."""

    def __init__(self, split: Split, sign: float = 1.0) -> None:
        self.truth = split.test.to_csr().toarray()
        self.sign = sign
        self.users: set[int] = set()
        self.films: set[int] = set()

    def score(self, users: NDArray[np.int64], films: NDArray[np.int64]) -> NDArray[np.float32]:
        self.users |= set(users.tolist())
        self.films |= set(films.tolist())
        return (self.sign * self.truth[np.ix_(users, films)]).astype(np.float32)


def test_score_split_with_an_oracle_and_its_opposite(demo_data: Interactions) -> None:
    split = make_split(demo_data, "random", seed=0)
    oracle = _Recorder(split)
    res = score_split(oracle, split, k=10, user_k=5)
    assert res["audience_recall@10"] == pytest.approx(1.0)
    assert res["audience_ndcg@10"] == pytest.approx(1.0)
    assert res["audience_auc"] == pytest.approx(1.0)
    assert res["user_recall@5"] == pytest.approx(1.0)
    # only users and films known in training were ever scored
    assert oracle.users == set(split.train.user_idx.tolist())
    assert oracle.films <= set(split.train.film_idx.tolist())
    worst = score_split(_Recorder(split, -1.0), split, k=10, user_k=5)
    assert worst["audience_auc"] == pytest.approx(0.0)
    assert worst["audience_recall@10"] < 0.2
    assert res["films_evaluated"] == int((np.bincount(split.test.film_idx) >= 5).sum())


def test_engine_scores_equal_the_trained_model(demo_data: Interactions) -> None:
    split = make_split(demo_data, "random", seed=0)
    config = TrainConfig(factors=8, iterations=3, segments=2)
    engine = Engine(config)
    scorer = engine.fit_split(split)
    model = train(split.train, config, progress=False)
    users, films = np.arange(5), np.arange(7)
    np.testing.assert_allclose(scorer.score(users, films),
                               model.user_factors[:5] @ model.film_factors[:7].T, rtol=1e-5)
    # pipeline=False is train() without the calibration holdout
    direct = Engine(config, pipeline=False).fit_split(split).score(users, films)
    model0 = train(split.train, TrainConfig(factors=8, iterations=3, segments=2, holdout=0),
                   progress=False)
    np.testing.assert_allclose(direct, model0.user_factors[:5] @ model0.film_factors[:7].T,
                               rtol=1e-5)


@pytest.mark.slow
def test_evaluate_end_to_end_beats_popularity(demo_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "report.json"
    assert main(["evaluate", "--data", str(demo_dir), "--k", "20", "--json", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "audience_recall@20" in printed and "ease" in printed
    report = json.loads(path.read_text())
    models = report["models"]
    assert set(models) == {ENGINE, "popularity", "itemknn", "als_defaults", "ease"}
    # planted taste groups: the engine must find audiences better than activity ranking
    assert models[ENGINE]["audience_recall@20"] > 1.1 * models["popularity"]["audience_recall@20"]
    assert models[ENGINE]["audience_auc"] > models["popularity"]["audience_auc"]
    assert models[ENGINE]["user_recall@20"] > models["popularity"]["user_recall@20"]
    assert report["ratios_to_engine"][ENGINE]["audience_recall@20"] == pytest.approx(1.0)
    r = report["ratios_to_engine"]["ease"]["audience_recall@20"]
    assert r == pytest.approx(models["ease"]["audience_recall@20"]
                              / models[ENGINE]["audience_recall@20"], rel=1e-3)
    assert report["ease_lambda"]["chosen"] in [float(x) for x in
                                               report["ease_lambda"]["validation_objective"]]


def test_time_protocol_reports_cold_start(demo_data: Interactions) -> None:
    report = evaluate(demo_data, "time", k=20, seed=0, with_baselines=False, progress=False,
                      config=TrainConfig(factors=16, iterations=5, segments=2))
    assert report["split"]["cutoff_timestamp"] > 0
    assert "cold_start" in report
    cs = report["cold_start"]
    assert "status" in cs or cs["engine"]["audience_recall@20"] >= 0


def test_user_protocol_folds_users_in(demo_data: Interactions) -> None:
    config = TrainConfig(factors=16, iterations=8, segments=2)
    report = evaluate(demo_data, "user", k=20, seed=0, with_baselines=False, progress=False,
                      config=config)
    res = report["models"][ENGINE]
    assert res["users_evaluated"] > 0
    # folded-in users carry real taste: far better than chance ranking of 80 films
    assert res["audience_auc"] > 0.6


def test_candidate_configs_are_seeded_distinct_and_start_at_the_defaults() -> None:
    a = candidate_configs(12, seed=4)
    assert a[0] == TrainConfig()
    assert len({json.dumps(c.to_dict(), sort_keys=True) for c in a}) == 12
    assert [c.to_dict() for c in a] == [c.to_dict() for c in candidate_configs(12, seed=4)]
    assert all(c.bm25_k1 == TrainConfig().bm25_k1 for c in a if c.weighting != "bm25")


def test_tune_and_evaluate_commands(demo_dir: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "tuned.json"
    assert main(["tune", "--data", str(demo_dir), "--out", str(out), "--trials", "2",
                 "--k", "20"]) == 0
    tuned: dict[str, Any] = json.loads(out.read_text())
    assert len(tuned["trials"]) == 2
    assert tuned["validation"]["best"]["objective"] >= tuned["validation"]["defaults"]["objective"]
    TrainConfig.from_dict(tuned["params"]).validate()
    # `train --config` accepts what tune wrote
    model_dir = tmp_path / "model"
    assert main(["train", "--data", str(demo_dir), "--config", str(out), "--out",
                 str(model_dir), "--segments", "2"]) == 0
    meta = json.loads((model_dir / "meta.json").read_text())
    assert meta["params"]["factors"] == tuned["params"]["factors"]
    capsys.readouterr()


def test_evaluate_command_rejects_time_protocol_without_timestamps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "events.csv"
    rows = [f"u{u},f{(u * 7 + j) % 30}" for u in range(40) for j in range(6)]
    path.write_text("user_id,film_id\n" + "\n".join(rows) + "\n")
    assert main(["evaluate", "--data", str(path), "--protocol", "time"]) == 2
    err = capsys.readouterr().err
    assert "timestamps" in err and "Traceback" not in err


def test_comparable_titles_match_brute_force_jaccard(demo_data: Interactions) -> None:
    from recommender.evaluation.evaluate import comparable_titles

    model = train(demo_data, TrainConfig(factors=4, iterations=1, segments=2, holdout=0),
                  progress=False)
    genres = [set(g.split("|")) - {""} for g in model.catalog.genres.tolist()]
    years = model.catalog.years
    known = np.arange(1, model.film_factors.shape[0], dtype=np.int64)  # film 0 is "new"
    popularity = np.bincount(demo_data.film_idx, minlength=demo_data.n_films).astype(float)
    got = comparable_titles(model, 0, known, popularity, n=5)
    assert 0 < len(got) <= 5 and model.films.ids[0] not in got

    def expected(j: int) -> float:
        jac = len(genres[0] & genres[j]) / len(genres[0] | genres[j])
        if not years[0]:
            decay = 1.0
        else:
            decay = np.exp(-abs(int(years[j]) - int(years[0])) / 10) if years[j] else 0.5
        return jac * decay

    brute = sorted(known.tolist(), key=lambda j: -expected(j))
    cutoff = expected(brute[4])
    for fid, w in got.items():
        j = model.films.index_of(fid)
        assert genres[j] & genres[0]
        assert w == pytest.approx(expected(j), abs=1e-4)
        assert expected(j) >= cutoff - 1e-9
