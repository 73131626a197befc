"""A Parquet file whose timestamp column holds nulls alone (Arrow type ``null``: what pandas
and pyarrow write for a column of ``None``) is refused as the CSV file of empty timestamps is,
at its first row, in ``train`` and in ``events import``: it was refused as "column timestamp
has type null", naming no row.

Oracle: the CSV file of the same rows, whose refusal the CSV reader words."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reading_helpers import write

from recommender.campaigns.event_file import read_event_file
from recommender.errors import DataError
from recommender.io.readers import load

NOW = int(time.time()) - 3_600


def _refused(read: Callable[[Path], object], path: Path) -> DataError:
    with pytest.raises(DataError) as e:
        read(path)
    return e.value


@pytest.mark.parametrize("read", [load, read_event_file], ids=["train", "events import"])
def test_a_null_typed_timestamp_is_refused_as_a_csv_s_empty_ones(
        tmp_path: Path, read: Callable[[Path], object]) -> None:
    csv = write(tmp_path / "log.csv", "user_id,film_id,timestamp\nu1,f1,\nu2,f2,\n")
    parquet = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", "u2"], "film_id": ["f1", "f2"],
                             "timestamp": pa.nulls(2)}), parquet)
    by_csv, by_parquet = _refused(read, csv), _refused(read, parquet)
    said = by_csv.reason.replace("more bad line: 3", "more bad row: 2")
    assert by_csv.line == 2 and by_csv.reason.startswith("empty timestamp; expected unix "
                                                         "seconds or an ISO 8601 date")
    assert (by_parquet.line, by_parquet.reason) == (None, f"row 1: {said}")
