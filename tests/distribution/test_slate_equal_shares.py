"""Cinemas no user names share their screens equally among the films a bound leaves alone,
checked against brute-force enumeration of every least-deviation allocation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from recommender.distribution.slate import _targets, _weights, solve


def least_spread(target: np.ndarray, screens: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 none: np.ndarray, group: np.ndarray) -> tuple[float, int]:
    """The least total |x - target| over every allocation that fills each cinema and keeps
    each film within its bounds, and among those of that deviation the least difference
    between the ``group`` films' totals at the ``none`` cinemas (an oracle apart from
    ``solve``)."""
    n_f = target.shape[1]
    per_cinema = [[a for a in itertools.product(range(s + 1), repeat=n_f) if sum(a) == s]
                  for s in screens.tolist()]
    x = np.array(list(itertools.product(*per_cinema)))  # every allocation: (k, cinemas, films)
    totals = x.sum(axis=1)
    ok = ((totals >= lo) & (totals <= hi)).all(axis=1)
    x = x[ok]
    deviation = np.abs(x - target).sum(axis=(1, 2))
    best = float(deviation.min())
    at_best = x[deviation <= best + 1e-9]
    spread = np.ptp(at_best[:, none][:, :, group].sum(axis=1), axis=1)
    return best, int(spread.min())


@pytest.mark.parametrize("seed", [0, 1, 5, 15, 21, 40, 77, 123])
def test_uncapped_films_share_the_screens_of_cinemas_without_demand_equally(seed: int) -> None:
    """A film held to its max_screens took its turn at the cinemas no user names, so the
    films it leaves alone split their spare screens 2/0 (at scale 5/3) where 1/1 (4/4)
    deviates the same: the README says they are shared equally."""
    rng = np.random.default_rng(seed)
    n_c, n_f = int(rng.integers(2, 5)), 3
    demand = rng.gamma(1.0, 3.0, size=(n_c, n_f))
    none = rng.random(n_c) < 0.6
    none[0] = True
    demand[none] = 0.0  # cinemas no user names
    screens = rng.integers(1, 5, size=n_c)
    lo = np.zeros(n_f, np.int64)
    hi = np.array([float(rng.integers(0, 3)), np.inf, np.inf])
    x = solve(demand, screens, lo, hi)
    w = _weights(demand, screens, lo, hi)
    target = _targets(demand, screens, w)
    held = (w < 1.0) & np.isfinite(hi)  # a capped film gets exactly its cap
    lo_eff = np.where(held, hi, lo).astype(np.int64)
    free = np.flatnonzero(w == 1.0)  # the films no bound holds back
    best, spread = least_spread(target, screens, lo_eff, hi, none, free)
    assert float(np.abs(x - target).sum()) == pytest.approx(best, abs=1e-6)
    assert int(np.ptp(x[none][:, free].sum(axis=0))) == spread <= 1, x.tolist()


def test_equal_shares_at_scale_beside_a_capped_film() -> None:
    # 40 cinemas no user names of 8 screens and 3 films, one capped at 5 in all: the other
    # two share the 315 screens left 158/157, not in proportion to the capped film's turns
    screens = np.full(40, 8)
    x = solve(np.zeros((40, 3)), screens, np.zeros(3, np.int64), np.array([5.0, np.inf, np.inf]))
    assert (x.sum(axis=1) == screens).all()
    assert x[:, 0].sum() == 5
    assert sorted(x[:, 1:].sum(axis=0).tolist()) == [157, 158]
