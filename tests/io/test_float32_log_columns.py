"""A Parquet log's float32 ratings and weights are read as they are (no float64 copy,
``io/log_table.py``): the log read is the one its float64 copy gives, value for value, a
refusal says what the float64 path says, and the first column refused in the order user,
film, rating, weight, timestamp is the one said. Oracle: the same values written as float64,
which take the checked float64 path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io import readers

TOP = float(np.finfo(np.float32).max)
TINY = float(np.finfo(np.float32).smallest_subnormal)


def _write(path: Path, columns: dict[str, list[object]], floats: pa.DataType) -> Path:
    types = {"user_id": pa.string(), "film_id": pa.string(), "timestamp": pa.int64()}
    pq.write_table(pa.table({k: pa.array(v, types.get(k, floats)) for k, v in columns.items()}),
                   path)
    return path


def _log(n: int) -> dict[str, list[object]]:
    rng = np.random.default_rng(7)
    values = np.r_[rng.normal(3, 2, n - 4).astype(np.float32), [TOP, TINY, -0.0, 0.1]]
    return {"user_id": [f"u{int(i)}" for i in rng.integers(0, 40, n)],
            "film_id": [f"f{int(i)}" for i in rng.integers(0, 25, n)],  # pairs repeat: merged
            "rating": [float(v) for v in values],
            "weight": [abs(float(v)) for v in values[::-1]],
            "timestamp": [int(t) for t in rng.integers(10**9, 10**9 + 10**6, n)]}


def test_float32_columns_read_as_their_float64_copy(tmp_path: Path) -> None:
    cols = _log(600)
    got = readers.load(_write(tmp_path / "f32.parquet", cols, pa.float32()))
    want = readers.load(_write(tmp_path / "f64.parquet", cols, pa.float64()))
    assert got.users.ids.tolist() == want.users.ids.tolist()
    assert got.films.ids.tolist() == want.films.ids.tolist()
    for name in ("user_idx", "film_idx", "weight", "rating", "timestamp"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
    assert len(got) < 600  # the repeated pairs were merged (weights summed)
    assert got.fingerprint() == want.fingerprint()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), None])
@pytest.mark.parametrize("column", ["rating", "weight"])
def test_a_float32_value_refused_says_what_float64_says(tmp_path: Path, column: str,
                                                         bad: float | None) -> None:
    cols = _log(30)
    cols[column][17] = bad
    with pytest.raises(DataError) as f64:
        readers.load(_write(tmp_path / "f64.parquet", cols, pa.float64()))
    with pytest.raises(DataError) as f32:
        readers.load(_write(tmp_path / "f32.parquet", cols, pa.float32()))
    assert "row 18: " in str(f64.value)  # rows count from 1
    assert str(f32.value).replace("f32.parquet", "f64.parquet") == str(f64.value)


@pytest.mark.parametrize("first", ["user_id", "film_id", "rating", "weight", "timestamp"])
def test_the_first_column_in_order_is_the_one_refused(tmp_path: Path, first: str) -> None:
    """Every column from ``first`` on holds a bad value (a later column's at an earlier row):
    the refusal is ``first``'s."""
    order = ["user_id", "film_id", "rating", "weight", "timestamp"]
    bad: dict[str, object] = {"user_id": "", "film_id": " ", "rating": float("nan"),
                              "weight": -2.0, "timestamp": 10**18}
    cols = _log(30)
    for k, name in enumerate(order[order.index(first):]):
        cols[name][25 - 5 * k] = bad[name]
    with pytest.raises(DataError) as e:
        readers.load(_write(tmp_path / "log.parquet", cols, pa.float32()))
    said = str(e.value)
    assert "row 26: " in said, said  # rows count from 1: the first column's bad row
    assert first.split("_")[0] in said, said
    for later in order[order.index(first) + 1:]:
        assert later not in said, said
