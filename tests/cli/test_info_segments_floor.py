"""``info`` says what shaped a model's segments where training found fewer than asked for: the
count asked for and the minimum cell size then in force (``RECOMMENDER_MIN_CELL``), which
meta.json records. It said "9 segments" beside "segments 10" in the parameters, and the
environment variable that merged the rest was named nowhere after training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli as run

from recommender.cli import main
from recommender.io import demo
from recommender.model import artifact


def test_info_names_the_asked_count_and_the_minimum_cell(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    data = demo.generate(tmp_path / "d", seed=2, n_users=400, n_films=40, n_interactions=4000)
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "25")
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune",
                 "--segments", "40", "--factors", "8", "--iterations", "2"]) == 0
    monkeypatch.delenv("RECOMMENDER_MIN_CELL")  # info reads the model, not today's setting
    capsys.readouterr()
    model = artifact.load(tmp_path / "m")
    found = len(np.unique(np.asarray(model.segments.labels)))  # the oracle: the labels
    assert found < 40 and model.meta["segments"]["min_size"] == 25
    code, out, err = run(capsys, "info", str(tmp_path / "m"))
    assert code == 0, err
    assert (f"; {found} segments (40 asked; segments of fewer than 25 users merged: the "
            "minimum cell size, RECOMMENDER_MIN_CELL, at training);") in out


def test_info_adds_nothing_where_every_segment_asked_for_was_found(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = demo.generate(tmp_path / "d", seed=2, n_users=400, n_films=40, n_interactions=4000)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune",
                 "--segments", "2", "--factors", "8", "--iterations", "2"]) == 0
    capsys.readouterr()
    assert "segments" not in artifact.load(tmp_path / "m").meta
    code, out, err = run(capsys, "info", str(tmp_path / "m"))
    assert code == 0 and "; 2 segments; user attributes" in out
