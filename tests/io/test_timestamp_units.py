"""A log of timestamps in microseconds or nanoseconds is told the division back to seconds
its size implies: every such value was told "milliseconds? divide by 1000", which leaves
microseconds a thousand times too late, refused again. Oracle: 2020-09-13 12:26:40 UTC in
each unit."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.readers import load

SECONDS = 1_600_000_000


@pytest.mark.parametrize("scale,hint", [
    (10**3, "(milliseconds? divide by 1,000)"),
    (10**6, "(microseconds? divide by 1,000,000)"),
    (10**9, "(nanoseconds? divide by 1,000,000,000)"),
])
def test_the_hint_names_the_unit_of_the_value(tmp_path: Path, scale: int, hint: str) -> None:
    csv = tmp_path / "log.csv"
    csv.write_text(f"user_id,film_id,timestamp\nu1,f1,{SECONDS}\nu2,f1,{SECONDS * scale}\n")
    with pytest.raises(DataError) as err:
        load(csv)
    assert f"line 3: timestamp {SECONDS * scale} is past the year 5138: expected unix " \
           f"seconds {hint}" in str(err.value)
    # the value divided as the hint says is read back as the time it was
    csv.write_text(f"user_id,film_id,timestamp\nu1,f1,{SECONDS * scale // scale}\n")
    assert load(csv).timestamp.tolist() == [SECONDS]
    floats = tmp_path / "log.parquet"  # a float column, and decimal seconds: the same hint
    pq.write_table(pa.table({"user_id": ["u1"], "film_id": ["f1"],
                             "timestamp": [float(SECONDS * scale)]}), floats)
    with pytest.raises(DataError, match=re.escape(f"seconds {hint}")):
        load(floats)
    pq.write_table(pa.table({"user_id": ["u1"], "film_id": ["f1"], "timestamp": pa.array(
        [str(SECONDS * scale) + ".5"]).cast(pa.decimal128(38, 1))}), floats)
    with pytest.raises(DataError, match=re.escape(f"seconds {hint}")):
        load(floats)
