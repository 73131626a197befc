"""The engine and the baselines under test, and ``evaluate()`` end to end on small planted data:
scores equal the trained model's, any trainer fits the same way whatever its id order, the
engine beats popularity, the time and user protocols report cold start and fold-in."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.evaluation.runs import EngineUnderTest, evaluate
from recommender.evaluation.scoring import ENGINE
from recommender.evaluation.splits import make_split
from recommender.io.dataset import Interactions
from recommender.io.ids import IdMap
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.trainer import Trainer
from recommender.model.training import LocalTrainer, train


def test_engine_scores_equal_the_trained_model(demo_data: Interactions) -> None:
    split = make_split(demo_data, "random", seed=0)
    config = TrainConfig(factors=8, iterations=3, segments=2)
    engine = EngineUnderTest(config)
    scorer = engine.fit_split(split)
    model = train(split.train, config, progress=False)
    users, films = np.arange(5), np.arange(7)
    np.testing.assert_allclose(scorer.score(users, films),
                               model.user_factors[:5] @ model.film_factors[:7].T, rtol=1e-5)
    # pipeline=False is train() without the calibration holdout
    direct = EngineUnderTest(config, pipeline=False).fit_split(split).score(users, films)
    model0 = train(split.train, TrainConfig(factors=8, iterations=3, segments=2, holdout=0),
                   progress=False)
    np.testing.assert_allclose(direct, model0.user_factors[:5] @ model0.film_factors[:7].T,
                               rtol=1e-5)


class _ReversedTrainer:
    """A trainer with its own id order: the local model with users and films reversed (as a
    Spark model keeps Spark's order). Callers must map by id, never by index."""

    name = "reversed"

    def fit(self, source: Interactions, config: TrainConfig | None = None) -> Model:
        m = LocalTrainer().fit(source, config)
        return replace(m, users=IdMap(m.users.ids[::-1]), films=IdMap(m.films.ids[::-1]),
                       user_factors=np.asarray(m.user_factors)[::-1],
                       film_factors=np.asarray(m.film_factors)[::-1])


@pytest.mark.parametrize("protocol", ["random", "user"])
def test_engine_fits_through_any_trainer_and_maps_by_id(demo_data: Interactions,
                                                         protocol: str) -> None:
    split = make_split(demo_data, protocol, seed=0)
    config = TrainConfig(factors=8, iterations=3, segments=2)
    trainer = _ReversedTrainer()
    assert isinstance(trainer, Trainer)
    engine = EngineUnderTest(config, trainer=trainer)
    got = engine.fit_split(split)
    assert engine.model_ is not None and engine.model_.users.ids[0] == demo_data.users.ids[-1]
    want = EngineUnderTest(config).fit_split(split)  # the local trainer, the data's id order
    users, films = split.users[:40], split.films[:30]
    np.testing.assert_allclose(got.score(users, films), want.score(users, films), rtol=1e-6)


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
    # engine / model intervals for every baseline, around the ratio the means give
    for name in ("popularity", "itemknn", "als_defaults", "ease"):
        for metric in ("audience_recall@20", "user_recall@20"):
            lo, hi = report["engine_ratio_intervals"][name][metric]
            ratio = models[ENGINE][metric] / models[name][metric]
            assert lo <= ratio <= hi and hi - lo > 0
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


class _CountingTrainer(LocalTrainer):
    def __init__(self) -> None:
        super().__init__()
        self.fits = 0

    def fit(self, source: Interactions, config: TrainConfig | None = None) -> Model:
        self.fits += 1
        return super().fit(source, config)


@pytest.mark.parametrize("model", ["bpr", "lmf"])
def test_the_user_protocol_refuses_a_model_without_fold_in_before_the_fit(
        demo_data: Interactions, model: str) -> None:
    """``evaluate --model bpr --protocol user`` trained the whole engine (a tuned fit) and
    only then refused: the user protocol folds users in with an ALS half-step."""
    split = make_split(demo_data, "user", seed=0)
    trainer = _CountingTrainer()
    engine = EngineUnderTest(TrainConfig(model=model, factors=8, iterations=2),
                             trainer=trainer)
    with pytest.raises(InvalidParameterError, match="folds users in with an ALS half-step"):
        engine.fit_split(split)
    assert trainer.fits == 0


def test_ease_lambda_is_not_said_chosen_on_a_validation_split_that_scored_nothing() -> None:
    """On a log whose validation split holds no held-out pair on known users and films, every
    lambda's objective was NaN and the grid's first (5) won by default, printed as "EASE lambda
    5 (chosen on a validation split of the training part)": EASE's default is used and said."""
    import pyarrow as pa

    from recommender.evaluation.baselines import EASE
    from recommender.evaluation.report import format_report

    pairs = ["u2 f1", "u3 f4", "u4 f1", "u5 f2", "u0 f3", "u0 f2", "u4 f0", "u5 f0", "u1 f4",
             "u1 f3", "u5 f4", "u2 f2"]
    data = Interactions.from_columns(pa.array([p.split()[0] for p in pairs]),
                                     pa.array([p.split()[1] for p in pairs]), source="tiny")
    report = evaluate(data, k=100, config=TrainConfig(factors=4, iterations=2), progress=False)
    lam = report["ease_lambda"]
    assert all(v != v for v in lam["validation_objective"].values())  # all NaN
    assert lam["chosen"] == EASE().lam and not lam["chosen_on_validation"]
    assert "EASE lambda 100 (its default: the validation split of the training part had " \
           "nothing to score)" in format_report(report)


def test_a_time_split_with_nothing_after_its_cutoff_says_so(demo_data: Interactions) -> None:
    """A log whose latest timestamp is its 80th percentile (dates without a time of day, one
    export date) has no interaction after the cut-off: the error blamed "known users and
    films", which sends one looking for a log too small rather than for its timestamps."""
    assert demo_data.timestamp is not None
    late = demo_data.timestamp >= np.quantile(demo_data.timestamp, 0.5)
    flat = replace(demo_data, timestamp=np.where(late, demo_data.timestamp.max(),
                                                 demo_data.timestamp))
    # the cut-off said as a time in UTC, not a bare number (oracle: the latest timestamp)
    cut = int(flat.timestamp.max())
    when = datetime.fromtimestamp(cut, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(InvalidParameterError, match="no interaction later than its cut-off, "
                       f"the 80th-percentile timestamp {when} \\(unix {cut} seconds; "
                       r"[\d,]+ of the [\d,]+ interactions "
                       "have that very timestamp\\); use --protocol random or user"):
        evaluate(flat, "time", k=10, config=TrainConfig(factors=4, iterations=2),
                 progress=False)
