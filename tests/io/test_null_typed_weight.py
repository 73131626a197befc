"""A Parquet log whose weight column holds nulls alone (Arrow type ``null``: what pandas and
pyarrow write for a column of ``None``) is refused as the CSV log with every weight empty is:
"no row has one: the weight column is optional, leave it out", at its first row. It was
refused as "column weight has type null; expected numbers", naming no row and no way out.

Oracle: the CSV log of the same rows, whose refusal the CSV reader words, and the words."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reading_helpers import write

from recommender.errors import DataError
from recommender.io.readers import load

SAID = ("empty weight; expected a number (no row has one: the weight column is optional, "
        "leave it out)")
USERS = ["u1", "u2", "u3"]


def _refused(path: Path) -> DataError:
    with pytest.raises(DataError) as e:
        load(path)
    return e.value


@pytest.mark.parametrize("layout", ["log.parquet", "parts"])
def test_a_null_typed_weight_is_refused_as_a_csv_s_empty_weights(tmp_path: Path,
                                                                   layout: str) -> None:
    csv = write(tmp_path / "log.csv", "user_id,film_id,weight,timestamp\n" + "".join(
        f"{u},f1,,{100 + i}\n" for i, u in enumerate(USERS)))
    table = pa.table({"user_id": USERS, "film_id": ["f1"] * 3, "weight": pa.nulls(3),
                      "timestamp": [100, 101, 102]})
    if layout == "parts":  # a folder of parts, as Spark writes one
        (tmp_path / layout).mkdir()
        pq.write_table(table.slice(0, 2), tmp_path / layout / "part-00000.parquet")
        pq.write_table(table.slice(2), tmp_path / layout / "part-00001.parquet")
        where = "part-00000.parquet, row 1"
    else:
        pq.write_table(table, tmp_path / layout)
        where = "row 1"
    by_csv = _refused(csv)
    assert (by_csv.line, by_csv.reason) == (2, SAID)
    assert _refused(tmp_path / layout).reason == f"{where}: {SAID}"
