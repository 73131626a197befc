"""What ``events import`` says of an events file's timestamps as a whole (every one a date
written YYYYMMDD, every one in January 1970) is said of the whole file: the first bad line's
problem was worded on the rows up to it, so a file whose line 2 read ``20200131`` and whose
line 3 held today's time was told every timestamp fell in August 1970.

Oracle: the files are written with known times on chosen lines; which judgement is true of
the whole file (all dates, all in January 1970, or neither) is known by construction."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.campaigns.event_file import read_event_file
from recommender.errors import DataError

NOW = int(time.time()) - 3_600
BEFORE_1990 = "is before 1990-01-01"


def _refused(path: Path) -> DataError:
    with pytest.raises(DataError) as e:
        read_event_file(path)
    return e.value


@pytest.mark.parametrize("film", ["f2", ""])  # line 3 good, or bad too (an empty film_id)
def test_a_date_beside_today_s_time_is_no_column_of_dates(tmp_path: Path, film: str) -> None:
    path = tmp_path / "e.csv"
    path.write_text(f"user_id,film_id,timestamp\nu1,f1,20200131\nu2,{film},{NOW}\n",
                    encoding="utf-8")
    e = _refused(path)
    assert e.line == 2, e
    assert "August 1970" not in e.reason and "every timestamp" not in e.reason, e.reason
    assert e.reason.startswith(f"timestamp 20200131 (1970-08-22T19:08:51Z) {BEFORE_1990}")
    assert e.reason.endswith("; and 1 more bad line: 3" if not film else "unix seconds "
                             "(a 0 is often a time left unset)"), e.reason


def test_a_column_of_dates_is_still_said_to_be_one(tmp_path: Path) -> None:
    """Every timestamp a date written YYYYMMDD, an empty film_id on line 3: that is true of
    the file, and said."""
    path = tmp_path / "e.csv"
    path.write_text("user_id,film_id,timestamp\nu1,f1,20200131\nu2,,20200201\n",
                    encoding="utf-8")
    e = _refused(path)
    assert e.line == 2 and "looks like a date written YYYYMMDD (as unix seconds, every " \
        "timestamp falls in August 1970)" in e.reason, e.reason


def _nanos(path: Path, seconds: list[int], films: list[str]) -> Path:
    """A Parquet file whose timestamps are unix seconds stored as nanoseconds (pandas'
    to_datetime of numbers), as a timestamp[ns] column."""
    pq.write_table(pa.table({
        "user_id": [f"u{i}" for i in range(len(seconds))], "film_id": films,
        "timestamp": pa.array(seconds, pa.timestamp("ns"))}), path)
    return path


def test_one_slipped_unit_beside_today_s_time_is_no_slipped_column(tmp_path: Path) -> None:
    """Row 1 a time of January 1970 (seconds stored as nanoseconds), row 2 today's with an
    empty film_id: not every time falls in January 1970."""
    path = _nanos(tmp_path / "e.parquet", [1_600_000_000, NOW * 10**9], ["f1", ""])
    e = _refused(path)
    assert "January 1970" not in e.reason, e.reason
    assert e.reason.startswith(f"row 1: timestamp 1 (1970-01-01T00:00:01Z) {BEFORE_1990}")
    assert e.reason.endswith("; and 1 more bad row: 2"), e.reason


def test_a_slipped_column_is_still_said_to_be_one(tmp_path: Path) -> None:
    path = _nanos(tmp_path / "e.parquet", [1_600_000_000, 1_600_000_100], ["f1", ""])
    assert "row 1: timestamp 1970-01-01T00:00:01Z: every timestamp falls in January 1970" \
        in _refused(path).reason
