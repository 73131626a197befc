"""A Parquet log whose id column holds true/false values (a flag column misplaced) is refused
as a column of decimal ids is: it was read as two users, 'true' and 'false', without a word.
Oracle: the column written."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.readers import load


@pytest.mark.parametrize("column", ["user_id", "film_id"])
def test_a_boolean_id_column_is_refused(tmp_path: Path, column: str) -> None:
    ids = {"user_id": pa.array(["u1", "u2", "u3"]), "film_id": pa.array(["f1", "f2", "f1"])}
    ids[column] = pa.array([True, False, True])
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table(ids), path)
    with pytest.raises(DataError, match=f"column {column} holds true/false values; store ids "
                                        r"as strings \(or integers\)"):
        load(path)


def test_integer_ids_are_still_read_as_their_digits(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": pa.array([7, 70], pa.int64()),
                             "film_id": pa.array(["f1", "f2"])}), path)
    assert load(path).users.ids.tolist() == ["7", "70"]
