"""The popularity prior: its formula, recommendations that add it (against a brute-force numpy
ranking), audiences it leaves alone, the model folder that keeps it, the CLI option, and tuning
that chooses it where popularity predicts part of a user's next films."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp

from recommender.cli import main
from recommender.errors import ArtifactError
from recommender.evaluation.baselines import FactorScorer
from recommender.evaluation.runs import EngineUnderTest
from recommender.evaluation.scoring import score_split
from recommender.evaluation.splits import make_split
from recommender.io.dataset import Interactions
from recommender.model import artifact, prior
from recommender.model.config import TUNABLE, TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from recommender.model.tuning import tune
from recommender.model.validation import mean_se, query_recalls
from recommender.query.audience import film_audience
from recommender.query.recommend import (
    batch_recommendations,
    recommend_from_history,
    recommend_many,
    recommend_user,
)

SMALL = TrainConfig(factors=8, iterations=6, segments=2)


def popular_log(seed: int = 0, n_users: int = 1000, n_films: int = 200, groups: int = 4,
                own: int = 3, popular: int = 2) -> Interactions:
    """Users in ``groups`` taste groups (user u and film f in group u % groups and
    f % groups): each watches ``own`` films of their group, uniformly, and ``popular`` films
    of any group drawn by a Zipf popularity (whose order is unrelated to the groups). A user's
    few films say little of the popular part, which a film's popularity predicts."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, n_films + 1) ** 1.2
    p = p[np.argsort(np.random.default_rng(99).permutation(n_films))]
    group = np.arange(n_films) % groups
    films = []
    for u in range(n_users):
        mine = rng.choice(np.flatnonzero(group == u % groups), own, replace=False)
        rest = np.setdiff1d(np.arange(n_films), mine)
        films.append(np.r_[mine, rng.choice(rest, popular, replace=False,
                                            p=p[rest] / p[rest].sum())])
    users = np.repeat(np.arange(n_users), own + popular)
    return Interactions.from_columns(pa.array([f"u{u}" for u in users]),
                                     pa.array([f"f{f}" for f in np.concatenate(films)]),
                                     source="popular")


@pytest.fixture(scope="module")
def log() -> Interactions:
    return popular_log()


@pytest.fixture(scope="module")
def with_prior(log: Interactions) -> Model:
    return train(log, replace(SMALL, popularity=1.0), progress=False)


def test_the_prior_follows_its_formula() -> None:
    rng = np.random.default_rng(1)
    uf = rng.normal(size=(30, 4)).astype(np.float32)
    ff = rng.normal(size=(6, 4)).astype(np.float32)
    counts = np.array([0, 1, 3, 9, 27, 99])
    assert prior.film_prior(counts, uf, ff, 0.0) is None
    scale = np.mean(np.abs((uf.astype(np.float64) @ ff.T.astype(np.float64)).max(axis=1)))
    want = 2.0 * scale * np.log1p(counts) / np.log1p(99)
    got = prior.film_prior(counts, uf, ff, 2.0)
    assert got is not None and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5)


def _brute_force(model: Model, u: int, k: int) -> list[int]:
    """The k best films of user u by taste score plus prior, in float64, seen films left out,
    ties by the lower film index."""
    assert model.film_prior is not None
    scores = (np.asarray(model.film_factors, np.float64) @ np.asarray(model.user_factors[u],
                                                                      np.float64)
              + np.asarray(model.film_prior, np.float64))
    scores[model.user_films(u)] = -np.inf
    return [int(i) for i in np.lexsort((np.arange(len(scores)), -scores))[:k]]


def test_recommendations_add_the_prior(with_prior: Model) -> None:
    m = with_prior
    assert m.film_prior is not None and m.meta["params"]["popularity"] == 1.0
    users = [0, 7, 42, 311]
    lists = recommend_many(m, [(u, 10, True) for u in users])
    blocks = list(batch_recommendations(m, np.asarray(users), k=10))
    for r, u in enumerate(users):
        single = recommend_user(m, str(m.users.ids[u]), 10)
        assert single.film_idx.tolist() == _brute_force(m, u, 10)
        assert lists[r].film_idx.tolist() == single.film_idx.tolist()
        np.testing.assert_array_equal(lists[r].score, single.score)
        assert blocks[0][1][r].tolist() == single.film_idx.tolist()
    # a history the model has not seen gets the prior too: the most popular unwatched films
    # lead when the taste part is nothing (no film of the history has a vector worth a score)
    top = recommend_from_history(m, [str(m.films.ids[0])], 5)
    assert len(top.film_idx) == 5 and 0 not in top.film_idx.tolist()


def test_audiences_and_tastes_are_those_of_the_model_without_it(log: Interactions,
                                                                with_prior: Model) -> None:
    plain = train(log, SMALL, progress=False)
    assert plain.film_prior is None
    np.testing.assert_array_equal(plain.user_factors, with_prior.user_factors)
    np.testing.assert_array_equal(plain.film_factors, with_prior.film_factors)
    for f in ("f0", "f3", "f40"):
        a, b = film_audience(plain, f, k=50), film_audience(with_prior, f, k=50)
        assert a.user_ids.tolist() == b.user_ids.tolist()
        np.testing.assert_array_equal(a.score, b.score)
    # and the prior moves recommendations towards popular films
    counts = with_prior.film_counts()
    lists_plain = np.array([recommend_user(plain, f"u{u}", 10).film_idx for u in range(40)])
    lists_prior = np.array([recommend_user(with_prior, f"u{u}", 10).film_idx
                            for u in range(40)])
    assert counts[lists_prior].mean() > counts[lists_plain].mean()


def test_the_model_folder_keeps_the_prior(with_prior: Model, tmp_path: Path) -> None:
    out = artifact.save(with_prior, tmp_path / "m")
    loaded = artifact.load(out)
    assert loaded.film_prior is not None
    np.testing.assert_array_equal(loaded.film_prior, with_prior.film_prior)
    assert (recommend_user(loaded, "u5", 10).film_idx.tolist()
            == recommend_user(with_prior, "u5", 10).film_idx.tolist())
    version = (out / "current").resolve()
    shutil.copy(version / "film_prior.npy", tmp_path / "kept.npy")
    (version / "film_prior.npy").unlink()
    with pytest.raises(ArtifactError, match="film_prior.npy"):
        artifact.load(out)


def test_a_folder_with_a_prior_is_one_an_older_worker_refuses(
        log: Interactions, with_prior: Model, tmp_path: Path) -> None:
    # a reader of format 1 (before the prior) would load film_prior.npy's folder and serve
    # recommendations without it; format 2 makes it refuse. A folder without a prior stays 1.
    plain = train(log, replace(SMALL, tune=False), progress=False)
    assert with_prior.meta["format_version"] == 2 and plain.meta["format_version"] == 1
    for model, name in ((with_prior, "p"), (plain, "q")):
        assert artifact.load(artifact.save(model, tmp_path / name)).meta["format_version"] \
            == model.meta["format_version"]
    assert artifact.READABLE_VERSIONS == (1, 2, 3)  # 3: the unfitted pairs (fitted.py)


def test_the_cli_option_fixes_and_checks_the_weight(log: Interactions, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "log.csv"
    data.write_text("user_id,film_id\n" + "\n".join(
        f"{log.users.ids[u]},{log.films.ids[f]}"
        for u, f in zip(log.user_idx.tolist(), log.film_idx.tolist(), strict=True)) + "\n")
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "bad"),
                 "--popularity", "-1", "--no-tune"]) == 2
    assert "popularity" in capsys.readouterr().err
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--factors", "8",
                 "--iterations", "4", "--segments", "2", "--popularity", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "with a popularity prior (weight 0.5)" in out
    model = artifact.load(tmp_path / "m")
    assert model.meta["params"]["popularity"] == 0.5 and model.film_prior is not None
    # given, it is fixed: the search leaves it as it is, and says so
    assert "popularity" in model.meta["tuning"]["fixed"]
    assert model.meta["tuning"]["popularity"]["reason"].startswith("fixed")


def _user_recall(model: Model, fresh: Interactions) -> float:
    """User recall@20 of ``model``'s recommendation scores (the prior included) on ``fresh``."""
    u = model.users.to_index(fresh.users.ids[fresh.user_idx], strict=False)
    f = model.films.to_index(fresh.films.ids[fresh.film_idx], strict=False)
    ok = (u >= 0) & (f >= 0)
    held = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (u[ok], f[ok])),
                         shape=model.seen.shape)
    return mean_se(query_recalls(model.user_factors, model.film_factors, model.seen, held,
                                 film_prior=model.film_prior)[1])[0]


def test_tuning_chooses_a_prior_where_popularity_predicts(log: Interactions) -> None:
    cfg, report = tune(log, replace(SMALL, tune=True, fixed=("factors",)))
    assert cfg.popularity > 0
    assert report["popularity"]["chosen"] == cfg.popularity
    assert "it wins" in report["popularity"]["reason"]
    assert report["chosen"]["popularity"] == cfg.popularity
    # on a second draw for the same users (never seen by the search) it recommends better
    fresh = popular_log(seed=7)
    tuned = train(log, replace(cfg, tune=False), progress=False)
    plain = train(log, replace(cfg, tune=False, popularity=0.0), progress=False)
    assert _user_recall(tuned, fresh) > _user_recall(plain, fresh)
    # a fixed weight is not searched
    fixed, rep = tune(log, replace(SMALL, tune=True, fixed=("factors", "popularity")))
    assert fixed.popularity == 0.0 and rep["popularity"]["reason"].startswith("fixed")
    # and the weight is searched when every other parameter is given (a `tune --out` file or
    # an older model's meta.json as --config)
    given = replace(cfg, tune=True, popularity=0.0, fixed=TUNABLE)
    only, rep = tune(log, given)
    assert rep["status"] == "searched" and only.popularity == cfg.popularity
    assert {n: getattr(only, n) for n in TUNABLE} == {n: getattr(cfg, n) for n in TUNABLE}
    _, none = tune(log, replace(given, fixed=(*TUNABLE, "popularity")))
    assert none["status"].startswith("not run")


def test_the_bare_fit_under_evaluation_adds_the_prior(log: Interactions) -> None:
    split = make_split(log, "random", 0)
    cfg = replace(SMALL, popularity=1.0)
    bare = EngineUnderTest(cfg, pipeline=False).fit_split(split)
    plain = EngineUnderTest(replace(cfg, popularity=0.0), pipeline=False).fit_split(split)
    assert isinstance(bare, FactorScorer) and isinstance(plain, FactorScorer)
    np.testing.assert_array_equal(bare.film_factors, plain.film_factors)
    want = prior.film_prior(np.bincount(split.train.film_idx, minlength=split.train.n_films),
                            plain.user_factors, plain.film_factors, 1.0)
    assert bare.film_prior is not None and plain.film_prior is None
    np.testing.assert_array_equal(bare.film_prior, want)
    # audiences are ranked without it (as the engine's are), recommendations with it
    with_it, without = score_split(bare, split), score_split(plain, split)
    assert with_it["audience_recall@100"] == without["audience_recall@100"]
    users, films = split.users[:5], split.films
    np.testing.assert_allclose(bare.score(users, films),
                               plain.score(users, films) + want[films], rtol=1e-5, atol=1e-6)


def test_with_timestamps_the_prior_counts_the_recent_interactions() -> None:
    films = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 1])
    stamps = np.array([1, 2, 3, 4, 9, 9, 5, 6, 7, 10])
    # the latest 30% (3 of 10): film 1 at 10 and film 1 twice at 9 (no tie left out)
    np.testing.assert_array_equal(prior.film_counts(films, stamps, 4, 0.3), [0, 3, 0, 0])
    np.testing.assert_array_equal(prior.film_counts(films, stamps, 4, 0.5), [0, 3, 2, 0])
    # without timestamps, or with no holdout share: every interaction
    np.testing.assert_array_equal(prior.film_counts(films, None, 4, 0.3), [4, 3, 3, 0])
    np.testing.assert_array_equal(prior.film_counts(films, stamps, 4, 0.0), [4, 3, 3, 0])


def test_the_prior_draws_the_films_tied_at_the_cut_by_its_seed() -> None:
    """Ten films' rows tied at the latest time, five counted: each film as often as another
    over seeds (by position the last five always were), and ``of_fit`` draws with the
    config's seed."""
    films = np.r_[np.arange(10), np.arange(10)]
    stamps = np.r_[np.zeros(10, np.int64), np.ones(10, np.int64)]
    got = np.array([prior.film_counts(films, stamps, 10, 0.25, seed) for seed in range(400)])
    assert np.all(got.sum(axis=1) == 5)
    # each film in 5 of 10 draws: 200 of 400, standard deviation 10
    assert np.all(np.abs(got.sum(axis=0) - 200) < 50), got.sum(axis=0)
    uf = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    ff = np.random.default_rng(1).normal(size=(10, 3)).astype(np.float32)
    cfg = TrainConfig(popularity=1.0, holdout=0.25, seed=7)
    want = prior.film_prior(prior.film_counts(films, stamps, 10, 0.25, 7), uf, ff, 1.0, 7)
    np.testing.assert_array_equal(prior.of_fit(films, stamps, 10, uf, ff, cfg), want)


def test_train_counts_the_latest_holdout_share(log: Interactions) -> None:
    stamped = replace(log, timestamp=np.arange(len(log), dtype=np.int64) * 60)
    m = train(stamped, replace(SMALL, popularity=1.0), progress=False)
    counts = prior.film_counts(stamped.film_idx, stamped.timestamp, stamped.n_films, 0.1)
    assert counts.sum() == round(0.1 * len(stamped))
    want = prior.film_prior(counts, m.user_factors, m.film_factors, 1.0)
    assert want is not None and m.film_prior is not None
    np.testing.assert_array_equal(m.film_prior, want)


def test_the_budget_counts_the_prior_stage_at_the_widest_setting() -> None:
    from recommender.model import tuning

    base = tuning.planned_fits(TrainConfig(), list(TUNABLE), 3)
    with_prior = tuning.planned_fits(TrainConfig(), list(TUNABLE), 3, prior_stage=True)
    assert with_prior == pytest.approx(base + (max((*tuning.FACTORS, 64)) / 64) ** 1.3)
    fixed = tuning.planned_fits(TrainConfig(), ["alpha"], 0, prior_stage=True)
    assert fixed == pytest.approx(tuning.planned_fits(TrainConfig(), ["alpha"], 0) + 1.0)
    share = tuning.sample_share(18_000_000, with_prior)  # the ML-20M shape's training part
    assert share * with_prior <= tuning.BUDGET_FITS
