"""``kernels.norms.largest_norm`` is the whole-matrix expression it replaces, to the bit."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.kernels.norms import largest_norm


def _plain(x: np.ndarray) -> float:
    return float(np.max(np.linalg.norm(np.asarray(x, np.float64), axis=1), initial=0.0))


@pytest.mark.parametrize("rows,block", [(0, 4), (1, 4), (7, 3), (9, 3), (1000, 64),
                                        (20_000, 8192)])
def test_largest_norm_is_the_plain_one(rows: int, block: int) -> None:
    rng = np.random.default_rng(rows)
    x = (rng.standard_normal((rows, 17)) * rng.lognormal(0, 3, (rows, 1))).astype(np.float32)
    got = largest_norm(x, block)
    assert isinstance(got, float) and got == _plain(x)
    assert (rows == 0) == (got == 0.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 5, 11])
def test_a_row_not_finite_is_said_as_the_plain_one_says_it(bad: float, row: int) -> None:
    x = np.ones((12, 4), np.float32)
    x[row, 2] = bad
    got, want = largest_norm(x, 5), _plain(x)
    assert (np.isnan(got) and np.isnan(want)) or got == want == np.inf
