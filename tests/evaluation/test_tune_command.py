"""Tuning: seeded distinct candidate configurations, and the tune command's output accepted by
``recommender train --config``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import main
from recommender.evaluation.tuning import candidate_configs
from recommender.model import artifact
from recommender.model.config import TrainConfig


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
    meta = artifact.load(model_dir).meta
    assert meta["params"]["factors"] == tuned["params"]["factors"]
    # what tune chose is fixed; train's own search still chooses what tune did not (the
    # written "tune": false had turned it off, the prior's weight with it)
    assert not {"tune", "popularity", "family", "fixed"} & set(tuned["params"])
    assert meta["tuning"]["status"] == "searched"
    assert {"regularization", "alpha", "factors", "weighting"} <= set(meta["tuning"]["fixed"])
    assert meta["tuning"]["popularity"]["reason"] != "fixed (--popularity or --config)"
    capsys.readouterr()


def test_an_output_that_would_replace_the_log_is_refused_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``tune --out LOG`` and ``evaluate --json LOG`` replaced the log they read with JSON
    (exit 0); ``tune --out FOLDER`` failed after the whole search, naming a hidden temporary
    file. Each is refused before any work, the log left byte for byte."""
    log = tmp_path / "log.csv"
    text = "user_id,film_id\n" + "".join(f"u{u},f{(u * 3 + j) % 11}\n"
                                         for u in range(30) for j in range(4))
    log.write_text(text)
    for args in (["tune", "--data", str(log), "--out", str(log), "--trials", "2"],
                 ["evaluate", "--data", str(log), "--json", str(log)]):
        assert main(args) == 2
        assert "it would be replaced" in capsys.readouterr().err
        assert log.read_text() == text
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "interactions.csv").write_text(text)
    for name in ("interactions.csv", "users.csv"):  # a file of it, or one it would read
        assert main(["tune", "--data", str(folder), "--out", str(folder / name),
                     "--trials", "2"]) == 2
        assert "is in the --data folder" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["interactions.csv"]
    (tmp_path / "adir").mkdir()
    assert main(["tune", "--data", str(log), "--out", str(tmp_path / "adir"),
                 "--trials", "2"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "adir") in err and ".tmp" not in err and "trials" not in err


def test_tune_seeds_the_fits_and_the_written_configuration(demo_data: Any) -> None:
    """``tune --seed 7`` split the data with seed 7 but fitted every trial, and wrote a
    configuration that trains, with seed 0."""
    from recommender.evaluation.tuning import tune

    out = tune(demo_data, trials=2, seed=7)
    assert out["seed"] == 7
    assert out["params"]["seed"] == 7


def test_tune_says_when_its_objective_is_one_direction_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On a log of 50 users no film has enough held-out viewers to score audience recall:
    the objective is user recall alone, and tune said "geometric mean of audience_recall@100
    and user_recall@20". Oracle: the trials' own audience recall, null in every row."""
    import numpy as np

    rng = np.random.default_rng(0)
    lines = ["user_id,film_id,timestamp"] + [
        f"u{u},f{f},{1000 + 40 * u + f}" for u in range(50)
        for f in rng.choice(30, size=6, replace=False)]
    log = tmp_path / "small.csv"
    log.write_text("\n".join(lines) + "\n")
    out = tmp_path / "tuned.json"
    assert main(["tune", "--data", str(log), "--out", str(out), "--trials", "2"]) == 0
    said = capsys.readouterr().out
    tuned: dict[str, Any] = json.loads(out.read_text())
    assert all(r["audience_recall@100"] is None or np.isnan(r["audience_recall@100"])
               for r in tuned["trials"])
    assert tuned["objective"] == ("user_recall@20 on validation alone (audience_recall@100 "
                                  "had nothing to score there)")
    assert tuned["objective"] in said and "geometric mean" not in said


def test_tune_says_what_its_figures_were_measured_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``tune`` printed validation objectives and a "test split" table without a word of the
    splits: which protocol, how many interactions each held out. Oracle: the random split's
    train part is every interaction it does not hold out, round(0.2 n) of n (no filter
    touches it), and the validation split's the same of that train part."""
    import numpy as np

    rng = np.random.default_rng(1)
    lines = ["user_id,film_id"] + [f"u{u},f{f}" for u in range(60)
                                   for f in rng.choice(40, size=10, replace=False)]
    log = tmp_path / "log.csv"
    log.write_text("\n".join(lines) + "\n")
    out = tmp_path / "tuned.json"
    assert main(["tune", "--data", str(log), "--out", str(out), "--trials", "2",
                 "--k", "20"]) == 0
    said = capsys.readouterr().out
    n = 600
    train = n - round(0.2 * n)
    val_train = train - round(0.2 * train)
    tuned: dict[str, Any] = json.loads(out.read_text())
    test, val_test = (tuned["split"]["test_interactions"],
                      tuned["validation_split"]["test_interactions"])
    assert 0 < test <= n - train and 0 < val_test <= train - val_train
    assert (f"measured on: validation, {val_train:,} train / {val_test:,} held-out "
            "interactions of the test split's training part; test split (random protocol, "
            f"seed 0), {train:,} train / {test:,} held-out interactions") in said
