"""A cinema table beside the data under another name or format is warned of at train."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import run_cli

CINEMAS = pd.DataFrame({"cinema_id": ["c1", "c2"], "city": ["Leeds", "York"],
                        "region": ["North", "North"], "screens": [5, 7], "seats": [900, 1200]})


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    rows = "".join(f"m{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (folder / "interactions.csv").write_text("user_id,film_id\n" + rows)
    return folder


def test_a_cinema_table_in_parquet_is_warned_of(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # an export in Parquet (cinemas.parquet beside interactions.parquet) trained a model
    # without a cinema table, its screens capped by no cinema, without a word (users.parquet
    # and films.parquet were warned of)
    folder = _folder(tmp_path)
    CINEMAS.to_parquet(folder / "cinemas.parquet", index=False)
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4)
    assert code == 0, err
    assert (f"warning: {folder / 'cinemas.parquet'} is not read: the cinema table") in err, err
    assert "convert it to cinemas.csv (or give the CSV to distribution as --cinemas)" in err
    assert not any((tmp_path / "m").rglob("cinemas.csv"))
    # a CSV under another case is to be renamed
    (folder / "cinemas.parquet").unlink()
    CINEMAS.to_csv(folder / "Cinemas.csv", index=False)
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m2",
                           "--no-tune", "--factors", 4)
    assert code == 0, err
    assert f"warning: {folder / 'Cinemas.csv'} is not read" in err, err
    assert "rename it cinemas.csv (or give it to distribution as --cinemas)" in err


def test_a_cinemas_csv_is_read_and_not_warned_of(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path)
    CINEMAS.to_csv(folder / "cinemas.csv", index=False)
    CINEMAS.to_parquet(folder / "cinemas.parquet", index=False)  # beside it: not needed
    code, _, err = run_cli(capsys, "train", "--data", folder, "--out", tmp_path / "m",
                           "--no-tune", "--factors", 4)
    assert code == 0, err
    assert "is not read" not in err, err
    assert any((tmp_path / "m").rglob("cinemas.csv"))
