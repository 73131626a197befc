"""``recommender.io.readers``: format detection, dispatch, the entry points, garbage in.

The oracle is hand-written: small files whose answers are known.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from reading_helpers import data_error, make_project, write

from recommender.errors import DataError
from recommender.io.readers import load, read_id_list

# ---------------------------------------------------------------------------------------------
# detection and dispatch
# ---------------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    err = data_error(tmp_path / "nope.csv")
    assert "nope.csv" in str(err) and "no such file" in str(err)


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
@pytest.mark.parametrize("name", ["empty.csv", "empty.dat", "u.data", "empty.parquet"])
def test_empty_file(tmp_path: Path, content: str, name: str) -> None:
    err = data_error(write(tmp_path / name, content))
    assert name in str(err)
    assert "empty" in str(err) or "Parquet" in str(err)


def test_unknown_folder_layout(tmp_path: Path) -> None:
    write(tmp_path / "data" / "notes.txt", "hello")
    err = data_error(tmp_path / "data")
    msg = str(err)
    for looked_for in ("interactions.csv", "u.data", "ratings.dat", "ratings.csv",
                       "ratings.txt"):
        assert looked_for in msg
    assert "notes.txt" in msg


def test_folder_holding_one_dataset_folder(tmp_path: Path) -> None:
    make_project(tmp_path / "outer" / "inner")
    assert len(load(tmp_path / "outer")) == 3


def test_garbage_never_escapes_as_raw_exception(tmp_path: Path) -> None:
    rng = random.Random(7)
    alphabet = [b"user_id", b"film_id", b"rating", b",", b";", b"\t", b"\n", b"\r", b"\"",
                b"::", b"1", b"x", b"\xff", b"\xc3\xa9", b" ", b"timestamp", b"-", b"."]
    for i in range(60):
        blob = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for name in (f"g{i}.csv", f"g{i}.dat", f"g{i}.parquet"):
            p = tmp_path / name
            p.write_bytes(blob)
            try:
                load(p)
            except DataError as e:
                assert name in str(e)


# ---------------------------------------------------------------------------------------------
# id lists
# ---------------------------------------------------------------------------------------------


def test_read_id_list(tmp_path: Path) -> None:
    p = write(tmp_path / "ids.txt", "\ufeff0104257\n  007 \n\n1.0\r\nF 1\n")
    assert read_id_list(p) == ["0104257", "007", "1.0", "F 1"]


def test_read_id_list_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.txt: no such file"):
        read_id_list(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="blank.txt: .*no id"):
        read_id_list(write(tmp_path / "blank.txt", "\n \n"))
    (tmp_path / "bin.txt").write_bytes(b"a\nb\xff\n")
    with pytest.raises(DataError, match=r"bin.txt, line 2: .*byte offset 3"):
        read_id_list(tmp_path / "bin.txt")
