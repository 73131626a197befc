"""A Parquet log whose weight column holds nulls alone (Arrow type ``null``: what pandas and
pyarrow write for a column of ``None``) is refused as the CSV log with every weight empty is:
"no row has one: the weight column is optional, leave it out", at its first row. It was
refused as "column weight has type null; expected numbers", naming no row and no way out.

A rating column of nulls alone, kept as views, is a log without ratings, as a CSV's.

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


def test_a_null_typed_rating_kept_as_views_is_a_log_without_ratings(tmp_path: Path) -> None:
    """``--blank-ratings implicit`` of a Parquet log whose rating column holds nulls alone
    (type ``null``) reads the log without ratings, as it reads the CSV log of blank ratings: it
    ended in an ArrowInvalid traceback ("Invalid null value")."""
    csv = write(tmp_path / "log.csv", "user_id,film_id,rating,timestamp\n" + "".join(
        f"{u},f1,,{100 + i}\n" for i, u in enumerate(USERS)))
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": USERS, "film_id": ["f1"] * 3, "rating": pa.nulls(3),
                             "timestamp": [100, 101, 102]}), path)
    got = load(path, blank_ratings="implicit")
    plain = write(tmp_path / "plain.csv", "user_id,film_id,timestamp\n" + "".join(
        f"{u},f1,{100 + i}\n" for i, u in enumerate(USERS)))
    assert got.rating is None and got.unrated == 3
    assert got.fingerprint() == load(plain).fingerprint() == load(
        csv, blank_ratings="implicit").fingerprint()
