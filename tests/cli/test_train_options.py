"""Training options that are not numbers, not finite or not options at all: each is refused
with exit 2 naming it, before any work (each once crashed deep in the fit or was ignored)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli

from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.model.config import TrainConfig


@pytest.mark.parametrize(("options", "words"), [
    ({"factors": "64"}, "factors must be a whole number"),
    ({"factors": 8.7}, "factors must be a whole number"),
    ({"regularization": float("nan")}, "regularization must be a finite number"),
    ({"alpha": float("inf")}, "alpha must be a finite number"),
    ({"tune": "yes"}, "tune must be true or false"),
    ({"learning_rate": -1.0}, "learning_rate must be > 0"),
    # BM25's k1 and b (a --config's only): k1 -1 at b 0 gave NaN confidence, "diverged"
    ({"bm25_k1": -1.0}, "bm25_k1 must be >= 0"),
    ({"bm25_b": 5.0}, r"bm25_b must be in \[0, 1\]"),
    # unregularised ALS interpolated a 40-film log at 64 factors: every score 1e-6, no word
    ({"regularization": 0.0}, "regularization must be > 0 for ALS"),
])
def test_the_config_checks_types_and_finite_numbers(options: dict[str, object],
                                                    words: str) -> None:
    with pytest.raises(InvalidParameterError, match=words):
        TrainConfig(**options).validate()  # type: ignore[arg-type]


@pytest.mark.parametrize(("body", "words"), [
    ([1, 2], "expected a JSON object of training options, got an array"),
    ({"factor": 8}, "unknown training option 'factor'"),
    ({"tiers": [["core", "x"]]}, "tiers must be a list of [name, percent] pairs"),
    ({"factors": "64"}, "factors must be a whole number"),
    ({"ease_lambda": "300"}, "ease_lambda must be a finite number"),
    ({"ease_lambda": None}, "ease_lambda must be a finite number"),
    ({"tune": "false"}, "tune must be true or false"),
    # "alpha" was read as the options a, h, l, p; null and a number were TypeError tracebacks
    ({"fixed": "alpha"}, "fixed must be a list of option names"),
    ({"fixed": None}, "fixed must be a list of option names"),
    ({"fixed": 5}, "fixed must be a list of option names"),
    ({"weighting": "bm25", "bm25_k1": -1, "bm25_b": 0}, "bm25_k1 must be >= 0"),
    # a value the model does not read, off its default (it was recorded and ignored)
    ({"learning_rate": 0.2}, "model als does not read learning_rate (0.2)"),
    ({"model": "bpr", "alpha": 9.0}, "model bpr does not read alpha (9.0)"),
    ({"model": "bpr", "weighting": "bm25"}, "model bpr does not read weighting ('bm25')"),
    ({"family": "ease", "model": "bpr"}, "family ease does not read model ('bpr')"),
    # ALS's options under family ease (recorded in meta.json's params, never read)
    ({"family": "ease", "alpha": 10.0}, "family ease does not read alpha (10.0)"),
    ({"family": "ease", "iterations": 30, "warm_iterations": 2},
     "family ease does not read iterations (30), warm_iterations (2)"),
    # the default it names is the file's JSON (it said "warm_iterations None")
    ({"family": "ease", "warm_iterations": 3}, "at its default warm_iterations null"),
    # BM25's k1 and b under a weighting no search changes (recorded, never read)
    ({"bm25_k1": 2.0, "weighting": "binary"}, "weighting binary does not read bm25_k1 (2.0)"),
    ({"family": "ease", "bm25_b": 0.5}, "weighting binary does not read bm25_b (0.5)"),
])
def test_a_bad_config_file_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             body: object, words: str) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(body))
    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--config", config)
    assert code == 2 and words in err and "Traceback" not in err
    assert str(config) in err, "the message names the file"
    assert not (tmp_path / "m").exists()
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--regularization", "nan")
    assert code == 2 and "regularization must be a finite number" in err


def test_what_would_fail_after_training_fails_before_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import recommender.model.training as training

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before checking")

    monkeypatch.setattr(training, "train", no_training)
    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.txt").write_text("mine")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out", notes)
    assert code == 2 and "not a model" in err
    missing = tmp_path / "nostore.db"
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--events", missing)
    assert code == 2 and "no campaign store" in err and not missing.exists()


def test_a_folder_train_cannot_write_in_is_refused_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new model folder under a folder it cannot write, or a model folder (or its versions)
    it cannot write: the whole run was trained, then the save failed."""
    import os

    import recommender.model.training as training

    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, _ = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                         tmp_path / "m", "--no-tune")
    assert code == 0

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before checking")

    monkeypatch.setattr(training, "train", no_training)
    real_access = os.access
    for locked, out in ((tmp_path / "ro", tmp_path / "ro" / "new" / "m"),
                        (tmp_path / "m", tmp_path / "m"),
                        (tmp_path / "m" / "versions", tmp_path / "m")):
        locked.mkdir(exist_ok=True)
        monkeypatch.setattr(os, "access", lambda p, mode, locked=locked, **kw: (
            Path(p) != locked and real_access(p, mode, **kw)))
        code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out", out)
        assert code == 2 and "Permission denied" in err and str(locked) in err, err
        assert "Traceback" not in err and not (tmp_path / "ro" / "new").exists()
    monkeypatch.setattr(os, "access", real_access)
    (tmp_path / "afile").write_text("x")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "afile" / "m")
    assert code == 2 and "is a file, not a folder" in err


def test_a_model_folder_whose_lock_it_cannot_open_is_refused_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another user's save left ``.lock`` (0644, theirs) in a model folder this user may
    write: the save opens it for writing, and failed after the whole training."""
    import os

    import recommender.model.training as training

    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, _ = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                         tmp_path / "m", "--no-tune")
    assert code == 0 and (tmp_path / "m" / ".lock").exists()

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before checking")

    monkeypatch.setattr(training, "train", no_training)
    real_access = os.access
    lock = tmp_path / "m" / ".lock"
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        Path(p) != lock and real_access(p, mode, **kw)))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m")
    assert code == 2 and "Permission denied" in err and str(lock) in err, err


def test_a_link_to_a_missing_folder_is_refused_before_training(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """--out a dangling symbolic link: the save's mkdir failed ("File exists") after the
    whole training."""
    import recommender.model.training as training

    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    (tmp_path / "m").symlink_to(tmp_path / "nowhere")

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before checking")

    monkeypatch.setattr(training, "train", no_training)
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m")
    assert code == 2 and "does not exist" in err and "nowhere" in err, err


def test_tune_false_in_a_config_turns_tuning_off(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"u{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + rows)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"tune": False, "factors": 4, "iterations": 2,
                                  "segments": 2}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--config", config)
    assert code == 0, err
    meta = json.loads(next((tmp_path / "m").rglob("meta.json")).read_text())
    assert meta["params"]["tune"] is False and meta.get("tuning", {}).get("status") != "searched"
    # one iteration is said in the singular ("1 iterations" before)
    code, out, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                             tmp_path / "m1", "--config", config, "--iterations", 1)
    assert code == 0 and "ALS (4 factors, 1 iteration, " in out, out + err


def test_nothing_to_measure_and_spark_cuts_exit_2(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "one.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\nu3,f2\n")
    code, _, err = run_cli(capsys, "tune", "--data", tmp_path / "one.csv", "--trials", 2,
                           "--k", 5, "--out", tmp_path / "t.json")
    assert code == 2 and not (tmp_path / "t.json").exists()
    assert "nothing to measure" in err or "no test interactions" in err
    key = tmp_path / "key.txt"
    key.write_text("k" * 32)
    code, _, err = run_cli(capsys, "audiences", tmp_path / "model", "--engine", "spark", "--all",
                           "--out", tmp_path / "a.parquet", "--pseudonym-key-file", key)
    assert code == 2 and "--pseudonym-key-file" in err and "local only" in err


def test_a_meta_json_with_every_option_at_its_default_is_still_a_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An earlier model's ``meta.json`` records every option, those the model does not read
    at their defaults: it stays usable as ``--config``, for ALS and for BPR."""
    rows = ["user_id,film_id"] + [f"u{u},f{(u * 7 + j) % 13}" for u in range(40) for j in range(4)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    for model in ("als", "bpr", "ease"):
        config = tmp_path / f"{model}.json"
        own = TrainConfig(family="ease") if model == "ease" else TrainConfig(model=model)
        config.write_text(json.dumps({"params": {**own.to_dict(), "factors": 4,
                                                 "segments": 2}}))
        code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                               tmp_path / model, "--config", config, "--no-tune")
        assert code == 0, err


def test_an_ease_meta_json_with_its_searchs_als_values_is_still_a_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tuned model of family EASE saved before 3af9eaa recorded the tuned ALS's
    regularization and alpha beside it (its search's, never read): as ``--config`` it was
    refused ("family ease does not read alpha (30.0), regularization (3.333333)"), where it
    had worked. Those the file's search covered are read at their defaults; one it did not
    search is the file's own and still refused."""
    rows = ["user_id,film_id"] + [f"u{u},f{(u * 7 + j) % 13}" for u in range(40) for j in range(4)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    params = {**TrainConfig(family="ease").to_dict(), "factors": 4, "segments": 2,
              "regularization": 3.333333, "alpha": 30.0}
    config = tmp_path / "meta.json"
    config.write_text(json.dumps({"params": params, "tuning": {"searched": {
        "regularization": [3.333333, 30.0], "alpha": [3.0, 30.0]}}}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--config", config, "--no-tune")
    assert code == 0, err
    written = artifact.load(tmp_path / "m").meta["params"]
    assert (written["regularization"], written["alpha"]) == (
        TrainConfig().regularization, TrainConfig().alpha)
    config.write_text(json.dumps({"params": params, "tuning": {"searched": {
        "regularization": [3.333333, 30.0]}}}))  # alpha 30 was not the search's
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m2", "--config", config, "--no-tune")
    assert code == 2 and "family ease does not read alpha (30.0)" in err, err


def test_a_model_typed_against_a_config_names_the_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--model bpr`` with a tuned ALS ``meta.json`` (alpha 2.658, which BPR does not read):
    the command line chose the model, so the message names ``--model``, not the file alone."""
    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    config = tmp_path / "meta.json"
    config.write_text(json.dumps({"params": {**TrainConfig().to_dict(), "alpha": 2.658}}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--config", config, "--model", "bpr", "--no-tune")
    assert code == 2 and "--model bpr does not read alpha (2.658) from --config" in err


def test_a_diverged_fit_is_an_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """implicit raises its own ModelFitError on NaN factors (BPR at a large learning rate
    did): a traceback before, an error line saying what to change now."""
    from implicit.recommender_base import ModelFitError

    import recommender.model.training as training

    class Diverging:
        def fit(self, *args: object, **kwargs: object) -> None:
            raise ModelFitError("NaN encountered in factors")

    monkeypatch.setattr(training, "make_backend", lambda *a, **k: Diverging())
    rows = ["user_id,film_id"] + [f"u{u},f{(u + j) % 9}" for u in range(20) for j in range(3)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--model", "bpr", "--no-tune")
    assert code == 2 and "the bpr fit diverged" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


def test_bpr_and_lmf_take_their_own_regularization_by_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ALS's default regularization (30) left BPR's taste vectors at ~1e-6 on the demo data:
    every score tied and k-means found one segment. Without --regularization, BPR and LMF
    take implicit's defaults; a value given (command line or --config) stands."""
    from recommender.model.config import MODEL_REGULARIZATION

    rows = ["user_id,film_id"] + [f"u{u},f{(u % 4) * 5 + j}" for u in range(60) for j in range(5)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    for model in ("bpr", "lmf"):
        code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                               tmp_path / model, "--model", model, "--no-tune",
                               "--factors", 4, "--segments", 2)
        assert code == 0, err
        m = artifact.load(tmp_path / model)
        assert m.meta["params"]["regularization"] == MODEL_REGULARIZATION[model]
        assert not m.nothing_fitted(m.user_factors, "users").any()
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "given", "--model", "bpr", "--regularization", 5,
                           "--no-tune", "--factors", 4, "--segments", 2)
    assert code == 0, err
    assert artifact.load(tmp_path / "given").meta["params"]["regularization"] == 5


def test_the_library_config_takes_each_models_regularization() -> None:
    """The same default reaches a TrainConfig built in code (it gave BPR ALS's 30 while only
    the CLI applied BPR's own); a value given stands, and a NaN given is still refused."""
    from recommender.errors import InvalidParameterError
    from recommender.model.config import MODEL_LEARNING_RATE, MODEL_REGULARIZATION, TrainConfig

    for model in ("als", "bpr", "lmf"):
        assert TrainConfig(model=model).regularization == MODEL_REGULARIZATION[model]
        assert TrainConfig(model=model).learning_rate == MODEL_LEARNING_RATE[model]
        assert TrainConfig.from_dict({"model": model}).regularization == \
            MODEL_REGULARIZATION[model]
    assert TrainConfig(model="bpr", regularization=30.0).regularization == 30.0
    with pytest.raises(InvalidParameterError, match="regularization"):
        TrainConfig(regularization=float("nan")).validate()


def test_a_model_typed_against_another_models_config_needs_its_regularization(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An ALS meta.json records regularization 30: ``--model bpr`` with it trained BPR at 30
    (its vectors near 0), fixed against tuning. The file's value is not carried to another
    model unasked; ``--regularization`` settles it, and a config naming no model is taken as
    written."""
    rows = ["user_id,film_id"] + [f"u{u},f{(u * 7 + j) % 13}" for u in range(40) for j in range(4)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    config = tmp_path / "als.json"
    config.write_text(json.dumps({"params": {**TrainConfig().to_dict(), "factors": 4,
                                             "segments": 2}}))
    args = ("train", "--data", tmp_path / "log.csv", "--config", config, "--no-tune")
    code, _, err = run_cli(capsys, *args, "--out", tmp_path / "m", "--model", "bpr")
    assert code == 2 and "its regularization (30.0) is als's" in err and "0.01" in err
    assert not (tmp_path / "m").exists()
    code, _, err = run_cli(capsys, *args, "--out", tmp_path / "m", "--model", "bpr",
                           "--regularization", 0.05)
    assert code == 0, err
    assert artifact.load(tmp_path / "m").meta["params"]["regularization"] == 0.05
    # an ALS config's recorded learning rate (ALS does not read it) is not LMF's: LMF trains
    # at its own 1.0 (0.05 ranked at chance)
    code, _, err = run_cli(capsys, *args, "--out", tmp_path / "lm", "--model", "lmf",
                           "--regularization", 0.6)
    assert code == 0, err
    assert artifact.load(tmp_path / "lm").meta["params"]["learning_rate"] == 1.0
    bpr = tmp_path / "bpr.json"  # BPR's learning rate 0.05 left LMF at chance: not carried
    bpr.write_text(json.dumps({"params": {**TrainConfig(model="bpr").to_dict(), "factors": 4,
                                          "segments": 2}}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--config", bpr,
                           "--no-tune", "--out", tmp_path / "l", "--model", "lmf")
    assert code == 2 and "regularization (0.01) and learning_rate (0.05) are bpr's" in err
    assert "--learning-rate (the default for lmf is 1.0)" in err
    # the reverse: an LMF meta.json with --model als (ALS reads no learning rate): the file's
    # 1.0 is dropped, not refused (the refusal left no way out: --learning-rate is refused too)
    lmf = tmp_path / "lmf.json"
    lmf.write_text(json.dumps({"params": {**TrainConfig(model="lmf").to_dict(), "factors": 4,
                                          "segments": 2}}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--config", lmf,
                           "--no-tune", "--out", tmp_path / "a", "--model", "als",
                           "--regularization", 30)
    assert code == 0, err
    assert artifact.load(tmp_path / "a").meta["params"]["learning_rate"] == 0.05
    bare = tmp_path / "bare.json"  # no model named: its regularization is the user's
    bare.write_text(json.dumps({"regularization": 0.02, "factors": 4, "segments": 2}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--config", bare,
                           "--no-tune", "--out", tmp_path / "b", "--model", "bpr")
    assert code == 0, err
    assert artifact.load(tmp_path / "b").meta["params"]["regularization"] == 0.02


def test_bpr_refuses_a_weighting_it_would_not_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """BPR samples the films a user watched, whatever their weight: a --weighting was
    accepted and recorded though the fit came out the same. Oracle: two fits of the same
    rated log, binary and by rating, are identical; the option is refused."""
    import pyarrow as pa

    from recommender.io.dataset import Interactions
    from recommender.model.training import train

    rng = np.random.default_rng(1)
    users = [f"u{u}" for u in range(80) for _ in range(6)]
    films = [f"f{f}" for f in rng.integers(0, 25, len(users))]
    data = Interactions.from_columns(pa.array(users), pa.array(films),
                                     rating=rng.integers(1, 6, len(users)).astype(float))
    fits = [train(data, TrainConfig(model="bpr", factors=4, iterations=5, segments=2,
                                    holdout=0.0, weighting=w), progress=False)
            for w in ("binary", "rating")]
    assert np.array_equal(fits[0].film_factors, fits[1].film_factors)
    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--model", "bpr", "--weighting", "log")
    assert code == 2 and "--model bpr does not read --weighting" in err
    assert "not how much" in err


def test_an_als_option_typed_keeps_the_family_stage_from_swapping_in_ease(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--iterations 1 --cg-steps 1`` typed, tuning could still choose EASE, which reads
    neither (meta.json then recorded them beside family ease, without a word); --family ease
    with them is refused. Typed, they now fix the family to ALS, and the report says why."""
    rows = ["user_id,film_id"] + [f"u{u},f{(u * 7 + j) % 23}" for u in range(60) for j in range(5)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--iterations", 2, "--cg-steps", 1, "--factors", 4,
                           "--segments", 2)
    assert code == 0, err
    meta = artifact.load(tmp_path / "m").meta
    assert meta["params"]["family"] == "als" and meta["tuning"]["family"]["chosen"] == "als"
    assert "--iterations" in meta["tuning"]["family"]["reason"]


def test_an_als_option_in_a_config_keeps_the_family_stage_from_swapping_in_ease(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``{"iterations": 2, "cg_steps": 1}`` in a ``--config`` is given as the typed options
    are: the family stage chose EASE on a log of film pairs, and the model ignored both."""
    rows = ["user_id,film_id"] + [f"u{u},f{(u * 7 + j) % 23}" for u in range(60) for j in range(5)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"iterations": 2, "cg_steps": 1, "factors": 4, "segments": 2}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--config", config)
    assert code == 0, err
    meta = artifact.load(tmp_path / "m").meta
    assert meta["params"]["family"] == "als" and meta["tuning"]["family"]["chosen"] == "als"
    assert not any(t["params"].get("family") == "ease" for t in meta["tuning"]["trials"])


def test_nothing_liked_before_the_holdout_is_said_and_not_searched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every liked rating among the latest ones: the search's training part and the
    calibration fit's part hold nothing at or above --min-rating. Tuning reported "searched"
    over 23 trials that all fitted nothing (one objective, the tie order), and the model
    shipped without tier conversion while meta.json said there was no holdout. Oracle: the
    planted log (liked ratings only at its latest timestamps)."""
    rows = ["user_id,film_id,rating,timestamp"]
    for u in range(40):
        rows += [f"u{u},f{(u + j) % 12},1,{1000 + j}" for j in range(8)]
        if u % 2:  # half the users' latest rating is liked: 20 of 340, inside the 10%
            rows.append(f"u{u},f{(u + 9) % 12},5,{5000 + u}")
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    code, out, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                             tmp_path / "m", "--min-rating", 3, "--factors", 4, "--segments", 2)
    assert code == 0, err
    meta = artifact.load(tmp_path / "m").meta
    assert meta["tuning"]["status"].startswith("not run: no interaction of the search's")
    assert "no tier conversion was measured" in err
    assert meta["refit"].startswith("none: the calibration holdout left no interaction")
    # a log too small for the holdout to draw anything: no such warning (it said so wrongly)
    (tmp_path / "tiny.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\nu1,f2\nu3,f2\n")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "tiny.csv", "--out",
                           tmp_path / "t", "--no-tune", "--factors", 2, "--segments", 1)
    assert code == 0, err
    assert "no tier conversion" not in err


def test_a_users_or_films_file_that_matches_no_id_is_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a users.csv whose ids a spreadsheet rewrote (007 as 7) was taken without a word; its
    # attributes were found missing only later, in a portrait or a distribution
    rows = "".join(f"{u:03d},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + rows)
    (tmp_path / "users.csv").write_text("user_id,region\n7,North\n8,South\n")
    (tmp_path / "films.csv").write_text("film_id,title\nf1,One\nf2,Two\nnope,None\n")
    code, out, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                             tmp_path / "m", "--users", tmp_path / "users.csv", "--films",
                             tmp_path / "films.csv", "--no-tune", "--factors", 4)
    assert code == 0, err
    assert (f"warning: {tmp_path / 'users.csv'}: 0 of its 2 user ids are users of the log "
            "(0.0% of its 60 users)") in err and "leading zeros" in err
    assert (f"{tmp_path / 'films.csv'}: 2 of its 3 film ids are films of the log (6.7% of its "
            "30 films)") in out


def test_a_dataset_folders_own_users_or_films_file_that_matches_no_id_is_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the folder's own users.csv / films.csv (the project layout) were taken without a word
    # when a spreadsheet had rewritten their ids (007 as 7), as --users / --films were before
    folder = tmp_path / "data"
    folder.mkdir()
    rows = "".join(f"{u:03d},{(u * 7 + j) % 30:03d}\n" for u in range(60) for j in range(8))
    (folder / "interactions.csv").write_text("user_id,film_id\n" + rows)
    (folder / "users.csv").write_text("user_id,region\n" + "".join(
        f"{u},North\n" for u in range(60)))
    (folder / "films.csv").write_text("film_id,title\n" + "".join(
        f"{f:03d},Film {f}\n" for f in range(30)))
    code, out, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                             "--no-tune", "--factors", 4)
    assert code == 0, err
    assert (f"warning: {folder / 'users.csv'}: 0 of its 60 user ids are users of the log "
            "(0.0% of its 60 users)") in err and "leading zeros" in err
    assert "films.csv" not in out + err  # its ids match: nothing more is said
    # one that covers part of the log: its other films are untitled, said once
    (folder / "films.csv").write_text("film_id,title\n" + "".join(
        f"{f:03d},Film {f}\n" for f in range(0, 30, 3)))
    code, out, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m2",
                             "--no-tune", "--factors", 4)
    assert code == 0, err
    assert (f"note: {folder / 'films.csv'}: 20 of the log's 30 films have no row in it "
            "('001', '002', '004' and 17 more): they are untitled and without genres") in err


def test_a_time_column_under_another_name_is_warned_of(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """A log whose times sit in a column the reader does not take (``event_time``, a
    Parquet ``date``) trained as one without times (a random holdout, no horizon) without a
    word. Oracle: the header written, and the model's own account (no timestamps); a
    duration (``watch_time``) and a log read with its timestamp draw no warning."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    n = 600
    cols = {"user_id": [f"u{i % 60}" for i in range(n)],
            "film_id": [f"f{int(j)}" for j in rng.integers(0, 40, n)]}
    times = 1_600_000_000 + rng.integers(0, 10**6, n)
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = [
        (tmp_path / "a.csv", {"event_time": times, "watch_time": rng.integers(1, 9000, n)},
         ["'event_time'"], ["watch_time"]),
        (folder, {"date": pa.array((times // 86_400).astype(np.int32), pa.date32())},
         ["'date'"], []),
        (tmp_path / "b.csv", {"timestamp": times, "watched_at": times}, [], ["watched_at"]),
        (tmp_path / "c.csv", {"runtime": times}, [], ["runtime"]),
    ]
    for i, (path, extra, named, unnamed) in enumerate(cases):
        table = pa.table({**cols, **extra})
        if path.is_dir():
            pq.write_table(table, path / "interactions.parquet")
        else:
            pacsv.write_csv(table, path)
        code, _, err = run_cli(capsys, "train", "--data", path, "--out", tmp_path / f"m{i}",
                               "--no-tune", "--factors", "4", "--iterations", "2",
                               "--segments", "2")
        assert code == 0, err
        warned = [line for line in err.splitlines() if "not read: interaction times" in line]
        assert bool(warned) == bool(named), err
        for word in named:
            assert word in warned[0]
        for word in unnamed:
            assert all(word not in line for line in warned)
        meta = json.loads((tmp_path / f"m{i}" / "meta.json").read_text())
        assert meta["data"]["has_timestamps"] == ("timestamp" in extra)


def _log(path: Path, users: int = 60, films: int = 30) -> Path:
    rng = np.random.default_rng(0)
    rows = {(f"u{u}", f"f{f}") for u in range(users) for f in rng.choice(films, 8, replace=False)}
    path.write_text("user_id,film_id\n" + "".join(f"{u},{f}\n" for u, f in sorted(rows)))
    return path


@pytest.mark.parametrize(("options", "said"), [
    (["--model", "bpr"], "the search covers ALS, not bpr; the options not given took their "
                         "--no-tune values: regularization 0.01, factors 64, popularity 0"),
    (["--model", "lmf", "--factors", "8"], "the search covers ALS, not lmf; the options not "
                                           "given took their --no-tune values: regularization "
                                           "0.6, weighting binary, popularity 0"),
])
def test_train_says_when_the_search_its_help_promises_did_not_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
        said: str) -> None:
    """--help says an option not given is 'chosen on a validation split'; for BPR and LMF
    (and the Spark engine, or a log too small to validate on) no search runs and the
    --no-tune values are used: train said nothing (only `info` told, as 'not run')."""
    code, out, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                             tmp_path / "m", "--iterations", "2", *options)
    assert code == 0, err
    assert f"tuning: not run: {said}" in out
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["tuning"]["status"].startswith("not run")
    code, out, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                             tmp_path / "m", "--iterations", "2", "--no-tune", *options)
    assert code == 0 and "tuning" not in out  # asked for: nothing to say


def test_train_says_a_fixed_value_apart_from_what_the_search_chose(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--alpha 5`` is fixed: the line said the search "chose ... alpha 5.0"."""
    code, out, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                             tmp_path / "m", "--iterations", "2", "--alpha", "5",
                             "--factors", "4", "--segments", "2")
    assert code == 0, err
    line = next(n for n in out.splitlines() if n.startswith("tuning: "))
    chose, rest = line.split(" (validation objective ")
    assert "alpha" not in chose and "factors" not in chose and "regularization 30.0" in chose
    assert rest.endswith("; not searched: alpha 5.0, factors 4")


def test_train_s_tuning_line_says_what_its_validation_objective_is(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``train`` printed "validation objective 0.55531, starting point 0.45779" with no word
    of what was measured (``tune``'s line names it; meta.json records it)."""
    code, out, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                             tmp_path / "m", "--iterations", "2", "--factors", "4",
                             "--segments", "2")
    assert code == 0, err
    line = next(n for n in out.splitlines() if n.startswith("tuning: "))
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    said = meta["tuning"]["objective"]
    assert said.startswith("geometric mean of audience_recall@")
    assert f"; the objective: {said})" in line
    chosen = meta["tuning"]["validation"]["chosen"]["objective"]
    assert f"(validation objective {chosen}, " in line


def test_an_untuned_ease_lists_no_als_option_as_taken(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """EASE reads neither regularization nor alpha: the note of the options not given listed
    them with their --no-tune values, as if the fit had used them."""
    code, out, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                             tmp_path / "m", "--family", "ease", "--factors", "8",
                             "--ease-lambda", "10", "--popularity", "0")
    assert code == 0, err
    assert ("tuning: not run: every tunable parameter is fixed; the options not given took "
            "their --no-tune values: weighting binary\n") in out


@pytest.mark.parametrize("argv", [
    ["train", "--data", "log.csv", "--out", "m", "--no-tune", "--seed", "-5"],
    ["evaluate", "--data", "log.csv", "--no-tune", "--seed", "-1"],
    ["tune", "--data", "log.csv", "--seed", "-1", "--trials", "1"],
    ["demo-data", "demo", "--seed", "-1"],
])
def test_a_negative_seed_is_refused_before_any_work(
        argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """numpy's generators take no negative seed: each command ran (train fitted the
    calibration split) and then stopped on a ValueError traceback, exit 1."""
    monkeypatch.chdir(tmp_path)
    _log(tmp_path / "log.csv")
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and "argument --seed: expected a number >= 0" in err
    assert "Traceback" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]


def test_a_negative_seed_in_a_config_is_refused_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.json"
    config.write_text('{"seed": -3}')
    code, _, err = run_cli(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                           tmp_path / "m", "--config", config, "--no-tune")
    assert code == 2 and f"{config}: seed must be in [0, " in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()


def test_evaluates_holdout_changes_no_figure_with_no_tune_on_a_small_log(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """evaluate's --help says what --holdout does there: the share is held out to calibrate
    tier conversion (which evaluate does not report) and, with --no-tune on a log small
    enough for a fresh final fit, changes no figure reported. Checked, not assumed."""
    from recommender.cli import build_parser

    evaluate = build_parser()._subparsers._group_actions[0].choices["evaluate"]  # type: ignore[union-attr]
    said = " ".join(evaluate.format_help().split())
    assert "changes no figure reported" in said and "--no-tune" in said
    log = _log(tmp_path / "log.csv", users=120, films=40)
    figures = []
    for share in ("0.05", "0.3"):
        out = tmp_path / f"r{share}.json"
        code, _, _ = run_cli(capsys, "evaluate", "--data", log, "--no-tune", "--holdout", share,
                             "--factors", "8", "--json", out)
        assert code == 0
        engine = json.loads(out.read_text())["models"]["engine"]
        figures.append({k: v for k, v in engine.items() if not k.endswith("_seconds")})
    assert figures[0] == figures[1]


def test_regularization_0_stays_open_to_the_gradient_models_and_ease() -> None:
    # only ALS's normal equations need it (BPR and LMF take gradient steps; EASE reads
    # ease_lambda)
    for options in ({"model": "bpr"}, {"model": "lmf"}, {"family": "ease"}):
        TrainConfig(regularization=0.0, **options).validate()  # type: ignore[arg-type]


def test_a_films_file_whose_title_column_is_misnamed_is_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 'movie,name,year,genres': movie is read as film_id, name nowhere: every film trained
    # without a title (search found nothing, the title columns were empty) without a word
    rows = "".join(f"u{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + rows)
    (tmp_path / "films.csv").write_text("movie,name,year,genres\n" + "".join(
        f"f{f},Film {f},1999,Drama\n" for f in range(30)))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--films", tmp_path / "films.csv", "--no-tune",
                           "--factors", 4)
    assert code == 0, err
    assert (f"warning: {tmp_path / 'films.csv'}: column 'name' not read, and no title column: "
            "a catalog's header is film_id,title,year,genres") in err
    # a catalog whose columns are all read, or that only adds columns, says nothing of them
    (tmp_path / "films.csv").write_text("film_id,title,year,genres,director\n" + "".join(
        f"f{f},Film {f},1999,Drama,X\n" for f in range(30)))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--films", tmp_path / "films.csv", "--no-tune",
                           "--factors", 4)
    assert code == 0, err
    assert "not read" not in err


def test_a_log_whose_rating_column_is_misnamed_is_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 'score' or 'stars' for 'rating': the log trained as one without ratings (--weighting
    # rating read every event as 1) without a word, as a misnamed time column did before
    rows = "".join(f"u{u},f{(u * 7 + j) % 30},{1 + (u + j) % 5},{j}\n"
                   for u in range(60) for j in range(8))
    for name, warned in (("score", True), ("Stars", True), ("rating", False), ("plays", False)):
        log = tmp_path / f"{name}.csv"
        log.write_text(f"user_id,film_id,{name},views\n" + rows)
        code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / name,
                               "--no-tune", "--weighting", "rating", "--factors", 4)
        assert code == 0, err
        line = (f"warning: {log}: column '{name}' not read: ratings are read from a column "
                "named rating, so this log trains as one without ratings")
        assert (line in err) == warned, err
        assert "'views' not read" not in err


def test_a_folders_partial_catalog_completed_by_films_is_no_untitled_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder's films.csv covers a third of the log and --films the rest: no film is
    untitled, so no note says 20 are (it counted the folder's file alone)."""
    folder = tmp_path / "data"
    folder.mkdir()
    rows = "".join(f"{u:03d},{(u * 7 + j) % 30:03d}\n" for u in range(60) for j in range(8))
    (folder / "interactions.csv").write_text("user_id,film_id\n" + rows)
    (folder / "films.csv").write_text("film_id,title\n" + "".join(
        f"{f:03d},Film {f}\n" for f in range(0, 30, 3)))
    extra = tmp_path / "more.csv"
    extra.write_text("film_id,title\n" + "".join(
        f"{f:03d},Film {f}\n" for f in range(30) if f % 3))
    code, out, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                             "--films", extra, "--no-tune", "--factors", 4)
    assert code == 0, err
    assert "have no row" not in err, err
    # --films covering only part of what the folder's file lacks: the rest is said
    extra.write_text("film_id,title\n" + "".join(f"{f:03d},Film {f}\n" for f in (1, 2)))
    code, out, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m2",
                             "--films", extra, "--no-tune", "--factors", 4)
    assert code == 0, err
    assert (f"note: {folder / 'films.csv'}: 18 of the log's 30 films have no row in it or "
            f"in {extra} ('004', '005', '007' and 15 more): they are untitled and without "
            "genres") in err, err
