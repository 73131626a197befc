"""A slate without film bounds, solved cinema by cinema, against independent oracles on many
small random tables: the least deviation of the textbook integer programme (a dense MILP),
the brute force on the smallest, and the whole programme's own allocation (HiGHS)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_slate import absolute_value_milp, brute

import recommender.distribution.slate as slate
from recommender.distribution.slate import _targets, solve


def table(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Demand and screens with the cases the greedy must get right: cinemas without demand,
    films of equal demand (at some cinemas or everywhere), films without any demand, single
    screens, one film, ties between whole cinemas."""
    rng = np.random.default_rng(7_000 + seed)
    n_c, n_f = int(rng.integers(1, 9)), int(rng.integers(1, 6))
    kind = seed % 5
    if kind == 0:  # small whole demands: many ties within and across cinemas
        demand = rng.integers(0, 3, size=(n_c, n_f)).astype(float)
    elif kind == 1:  # every film of equal demand at every cinema
        demand = np.repeat(rng.gamma(1.0, 2.0, size=(n_c, 1)), n_f, axis=1)
    elif kind == 2:  # no demand at all
        demand = np.zeros((n_c, n_f))
    else:
        demand = rng.gamma(0.7, 3.0, size=(n_c, n_f)) * (rng.random((n_c, n_f)) > 0.3)
        if n_f > 1:
            demand[:, -1] = demand[:, 0]  # two films of equal demand
    demand[rng.random(n_c) < 0.3] = 0.0  # cinemas no user names
    screens = rng.integers(1, 2 if seed % 7 == 0 else 6, size=n_c)  # all single screens too
    return demand, screens


@pytest.mark.parametrize("seed", range(60))
def test_cinema_by_cinema_is_the_programmes_least_deviation(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    demand, screens = table(seed)
    n_c, n_f = demand.shape
    lo, hi = np.zeros(n_f, np.int64), np.full(n_f, np.inf)
    calls: list[int] = []
    real = slate.linprog
    monkeypatch.setattr(slate, "linprog", lambda *a, **k: calls.append(1) or real(*a, **k))
    report: dict[str, Any] = {}
    x = solve(demand, screens, lo, hi, report=report)
    assert calls == [] and report["status"] == "optimal" and report["gap"] == 0.0
    assert (x >= 0).all() and (x.sum(axis=1) == screens).all()
    again = solve(demand.copy(), screens.copy(), lo, hi)  # deterministic
    assert again.tolist() == x.tolist()
    target = _targets(demand, screens)
    deviation = float(np.abs(x - target).sum())
    # the tie-break trades at most 1e-7 a screen against the deviation
    assert deviation == pytest.approx(absolute_value_milp(target, screens, lo, hi), abs=1e-5)
    if n_c * n_f <= 8 and screens.max() <= 3:
        assert deviation == pytest.approx(brute(target, screens, lo, hi), abs=1e-5)
    # the whole programme (a cap every allocation meets takes HiGHS's path): the same
    # deviation, and the same screens to every set of films of equal share at each cinema
    loose = hi.copy()
    loose[0] = float(screens.sum())
    y = solve(demand, screens, lo, loose)
    assert calls in ([1], [1, 1])  # the programme (and its tie stage, slate_lex)
    assert float(np.abs(y - target).sum()) == pytest.approx(deviation, abs=1e-5)
    for c in range(n_c):
        for value in np.unique(target[c]):
            same = target[c] == value
            assert sorted(x[c, same].tolist()) == sorted(y[c, same].tolist()), (c, value)


def test_cinemas_of_no_screens_and_no_films_worth_a_screen() -> None:
    """``solve`` called directly: a cinema of 0 screens gets nothing, and a table whose
    targets are all whole is met exactly."""
    demand = np.array([[1.0, 1.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    screens = np.array([4, 0, 2])
    lo, hi = np.zeros(3, np.int64), np.full(3, np.inf)
    x = solve(demand, screens, lo, hi)
    assert x.tolist() == [[1, 1, 2], [0, 0, 0], [2, 0, 0]]
