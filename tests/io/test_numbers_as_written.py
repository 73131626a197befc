"""A rating or weight refused as past what a 32-bit float holds is said as written, with its
line and why: out of range (``1e400``, which float64 reads as infinity, was "rating inf") or
not finite as written (``inf``, ``NaN``). Oracle: the values planted and their lines."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers

RANGE = "is out of range: past 3.4e+38, the largest 32-bit float"


@pytest.mark.parametrize(("column", "written", "why"), [
    ("rating", "1e400", RANGE),
    ("weight", "-1e400", RANGE),
    ("rating", "1e39", RANGE),
    ("weight", "1E+309", RANGE),
    ("rating", "inf", "is not finite"),
    ("rating", "-Infinity", "is not finite"),
    ("weight", "NaN", "is not finite"),
])
def test_a_refused_number_is_said_as_written(tmp_path: Path, column: str, written: str,
                                             why: str) -> None:
    path = tmp_path / "log.csv"
    path.write_text(f"user_id,film_id,{column}\nu1,f1,2\nu2,f1,3\nu3,f2,{written}\nu4,f2,1\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(f"line 4: {column} {written!r} {why}")):
        readers.load(path)


@pytest.mark.parametrize(("value", "said"), [
    (float("inf"), "rating inf is not finite"),
    (float("nan"), "rating nan is not finite"),
    (1e300, f"rating 1e+300 {RANGE}"),
])
def test_a_refused_stored_number_is_said_with_its_row(tmp_path: Path, value: float,
                                                      said: str) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", "u2"], "film_id": ["f1", "f2"],
                             "rating": [4.0, value]}), path)
    with pytest.raises(DataError, match=re.escape(f"row 2: {said}")):
        readers.load(path)
