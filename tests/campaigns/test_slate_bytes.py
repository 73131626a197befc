"""The campaign slate and the events file: bad bytes by line and column, ``.pq`` read as
Parquet, no training advice for an events file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.campaigns.event_file import read_event_file
from recommender.campaigns.slate import read_slate
from recommender.errors import DataError


@pytest.mark.parametrize(("data", "line", "said"), [
    (b"film_id,budget,title\nf1,5,Up\nf2,5,Caf\xe9\n", 3, "byte 0xe9 at byte offset 37 (column 9)"),
    (b"film_id,budget\nf1,5\nf\x002,5\n", 3, "NUL byte"),
    ("film_id,budget\nf1,5\n".encode("utf-16"), 1, "UTF-16"),
    (gzip.compress(b"film_id,budget\nf1,5\n"), 1, "gzip-compressed"),
], ids=["latin1", "nul", "utf16", "gzip"])
def test_a_slate_of_bad_bytes_names_the_line(tmp_path: Path, data: bytes, line: int,
                                             said: str) -> None:
    """The slate said "not UTF-8 text (byte offset 37)" with no line, and read a NUL byte
    into a film_id."""
    slate = tmp_path / "slate.csv"
    slate.write_bytes(data)
    with pytest.raises(DataError) as info:
        read_slate(slate)
    assert info.value.line == line and said in info.value.reason, str(info.value)
    assert "--engine spark" not in info.value.reason


def test_an_events_file_named_pq_is_parquet_and_a_gzip_one_is_not_for_spark(
        tmp_path: Path) -> None:
    """Training reads ``.pq`` as Parquet; the events import read it as CSV and refused it. A
    gzipped events file was told to "train with --engine spark": one named .gz is read, as
    a training log is; one named otherwise is told to be named .gz."""
    pq.write_table(pa.table({"user_id": ["u1"], "film_id": ["f1"], "timestamp": [1700000000]}),
                   tmp_path / "events.pq")
    batch = read_event_file(tmp_path / "events.pq")
    assert (batch.user_id, batch.film_id, batch.timestamp) == (["u1"], ["f1"], [1700000000])
    text = gzip.compress(b"user_id,film_id,timestamp\nu1,f1,1700000000\n")
    (tmp_path / "events.csv.gz").write_bytes(text)
    batch = read_event_file(tmp_path / "events.csv.gz")
    assert (batch.user_id, batch.film_id, batch.timestamp) == (["u1"], ["f1"], [1700000000])
    zipped = tmp_path / "events.csv"
    zipped.write_bytes(text)
    with pytest.raises(DataError) as info:
        read_event_file(zipped)
    assert "gzip-compressed" in info.value.reason, str(info.value)
    assert "--engine spark" not in info.value.reason, str(info.value)
    assert "name it .csv.gz" in info.value.reason, str(info.value)
