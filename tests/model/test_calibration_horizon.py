"""``calibration_horizon.latest``: the k latest rows by (timestamp, position), later wins ties
(also train's calibration hold-out)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from recommender.model.calibration_horizon import latest


def _oracle(ts: np.ndarray, k: int) -> np.ndarray:
    """The k latest by a plain sort of (timestamp, position) pairs."""
    order = sorted(range(len(ts)), key=lambda i: (int(ts[i]), i))
    mask = np.zeros(len(ts), bool)
    if k > 0:
        mask[order[len(ts) - min(k, len(ts)):]] = True
    return mask


@pytest.mark.parametrize("seed", range(6))
def test_latest_equals_a_sort_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    ts = rng.integers(0, 5 if seed % 2 else 10**9, n)  # many ties, or few
    for k in (0, 1, n // 3, n - 1, n, n + 5):
        assert np.array_equal(latest(ts, k), _oracle(ts, k)), (n, k)


def test_latest_with_a_span_too_wide_to_pack() -> None:
    ts = np.array([2**62, 0, 5, 2**62, -(2**61)], np.int64)
    assert np.array_equal(latest(ts, 2), _oracle(ts, 2))
    assert np.array_equal(latest(ts, 4), _oracle(ts, 4))


def test_train_holds_out_the_latest_rows_by_the_same_rule() -> None:
    from recommender.io.dataset import Interactions
    from recommender.model.training import holdout_mask

    rng = np.random.default_rng(7)
    n = 300
    users = np.char.add("u", rng.integers(0, 40, n).astype(str))
    films = np.char.add("f", np.arange(n).astype(str))  # one row per (user, film)
    ts = rng.integers(0, 6, n)  # many ties
    data = Interactions.from_columns(pa.array(users), pa.array(films), timestamp=ts)
    for share in (0.0, 0.1, 0.5, 1.0):
        k = int(round(len(data) * share))
        assert np.array_equal(holdout_mask(data, share, seed=0),
                              _oracle(np.asarray(data.timestamp), k)), share
