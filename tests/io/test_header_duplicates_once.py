"""A cinema or slate file's header is checked for a repeated column in one pass: each
column counted against the whole header (``head.count``) was columns squared (a header of
40,000 columns took 18 s to read); the column named is the first of the repeated ones in
sorted order, as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import DataError
from recommender.io.places import duplicate_columns


class _Head(list):  # type: ignore[type-arg]
    """A header that counts the cells its ``count`` reads (into ``read``)."""

    read = [0]

    def count(self, value: object) -> int:
        _Head.read[0] += len(self)
        return super().count(value)


@pytest.mark.parametrize("seed", range(5))
def test_the_repeated_column_named_is_the_first_sorted(seed: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(seed)
    names = [f"c{int(i)}" for i in rng.integers(0, 300, 200)]
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    twice = sorted(n for n, k in seen.items() if k > 1)  # the oracle, by hand
    _Head.read[0] = 0
    head = _Head(names)
    if twice:
        with pytest.raises(DataError, match=f"names the column {twice[0]!r} more than once"):
            duplicate_columns(tmp_path / "cinemas.csv", head)
    else:
        duplicate_columns(tmp_path / "cinemas.csv", head)
    assert _Head.read[0] <= len(names), _Head.read[0]  # per column a pass: 200 x 200


def test_distinct_columns_pass(tmp_path: Path) -> None:
    duplicate_columns(tmp_path / "cinemas.csv", ["cinema_id", "city", "screens"])
