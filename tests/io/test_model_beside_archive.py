"""A model trained into the folder that holds an unzipped archive is not a second folder.

``train --data data --out data/model``, where ``data`` holds one unzipped dataset folder (as
``download`` leaves it), succeeded once; the same command again found two folders in ``data``
and no layout ("found: model, ml-latest-small"), so the model could not be retrained.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli

from recommender.io.readers import load


def test_the_same_train_runs_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "data" / "ml-latest-small"
    archive.mkdir(parents=True)
    (archive / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + "".join(
        f"{u},{(u * 7 + j) % 30},4.0,{964982703 + j}\n" for u in range(40) for j in range(6)))
    args = ["train", "--data", tmp_path / "data", "--out", tmp_path / "data" / "model",
            "--no-tune", "--factors", 4, "--iterations", 2]
    for _ in range(2):
        code, _, err = run_cli(capsys, *args)
        assert code == 0, err
    assert load(tmp_path / "data").source == str(archive)
