"""A project folder's users or films table under another name is named as not read.

``interactions.parquet`` with ``users.pq`` beside it trained a model without attributes, without
a word (``attributes`` said later "no users file was given to train"); so did a ``Users.csv`` or
a ``films.tsv`` (``users.parquet`` and ``films.parquet`` are read: test_parquet_side_tables).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from recommender.cli import reading
from recommender.io.readers import load


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    pd.DataFrame({"user_id": ["u1", "u2"], "film_id": ["f1", "f1"]}).to_parquet(
        d / "interactions.parquet", index=False)
    pd.DataFrame({"user_id": ["u1"], "region": ["North"]}).to_parquet(d / "users.pq")
    (d / "films.tsv").write_text("film_id\ttitle\nf1\tHeat\n", encoding="utf-8")
    return d


def test_tables_under_other_names_are_named(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    with pytest.warns(UserWarning) as caught:
        inter = load(d)
    assert inter.user_table is None and inter.catalog is None
    said = [str(w.message) for w in caught]
    assert said == [
        f"{d / 'films.tsv'} is not read: a project folder's films table is films.csv, a CSV "
        "(or TSV) with a header, or films.parquet; rename it films.csv (or give it as --films)",
        f"{d / 'users.pq'} is not read: a project folder's users table is users.csv, a "
        "CSV (or TSV) with a header, or users.parquet; rename it users.parquet (or give it as "
        "--users)"]


def test_train_says_it_as_a_warning_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    d = _folder(tmp_path)
    (d / "users.csv").write_text("user_id,region\nu1,North\n", encoding="utf-8")
    inter = reading.load_said(d, None, None, show=False)
    assert inter.user_table is not None
    err = capsys.readouterr().err.splitlines()
    assert [line[:40] for line in err] == [f"warning: {d / 'films.tsv'}"[:40],
                                           f"warning: {d / 'users.pq'}"[:40]]


def test_a_table_written_as_a_folder_of_parts_is_named(tmp_path: Path) -> None:
    """``users.parquet/`` as Spark writes it (a folder of part files) was named as not read
    before Parquet side tables were read, and then left out without a word: only a file of
    that name is read."""
    d = tmp_path / "data"
    (d / "users.parquet").mkdir(parents=True)
    pd.DataFrame({"user_id": ["u1", "u2"], "film_id": ["f1", "f1"]}).to_csv(
        d / "interactions.csv", index=False)
    pd.DataFrame({"user_id": ["u1"], "region": ["North"]}).to_parquet(
        d / "users.parquet" / "part-00000.parquet", index=False)
    with pytest.warns(UserWarning) as caught:
        inter = load(d)
    assert inter.user_table is None
    assert [str(w.message) for w in caught] == [
        f"{d / 'users.parquet'} is a folder, not read: a project folder's users table is one "
        "file, users.csv or users.parquet; write it as one file (or give one as --users)"]
