"""An events file is read as POST /events reads a body: a column it does not read is refused,
not dropped (a ``rating`` column was dropped without a word, so a MovieLens ``ratings.csv``
imported its half-star ratings as plain watches), and an event_id the file gives two
different events is named with both lines (the store's check said 'already recorded', with
no file or line, when nothing was)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.campaigns.event_file import read_event_file
from recommender.campaigns.events import max_sequence
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.errors import DataError


@pytest.mark.parametrize("header, row, named", [
    ("user_id,film_id,timestamp,rating", "u1,f1,2026-01-01,0.5", "'rating'"),
    ("userId,movieId,rating,timestamp", "u1,f1,0.5,1700000000", "'rating'"),
    ("user_id,film_id,timestamp,channel", "u1,f1,2026-01-01,email", "'channel'"),
    ("user_id,film_id,timestamp,weight,source,rating", "u1,f1,5,1,x,3",
     "columns 'source', 'rating' are not read"),
])
def test_a_column_that_is_not_read_is_refused(tmp_path: Path, header: str, row: str,
                                               named: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "ev.csv"
    f.write_text(f"{header}\n{row}\n")
    with pytest.raises(DataError, match="line 1") as e:
        read_event_file(f)
    assert named in str(e.value) and "user_id,film_id,timestamp" in str(e.value)
    if "rating" in header:
        assert "carries no rating" in str(e.value)
    store = tmp_path / "s.db"
    assert main(["events", "import", "--store", str(store), str(f)]) == 2
    err = capsys.readouterr().err
    assert f"{f}, line 1" in err and "not read" in err
    s = open_store(f"sqlite:///{store}")
    try:
        assert max_sequence(s) == 0  # nothing was stored
    finally:
        s.close()


def test_a_parquet_column_that_is_not_read_is_refused_its_pandas_index_is_not(
        tmp_path: Path) -> None:
    f = tmp_path / "ev.parquet"
    pq.write_table(pa.table({"user_id": ["a"], "film_id": ["b"], "timestamp": [1_700_000_005],
                             "rating": [4.0]}), f)
    with pytest.raises(DataError, match="column 'rating' is not read"):
        read_event_file(f)
    pq.write_table(pa.table({"user_id": ["a"], "film_id": ["b"], "timestamp": [1_700_000_005],
                             "__index_level_0__": [7]}), f)
    assert read_event_file(f).user_id == ["a"]


def test_the_columns_it_reads_are_read(tmp_path: Path) -> None:
    f = tmp_path / "ev.csv"
    f.write_text("event_id,userId,movieId,timestamp,weight\ne1,u1,f1,1700000005,2\n")
    batch = read_event_file(f)
    assert batch.event_id == ["e1"] and batch.weight == [2.0]


def test_an_unnamed_column_is_pandas_index_and_not_refused(tmp_path: Path) -> None:
    """DataFrame.to_csv writes its index as a first column with no name; training ignores it,
    and so does the events import (a named column it does not read is still refused)."""
    f = tmp_path / "ev.csv"
    f.write_text(",user_id,film_id,timestamp\n0,u1,f1,1700000005\n1,u2,f1,1700000006\n")
    assert read_event_file(f).user_id == ["u1", "u2"]


def test_one_event_id_for_two_events_in_the_file_names_both_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "ev.csv"
    f.write_text("user_id,film_id,timestamp,event_id\nu1,f1,1700000005,a\nu1,f1,1700000005,a\nu2,f1,1700000005,a\n")
    with pytest.raises(DataError, match="line 4: event_id 'a' is also on line 2") as e:
        read_event_file(f)
    assert "already recorded" not in str(e.value)
    assert main(["events", "import", "--store", str(tmp_path / "s.db"), str(f)]) == 2
    assert f"{f}, line 4" in capsys.readouterr().err
    f.write_text("user_id,film_id,timestamp,event_id\nu1,f1,1700000005,a\nu1,f1,1700000005,a\n")
    assert read_event_file(f).event_id == ["a", "a"]  # a copy of one event: stored once


@pytest.mark.parametrize("text", ["", "user_id,film_id,timestamp\nu1\n"])
def test_a_refused_file_leaves_no_new_store(tmp_path: Path, text: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``events import`` opened (so created and migrated) the store before reading the file:
    an empty or bad file was refused, exit 2, and a new empty store stayed behind."""
    f = tmp_path / "ev.csv"
    f.write_text(text)
    store = tmp_path / "new" / "s.db"
    assert main(["events", "import", "--store", f"sqlite:///{store}", str(f)]) == 2
    err = capsys.readouterr().err
    assert str(f) in err and not store.exists()
    if not text:  # the header an events file takes (it named a training log's, with rating)
        assert "user_id,film_id,timestamp[,weight][,event_id]" in err and "rating" not in err
