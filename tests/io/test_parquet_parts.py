"""A folder of Parquet part files, as Spark and warehouses write a table, is read by the local
engine: flat (``part-*.parquet``) or Hive-partitioned (``date=2024-01-01/part-0.parquet``, the
partition key a text column). It was refused "no recognised dataset layout". The parts are
read in the order of their paths, so the rows, the ids' order and the fingerprint are those of
one file holding the parts in that order; a folder in no one layout is refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli

from recommender.errors import DataError
from recommender.io.readers import load, log_columns


def _write(path: Path, **columns: list[object]) -> pa.Table:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(columns)
    pq.write_table(table, path)
    return table


def test_flat_parts_read_as_one_file_in_path_order(tmp_path: Path) -> None:
    parts = tmp_path / "log.parquet"
    # written out of order: the reading order is the paths', not the files' age
    order = ["part-00002-a.snappy.parquet", "part-00000-c.snappy.parquet",
             "part-00001-b.snappy.parquet"]
    tables = {}
    for i, name in enumerate(order):
        tables[name] = _write(parts / name, user_id=[f"u{i}", "u9"], film_id=["0042", f"f{i}"],
                              rating=[4.0 + i / 2, 3.0])
    (parts / "_SUCCESS").write_bytes(b"")
    (parts / ".part-00000-c.snappy.parquet.crc").write_bytes(b"crc")
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.concat_tables([tables[n] for n in sorted(order)]), whole)
    got, expected = load(parts), load(whole)
    assert got.fingerprint() == expected.fingerprint()
    assert got.users.ids.tolist() == ["u1", "u9", "u2", "u0"]  # first seen, in path order
    assert "0042" in got.films.ids.tolist()
    assert load(parts).fingerprint() == got.fingerprint()
    # the folder that holds the parts' folder alone (a copy, an archive) is read as it
    assert load(tmp_path / "log.parquet").fingerprint() == got.fingerprint()
    whole.unlink()
    assert load(tmp_path).fingerprint() == got.fingerprint()


def test_hive_partitions_become_text_columns(tmp_path: Path) -> None:
    """A partition key is a column, its values as text: film_id=0042 is film 0042."""
    _write(tmp_path / "film_id=0042" / "day=2024-01-02" / "part-0.parquet",
           user_id=["u2", "u1"], rating=[5.0, 1.0])
    _write(tmp_path / "film_id=0042" / "day=2024-01-01" / "part-0.parquet",
           user_id=["u3"], rating=[2.0])
    _write(tmp_path / "film_id=7" / "day=2024-01-01" / "part-0.parquet",
           user_id=["u1"], rating=[4.0])
    got = load(tmp_path)
    assert got.films.ids.tolist() == ["0042", "7"] and got.users.ids.tolist() == ["u3", "u2",
                                                                                  "u1"]
    rows = sorted(zip(got.users.ids[got.user_idx].tolist(), got.films.ids[got.film_idx].tolist(),
                      got.rating.tolist(), strict=True))
    assert rows == [("u1", "0042", 1.0), ("u1", "7", 4.0), ("u2", "0042", 5.0),
                    ("u3", "0042", 2.0)]
    assert log_columns(tmp_path) == ["user_id", "rating", "film_id", "day"]


def test_a_bad_value_names_the_part_and_its_row(tmp_path: Path) -> None:
    _write(tmp_path / "date=2024-01-01" / "part-0.parquet", user_id=["u1", "u2"],
           film_id=["f1", "f2"], weight=[1.0, 2.0])
    _write(tmp_path / "date=2024-01-02" / "part-0.parquet", user_id=["u1", "u2", "u3"],
           film_id=["f1", "f2", "f3"], weight=[1.0, -2.0, 1.0])
    with pytest.raises(DataError) as info:
        load(tmp_path)
    assert info.value.path == str(tmp_path) and info.value.line is None
    assert info.value.reason.startswith("date=2024-01-02/part-0.parquet, row 2: weight -2 is "
                                        "negative"), str(info.value)
    # one Parquet file counts its rows from 1 too
    _write(tmp_path / "one.parquet", user_id=["u1"], film_id=["f1"], weight=[-1.0])
    with pytest.raises(DataError, match="row 1: weight -1 is negative"):
        load(tmp_path / "one.parquet")


@pytest.mark.parametrize(("files", "said"), [
    (["part-0.parquet", "date=2024-01-01/part-0.parquet"], "mixes layouts: date=2024-01-01/"
     "part-0.parquet is partitioned by date, part-0.parquet at the top"),
    (["date=2024-01-01/part-0.parquet", "day=2024-01-01/part-0.parquet"], "mixes layouts"),
    (["part-0.parquet", "part-1.csv"], "holds Parquet parts (part-0.parquet) and other files "
     "(part-1.csv)"),
    (["part-0.parquet", "old/part-0.parquet"], "the part old/part-0.parquet is in a folder "
     "not named key=value"),
    (["part-0.parquet", "part-1.parquet:stars"], "the parts hold different columns"),
    (["date=2024-01-01/part-0.parquet:date"], "the partition column 'date' is also a column"),
])
def test_a_folder_in_no_one_layout_is_refused(tmp_path: Path, files: list[str],
                                              said: str) -> None:
    for name in files:
        name, _, extra = name.partition(":")
        if name.endswith(".csv"):
            (tmp_path / name).write_text("user_id,film_id\nu1,f1\n")
            continue
        columns: dict[str, list[object]] = {"user_id": ["u1"], "film_id": ["f1"]}
        if extra:
            columns[extra] = ["x"]
        _write(tmp_path / name, **columns)
    with pytest.raises(DataError) as info:
        load(tmp_path)
    assert info.value.path == str(tmp_path) and said in info.value.reason, str(info.value)


def test_no_parquet_is_still_no_layout_and_a_model_beside_is_not_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError, match="no recognised dataset layout"):
        load(tmp_path)
    (tmp_path / "notes.txt").unlink()
    rows = [(f"u{u}", f"f{(u * 7 + j) % 30}") for u in range(60) for j in range(8)]
    for k in range(3):
        chunk = rows[k::3]
        _write(tmp_path / f"part-{k}.parquet", user_id=[u for u, _ in chunk],
               film_id=[f for _, f in chunk])
    code, _, err = run_cli(capsys, "train", "--data", tmp_path, "--out", tmp_path / "model",
                           "--no-tune", "--segments", "2")
    assert code == 0, err
    # the model folder beside the parts (its files no parts) does not stop the next read
    assert any(os.scandir(tmp_path / "model"))
    meta = json.loads(next((tmp_path / "model").rglob("meta.json")).read_text())
    assert meta["data"]["fingerprint"] == load(tmp_path).fingerprint()
    assert meta["data"]["interactions"] == len(set(rows))
