"""``info`` says what a parameter left unset means (``min_rating -, warm_iterations -``)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


def test_no_parameter_reads_as_a_bare_dash(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    model = synthetic_model(n_users=30, n_films=6, seed=1)
    params = dict(model.meta["params"], min_rating=None, warm_iterations=None, seed=0)
    path = artifact.save(dataclasses.replace(model, meta=dict(model.meta, params=params)),
                         tmp_path / "m")
    code, out, err = run(capsys, "info", path)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("parameters: "))
    unset = [k for k, v in artifact.load(path).meta["params"].items() if v is None]
    assert sorted(unset) == ["min_rating", "warm_iterations"]
    for key in unset:  # the oracle: meta.json's nulls, each said in words
        said = re.search(rf"\b{key} ([^,]+)", line)
        assert said is not None and said.group(1) != "-", line
    assert "min_rating none (every interaction counts)" in line


def _parameters_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, model_name: str
                     ) -> str:
    model = synthetic_model(n_users=30, n_films=6, seed=1)
    params = dict(model.meta["params"], min_rating=None, warm_iterations=None)
    path = artifact.save(dataclasses.replace(model, meta=dict(
        model.meta, params=params, model=model_name)), tmp_path / model_name)
    code, out, err = run(capsys, "info", path)
    assert code == 0, err
    return next(x for x in out.splitlines() if x.startswith("parameters: "))


def test_automatic_warm_iterations_says_the_rule_training_follows(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Oracle: ``warm_sweeps`` itself, at the bounds the line names."""
    from recommender.model.config import TrainConfig
    from recommender.model.training import warm_sweeps

    line = _parameters_line(capsys, tmp_path, "als")
    said = re.search(r"warm_iterations automatic \(a fresh final fit on up to ([\d,]+) fitted "
                     r"interactions or with iterations (\d+) or fewer, else a warm refit of "
                     r"(\d+) sweeps\)", line)
    assert said is not None, line
    most, few, sweeps = int(said.group(1).replace(",", "")), int(said.group(2)), \
        int(said.group(3))
    config = TrainConfig(iterations=few + 5)
    assert warm_sweeps(config, most) is None and warm_sweeps(config, most + 1) == sweeps
    assert warm_sweeps(TrainConfig(iterations=few), most + 1) is None
    assert warm_sweeps(TrainConfig(iterations=few + 1), most + 1) == sweeps


def test_a_spark_model_does_not_read_warm_iterations(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A Spark model's unset warm_iterations is not 'automatic': its trainer refuses one, and
    its final fit is always fresh (it read 'a fresh final fit on a small log, else a warm
    one')."""
    from recommender.errors import InvalidParameterError
    from recommender.model.config import TrainConfig
    from recommender.spark import training

    # the trainer checks its configuration before any Spark session is started
    with pytest.raises(InvalidParameterError, match="does not read warm_iterations"):
        training._train_in_session(lambda *_: None,  # type: ignore[arg-type,return-value]
                                   TrainConfig(warm_iterations=1), "local[1]", None, False)
    line = _parameters_line(capsys, tmp_path, training.MODEL_NAME)
    assert "warm_iterations not read (MLlib cannot warm-start" in line, line
    assert "automatic" not in line, line
