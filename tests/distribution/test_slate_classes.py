"""A slate of many identical cinemas (most no user names) solved once per class of them: the
same screens at every cinema as the whole programme solved as before, and the least
deviation of a brute force on tiny tables (counted, not timed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog
from test_slate import brute

import recommender.distribution.slate as slate
import recommender.distribution.slate_classes as slate_classes
from recommender.distribution.slate import _targets, _weights, solve
from recommender.distribution.slate_file import InfeasibleSlateError

SHARE = slate_classes.CLASS_SHARE  # read before any test sets it


def table(seed: int) -> tuple[Any, ...]:
    """Demand with most cinemas' rows zero (no user names them) and few screens a cinema, so
    that many cinemas are alike; a capped film, a film with a minimum, or both with a third
    film's minimum; some cinemas of one pooled demand row, some films of equal demand."""
    rng = np.random.default_rng(seed)
    n_c, n_f = int(rng.integers(4, 200)), int(rng.integers(2, 8))
    demand = rng.gamma(0.8, 3.0, size=(n_c, n_f)) * (rng.random((n_c, n_f)) > 0.2)
    demand[rng.random(n_c) < rng.uniform(0.5, 0.99)] = 0.0
    if seed % 3 == 0:  # cinemas sharing their pool's demand
        demand[rng.random(n_c) < 0.2] = demand[0]
    if seed % 5 == 0 and n_f > 2:
        demand[:, -1] = demand[:, 0]
    screens = rng.integers(1, int(rng.integers(2, 6)), size=n_c)
    total = int(screens.sum())
    lo, hi = np.zeros(n_f, np.int64), np.full(n_f, np.inf)
    if seed % 4 in (0, 1):
        hi[0] = float(rng.integers(0, max(1, total // n_f)))
    if seed % 4 in (0, 2):
        lo[1] = int(rng.integers(1, max(2, total // 2)))
    if seed % 4 == 3:
        lo[0], hi[1] = total // n_f, float(total // (2 * n_f))
        lo[-1] = int(rng.integers(0, total // n_f + 1))
    return demand, screens, lo, hi


def solved(demand: Any, screens: Any, lo: Any, hi: Any, monkeypatch: pytest.MonkeyPatch,
           share: float) -> tuple[Any, list[int]]:
    """``solve``'s allocation (or its error's words) and the variables of each programme
    HiGHS was given, classes at most ``share`` of the cinemas (0: the whole programme)."""
    sizes: list[int] = []
    monkeypatch.setattr(slate, "linprog", lambda c, **k: sizes.append(len(c)) or linprog(c, **k))
    monkeypatch.setattr(slate_classes, "CLASS_SHARE", share)
    try:
        return solve(demand, screens, lo, hi), sizes
    except InfeasibleSlateError as e:
        return str(e), sizes


# 80, 156, 280: the class programme's optimum is whole but the whole programme's is not the
# only one (a cycle of free pieces): expanding it anyway gave other screens
@pytest.mark.parametrize("seeds", [range(0, 100), range(100, 200), range(200, 300),
                                   [80, 156, 280]])
def test_classes_give_the_whole_programmes_screens(
        seeds: range, monkeypatch: pytest.MonkeyPatch) -> None:
    by_classes = 0
    for seed in seeds:
        demand, screens, lo, hi = table(seed)
        n_c, n_f = demand.shape
        x, sizes = solved(demand, screens, lo, hi, monkeypatch, SHARE)
        whole, whole_sizes = solved(demand, screens, lo, hi, monkeypatch, 0.0)
        assert whole_sizes in ([], [3 * n_c * n_f])  # the oracle: one whole programme
        if isinstance(whole, str):
            assert x == whole, seed
            continue
        assert isinstance(x, np.ndarray) and x.tolist() == whole.tolist(), seed
        if sizes and sizes[0] < 3 * n_c * n_f:  # the classes' programme was solved
            assert sizes[1:] in ([], [3 * n_c * n_f]), seed  # alone, or the whole one after
            by_classes += len(sizes) == 1
    if len(seeds) > 3:
        assert by_classes >= 10  # the classes alone answered (the old code had no such path)


@pytest.mark.parametrize("case", range(6))
def test_cinemas_without_demand_count_towards_the_films_bounds(
        case: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny tables where a film's minimum (or a cap pushing the others' screens there) can
    be met only at the cinemas no user names: the least deviation of every allocation (brute
    force), and the whole programme's screens. Dropping those cinemas from a film's row, or
    a class's screens not times its size, misses either."""
    rng = np.random.default_rng(40 + case)
    n_f = 3 if case == 1 else 2
    demand = np.zeros((10, n_f))
    demand[:2, 0] = rng.gamma(1.0, 3.0, size=2)  # two cinemas want film 0 alone
    screens = np.array([2, 1] + ([1] * 8 if case < 3 else [2, 2, 1, 1, 2, 2, 1, 1]))
    lo, hi = np.zeros(n_f, np.int64), np.full(n_f, np.inf)
    lo[1] = 2 + case % 3  # only the cinemas without demand want film 1
    if case >= 4:
        hi[0] = 1.0
    x, sizes = solved(demand, screens, lo, hi, monkeypatch, SHARE)
    whole, _ = solved(demand, screens, lo, hi, monkeypatch, 0.0)
    assert sizes[0] < 3 * demand.size  # eight cinemas without demand: a few classes
    assert x.tolist() == whole.tolist()
    w = _weights(demand, screens, lo, hi)
    target = _targets(demand, screens, w, lo, hi)
    held = (w < 1.0) & np.isfinite(hi)
    lo_eff = np.where(held, np.maximum(lo, hi), lo).astype(np.int64)
    assert (x.sum(axis=0) >= lo).all() and (x.sum(axis=0) <= hi).all()
    assert float(np.abs(x - target).sum()) == pytest.approx(
        brute(target, screens, lo_eff, hi), abs=1e-5)
