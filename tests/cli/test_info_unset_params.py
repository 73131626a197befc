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
