"""``calibration_horizon.latest``: the k latest rows by timestamp, the rows tied at the cut
drawn in a seeded random order (also train's calibration hold-out, the prior's recent counts
and the calibration's recent window). Oracles: a plain sort of (timestamp, position) pairs
where no tie straddles the cut, and otherwise the rule itself: every row after the cut's time
in, none before it, and of the tied rows each held out with the same chance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from recommender.io.dataset import Interactions
from recommender.model.calibration_horizon import latest

MONTH = 30 * 86_400


def _by_position(ts: np.ndarray, k: int) -> np.ndarray:
    """The k latest by a plain sort of (timestamp, position) pairs: the rule before ties were
    drawn, and the only answer when no tie straddles the cut."""
    order = sorted(range(len(ts)), key=lambda i: (int(ts[i]), i))
    mask = np.zeros(len(ts), bool)
    if k > 0:
        mask[order[len(ts) - min(k, len(ts)):]] = True
    return mask


def _check_rule(ts: np.ndarray, k: int, mask: np.ndarray) -> None:
    """``mask`` holds ``min(k, n)`` rows: every row later than the k-th latest time (by a
    plain sort), none earlier, the rest from the rows at that time."""
    n = len(ts)
    want = min(max(k, 0), n)
    assert int(mask.sum()) == want, (k, int(mask.sum()))
    if want == 0:
        return
    t_k = sorted(int(t) for t in ts)[n - want]
    assert mask[ts > t_k].all() and not mask[ts < t_k].any()


@pytest.mark.parametrize("seed", range(6))
def test_latest_follows_the_rule_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    ts = rng.integers(0, 5 if seed % 2 else 10**9, n)  # many ties, or few
    for k in (0, 1, n // 3, n - 1, n, n + 5):
        got = latest(ts, k, seed=seed)
        _check_rule(ts, k, got)
        assert np.array_equal(got, latest(ts, k, seed=seed))  # the same seed, the same rows
        if len(np.unique(ts)) == n:  # no ties at all: the sort's answer, whatever the seed
            assert np.array_equal(got, _by_position(ts, k))


def test_latest_with_a_span_too_wide_to_pack() -> None:
    ts = np.array([2**62, 0, 5, 2**62, -(2**61)], np.int64)
    assert np.array_equal(latest(ts, 2, seed=0), _by_position(ts, 2))
    assert np.array_equal(latest(ts, 4, seed=0), _by_position(ts, 4))


def _monthly_log(n_users: int = 800, per_user: int = 12) -> Interactions:
    """Users with films at random times over a year, written in months (times rounded down to
    30-day steps, so thousands tie), listed user by user as loading merges them."""
    rng = np.random.default_rng(3)
    users = np.repeat(np.char.add("u", np.char.zfill(np.arange(n_users).astype(str), 4)),
                      per_user)
    films = np.char.add("f", rng.integers(0, 10**6, n_users * per_user).astype(str))
    ts = 1_500_000_000 + rng.integers(0, 365 * 86_400, n_users * per_user)
    return Interactions.from_columns(pa.array(users), pa.array(films),
                                     timestamp=(ts // MONTH * MONTH).astype(np.int64))


def test_train_holds_out_the_latest_rows_by_the_same_rule() -> None:
    from recommender.model.training import holdout_mask

    data = _monthly_log()
    assert data.timestamp is not None
    for share in (0.0, 0.1, 0.5, 1.0):
        k = int(round(len(data) * share))
        held = holdout_mask(data, share, seed=0)
        _check_rule(np.asarray(data.timestamp), k, held)
        assert np.array_equal(held, holdout_mask(data, share, seed=0)), share
    # the seed draws the tied rows: another seed, other rows, the same count
    a, b = holdout_mask(data, 0.1, seed=0), holdout_mask(data, 0.1, seed=1)
    assert a.sum() == b.sum() and not np.array_equal(a, b)


def test_a_tie_at_the_cut_is_held_out_alike_whatever_the_user_s_place() -> None:
    """Times in months tie thousands of rows at the cut; each must be held out with the same
    chance, need / tied, so each tenth of the users by place in the log (their index) holds out
    its expected share: by position every held tied row came from the last-listed users."""
    from recommender.model.training import holdout_mask

    data = _monthly_log()
    ts = np.asarray(data.timestamp)
    k = int(round(len(data) * 0.1))
    t_k = np.sort(ts)[len(ts) - k]
    tied = np.flatnonzero(ts == t_k)
    need = k - int((ts > t_k).sum())
    assert 0 < need < len(tied) // 2  # a tie straddles the cut, with room to be biased
    tenth = data.user_idx[tied] * 10 // data.n_users
    expected = np.bincount(tenth, minlength=10) * need / len(tied)
    held = np.zeros(10)
    seeds = range(20)
    for seed in seeds:
        mask = holdout_mask(data, 0.1, seed=seed)
        held += np.bincount(tenth, weights=mask[tied], minlength=10)
    held /= len(seeds)
    # a hypergeometric draw's standard deviation per tenth, over the seeds' mean
    p = need / len(tied)
    sd = np.sqrt(np.bincount(tenth, minlength=10) * p * (1 - p) / len(seeds))
    assert np.all(np.abs(held - expected) < 5 * sd + 1e-9), (held, expected)


def test_a_log_without_ties_at_the_cut_holds_out_what_it_did(tmp_path: Path) -> None:
    """The demo log has one row at its cut: the holdout is the sort's, byte for byte."""
    from recommender.io import demo, readers
    from recommender.model.training import holdout_mask

    data = readers.load(demo.generate(tmp_path / "demo"))
    assert data.timestamp is not None
    ts = np.asarray(data.timestamp)
    k = int(round(len(data) * 0.1))
    assert int((ts == np.sort(ts)[len(ts) - k]).sum()) == 1
    for seed in (0, 5):
        assert np.packbits(holdout_mask(data, 0.1, seed)).tobytes() == \
            np.packbits(_by_position(ts, k)).tobytes()


def test_ml100k_holds_out_what_it_did(shared_datasets: Path) -> None:
    from recommender.io import readers
    from recommender.model.training import holdout_mask

    folder = shared_datasets / "ml-100k"
    if not folder.is_dir():
        pytest.skip("ml-100k not in the shared datasets")
    data = readers.load(folder)
    ts = np.asarray(data.timestamp)
    k = int(round(len(data) * 0.1))
    assert int((ts == np.sort(ts)[len(ts) - k]).sum()) == 1
    assert np.array_equal(holdout_mask(data, 0.1, 0), _by_position(ts, k))
