"""``train --engine spark`` says the readers' warnings as ``train`` does: ``warning:`` lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import run_cli

from recommender.io import readers
from recommender.model.training import train


def test_a_spark_train_says_an_unread_users_table_as_a_warning_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spark's driver reads a project folder through readers.load, outside load_said: its
    # warning printed as Python's, with a line of the reader's source (and under pytest, none)
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "interactions.csv").write_text("user_id,film_id,rating\n" + "".join(
        f"u{u},f{(u * 7 + j) % 30},{1 + (u + j) % 5}\n" for u in range(60) for j in range(8)))
    pd.DataFrame({"user_id": ["u1"], "age": ["30"]}).to_parquet(folder / "users.pq")

    def local(data: str, config: Any, **kw: Any) -> Any:  # Spark's own reading: readers.load
        return train(readers.load(data), config)

    monkeypatch.setattr("recommender.spark.training.train_spark", local)
    code, _, err = run_cli(capsys, "train", "--engine", "spark", "--data", folder, "--out",
                           tmp_path / "m", "--no-tune", "--factors", 4, "--holdout", 0)
    assert code == 0, err
    line = f"warning: {folder / 'users.pq'} is not read: a project folder's users table"
    assert err.count(line) == 1, err
    assert "UserWarning" not in err
