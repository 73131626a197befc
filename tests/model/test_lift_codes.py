"""``lift_table`` codes small non-negative integers (segment labels) by counting, not by
``np.unique``'s sort (~0.13 s of every summary at 2M users): the same table as the caller's
``np.unique`` coding gives, for every integer type, labels missing from the middle, and
values that are not small integers."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.model.segments import lift_table


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.uint8, np.int32])
def test_counted_codes_give_np_uniques_table(dtype: type) -> None:
    rng = np.random.default_rng(1)
    for n in (1, 5, 1000):
        values = rng.integers(0, 7, n).astype(dtype)
        values[values == 3] = 5  # a label nobody has
        subset = rng.integers(0, n, max(n // 3, 1))
        want = lift_table(values, subset, coded=np.unique(values, return_inverse=True))
        assert lift_table(values, subset) == want


def test_other_values_are_coded_as_before() -> None:
    values = np.array(["b", "a", "b", "c"])
    subset = np.array([0, 2, 3])
    assert lift_table(values, subset) == lift_table(
        values, subset, coded=np.unique(values, return_inverse=True))
    big = np.array([-1, 5, 1 << 30, 5])
    assert [r["value"] for r in lift_table(big, np.array([1, 3]))] == ["5", "-1", str(1 << 30)]
