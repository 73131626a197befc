"""A header wider than the first 64 KB is read whole: a log of 40,004 columns (an export that
kept every attribute) was cut at 64 KB and told it had 10,949 fields; a first line past the
longest a reader can hold is refused at line 1, not cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import DataError
from recommender.io import readers
from recommender.io.first_line import MAX_HEADER_BYTES


def test_a_header_past_64_kb_is_read_whole(tmp_path: Path) -> None:
    extra = [f"extra_column_{i}" for i in range(40_000)]
    header = ",".join(["user_id", "film_id", *extra])
    assert len(header) > 1 << 19
    rows = [",".join([f"u{i % 30}", f"f{i % 7}", *["1"] * len(extra)]) for i in range(60)]
    p = tmp_path / "log.csv"
    p.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    inter = readers.load(p)
    # the oracle: the distinct pairs written
    assert len(inter) == len({(i % 30, i % 7) for i in range(60)})
    assert sorted(inter.users.ids.tolist()) == sorted({f"u{i % 30}" for i in range(60)})


def test_a_first_line_past_the_longest_header_is_refused_at_line_1(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_bytes(b"user_id,film_id," + b"x" * MAX_HEADER_BYTES)
    with pytest.raises(DataError, match="line 1: the first line is over 16 MB long"):
        readers.load(p)


def test_a_column_name_past_the_csv_modules_field_limit_is_read(tmp_path: Path) -> None:
    # a name of 200,000 characters: Python's csv module refuses a field past 131,072 with
    # its own csv.Error (the 64 KB cut never passed it one that long); the oracle: the
    # pairs written, the long column unread beside user_id and film_id
    p = tmp_path / "log.csv"
    p.write_text("user_id,film_id," + "x" * 200_000 + "\nu1,f1,1\nu2,f1,1\nu2,f2,1\n",
                 encoding="utf-8")
    inter = readers.load(p)
    assert len(inter) == 3
    assert sorted(inter.users.ids.tolist()) == ["u1", "u2"]


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_a_first_line_as_long_as_a_read_block_is_refused_with_its_line_end(
        tmp_path: Path, end: bytes) -> None:
    # its line end lies past the limit, in the last megabyte read: the line was let through,
    # and pyarrow, whose read block must hold the header, said 'Could not skip initial 1 rows'
    p = tmp_path / "log.csv"
    first = b"user_id,film_id," + b"x" * (MAX_HEADER_BYTES - 16)
    assert len(first) == MAX_HEADER_BYTES
    p.write_bytes(first + end + b"u1,f1,1" + end)
    with pytest.raises(DataError, match="line 1: the first line is over 16 MB long"):
        readers.load(p)


def test_a_first_line_just_under_a_read_block_is_read(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_bytes(b"user_id,film_id," + b"x" * (MAX_HEADER_BYTES - 17) + b"\nu1,f1,1\n")
    inter = readers.load(p)
    assert len(inter) == 1 and inter.users.ids.tolist() == ["u1"]
