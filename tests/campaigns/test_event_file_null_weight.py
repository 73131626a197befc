"""A Parquet events file whose weight column holds nulls alone (Arrow type ``null``: what
pandas and pyarrow write for a column of ``None``) is refused as the CSV file with every
weight empty is: "no row has one: the weight column is optional, leave it out", at its first
row. It was refused as "column weight has type null; expected numbers", naming no row and
giving no way out.

Oracle: the CSV file of the same events, whose refusal the CSV reader words, and the words
themselves."""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.campaigns.event_file import read_event_file
from recommender.errors import DataError

NOW = int(time.time()) - 3_600
SAID = ("empty weight; expected a number (no row has one: the weight column is optional, "
        "leave it out)")


def _refused(path: Path) -> DataError:
    with pytest.raises(DataError) as e:
        read_event_file(path)
    return e.value


@pytest.mark.parametrize("n", [1, 3])
def test_a_null_typed_weight_is_refused_as_a_csv_s_empty_weights(tmp_path: Path,
                                                                   n: int) -> None:
    users = [f"u{i}" for i in range(n)]
    csv = tmp_path / "e.csv"
    csv.write_text("user_id,film_id,timestamp,weight\n" + "".join(
        f"{u},f1,{NOW},\n" for u in users), encoding="utf-8")
    parquet = tmp_path / "e.parquet"
    pq.write_table(pa.table({"user_id": users, "film_id": ["f1"] * n,
                             "timestamp": [NOW] * n, "weight": pa.nulls(n)}), parquet)
    assert pq.read_schema(parquet).field("weight").type == pa.null()
    by_csv, by_parquet = _refused(csv), _refused(parquet)
    assert by_csv.line == 2 and by_parquet.line is None
    # the same problem, the same further rows, each placed as its reader places rows
    lines, rows = (("; and 2 more bad lines: 3, 4", "; and 2 more bad rows: 2, 3") if n == 3
                   else ("", ""))
    assert (by_csv.reason, by_parquet.reason) == (SAID + lines, f"row 1: {SAID}" + rows)
