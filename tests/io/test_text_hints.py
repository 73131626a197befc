"""A text file's bad bytes named where they are, with advice that fits what the file is."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers


def test_a_bad_byte_after_a_bom_is_named_at_its_own_offset(tmp_path: Path) -> None:
    """``utf-8-sig`` counts offsets after the byte-order mark: the message named the byte 3
    before the bad one ('c', 0x63, column 1: valid text) and could name the wrong line."""
    ids = tmp_path / "ids.txt"
    ids.write_bytes(b"\xef\xbb\xbffilm_id\nf1\ncaf\xe9\n")
    with pytest.raises(DataError) as info:
        readers.read_id_list(ids)
    assert info.value.line == 3, str(info.value)
    assert "byte 0xe9 at byte offset 17 (column 4)" in info.value.reason, str(info.value)
    ids.write_bytes(b"\xef\xbb\xbffilm_id\nab\n\xe9x\n")  # 3 bytes earlier: the line before
    with pytest.raises(DataError) as info:
        readers.read_id_list(ids)
    assert info.value.line == 3 and "(column 1)" in info.value.reason, str(info.value)


def test_an_id_list_is_not_told_to_be_named_parquet_or_trained_with_spark(
        tmp_path: Path) -> None:
    """An id list named ``ids.parquet`` was told "name it .parquet to have it read as
    Parquet", and a gzipped one "or train with --engine spark": an id list is read as text
    only. A training log keeps both hints."""
    listed = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"film_id": ["f1", "f2"]}), listed)
    zipped = tmp_path / "ids.txt.gz"
    zipped.write_bytes(gzip.compress(b"f1\nf2\n"))
    for path, said in ((listed, "the file is Parquet"), (zipped, "gzip-compressed")):
        with pytest.raises(DataError) as info:
            readers.read_id_list(path)
        assert said in info.value.reason and info.value.line == 1, str(info.value)
        assert "name it .parquet" not in info.value.reason, str(info.value)
        assert "--engine spark" not in info.value.reason, str(info.value)
    log = tmp_path / "log.csv"
    log.write_bytes(listed.read_bytes())
    with pytest.raises(DataError, match="name it .parquet"):
        readers.load(log)


def test_a_parquet_schema_naming_a_column_twice_names_no_line(tmp_path: Path) -> None:
    """A Parquet file has no lines: its repeated column was placed on "line 1"."""
    path = tmp_path / "log.parquet"
    table = pa.table({"user_id": ["u1"], "film_id": ["f1"], "movieId": ["f2"]})
    pq.write_table(table, path)
    with pytest.raises(DataError) as info:
        readers.load(path)
    assert "both name film_id" in info.value.reason and info.value.line is None, \
        str(info.value)
    csv = tmp_path / "log.csv"
    csv.write_text("user_id,film_id,movieId\nu1,f1,f2\n")
    with pytest.raises(DataError) as info:
        readers.load(csv)
    assert info.value.line == 1, str(info.value)
