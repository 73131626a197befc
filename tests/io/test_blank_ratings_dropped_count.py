"""``train --blank-ratings drop``: an empty weight's count of rows without one is the file's
as read, and says how many rows the drop left out: it was counted over the rows kept, so a
log of 4 rows, one with a blank rating, was said to have "1 of the 3 rows" without a weight.

Oracle: the logs are written with blank ratings and empty weights on chosen rows; the counts
are worked out here from those rows, independently of the reader."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.readers import load

#: (rating, weight) of each row: blank ratings ("") and empty weights ("") on chosen rows
CASES = [
    [("4", "1"), ("", "2"), ("3", ""), ("5", "1")],  # one blank rating, one empty weight
    [("4", "1"), ("", ""), ("3", ""), ("", "1"), ("2", "")],  # an empty weight dropped too
    [("", "2"), ("4", ""), ("3", "")],  # every kept row without one: the file has one
]


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    users = [f"u{i}" for i in range(len(rows))]
    if path.suffix == ".csv":
        path.write_text("user_id,film_id,rating,weight,timestamp\n" + "".join(
            f"{u},f1,{r},{w},{100 + i}\n" for i, (u, (r, w)) in enumerate(
                zip(users, rows, strict=True))), encoding="utf-8")
    else:  # float columns with nulls
        pq.write_table(pa.table({
            "user_id": users, "film_id": ["f1"] * len(rows),
            "rating": pa.array([float(r) if r else None for r, _ in rows], pa.float64()),
            "weight": pa.array([float(w) if w else None for _, w in rows], pa.float64()),
            "timestamp": [100 + i for i in range(len(rows))]}), path)
    return path


@pytest.mark.parametrize("rows", CASES)
@pytest.mark.parametrize("name", ["log.csv", "log.parquet"])
def test_empty_weights_are_counted_over_the_file_as_read(tmp_path: Path, name: str,
                                                         rows: list[tuple[str, str]]) -> None:
    path = _write(tmp_path / name, rows)
    dropped = sum(1 for r, _ in rows if not r)
    empty = sum(1 for _, w in rows if not w)
    first = next(i for i, (r, w) in enumerate(rows) if r and not w)  # the first kept one
    with pytest.raises(DataError) as e:
        load(path, blank_ratings="drop")
    them = "it in or leave that row" if empty == 1 else "them in or leave those rows"
    said = (f"empty weight; expected a number ({empty} of the {len(rows)} rows read "
            f"{'has' if empty == 1 else 'have'} none: fill {them} out; the weight column is "
            f"optional; --blank-ratings drop left out {dropped} row{'s' if dropped > 1 else ''}"
            ", with a blank rating)")
    if name.endswith(".csv"):
        assert (e.value.line, e.value.reason) == (first + 2, said)  # the header: line 1
    else:
        assert e.value.reason == f"row {first + 1}: {said}"


def test_a_file_without_weights_is_still_told_to_leave_the_column_out(tmp_path: Path) -> None:
    path = _write(tmp_path / "log.csv", [("4", ""), ("", ""), ("3", "")])
    with pytest.raises(DataError) as e:
        load(path, blank_ratings="drop")
    assert e.value.reason == ("empty weight; expected a number (no row has one: the weight "
                              "column is optional, leave it out; --blank-ratings drop left "
                              "out 1 row, with a blank rating)")
