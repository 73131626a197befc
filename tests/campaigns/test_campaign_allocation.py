"""The allocation against independent oracles: brute force, and HiGHS's MILP on the unpruned
problem; the pruning theorem, the dual prices as supergradients, the naive plan."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from recommender.campaigns.allocation import allocate, dual_bound, pool_bound
from recommender.campaigns.allocation_picks import enforce_cap, naive_plan


def instance(seed: int, n_films: int, n_users: int, ties: bool = False, blocked: float = 0.2
             ) -> tuple[NDArray[np.float64], NDArray[np.int64], int]:
    rng = np.random.default_rng(seed)
    heavy = rng.gamma(1.0, 1.0, n_users)  # the same users lead every film's ranking
    w = rng.random((n_films, n_users)) * heavy[None, :]
    if ties:
        w = np.round(w * 3) / 3  # a handful of distinct values
    w[rng.random(w.shape) < blocked] = np.nan
    budgets = rng.integers(0, n_users + 3, n_films)  # some larger than the eligible pool
    cap = int(rng.integers(1, n_films + 1))
    return w, budgets, cap


def milp_optimum(w: NDArray[np.float64], budgets: NDArray[np.int64],
                 cap: int | NDArray[np.int64], integral: bool = True) -> float:
    """The optimum of the whole, unpruned problem by HiGHS's MILP (or its LP relaxation)."""
    n_films, n_users = w.shape
    f, u = np.nonzero(~np.isnan(w))
    if len(f) == 0:
        return 0.0
    k = len(f)
    a = sp.vstack([sp.csr_matrix((np.ones(k), (f, np.arange(k))), shape=(n_films, k)),
                   sp.csr_matrix((np.ones(k), (u, np.arange(k))), shape=(n_users, k))])
    ub = np.r_[budgets, np.broadcast_to(cap, n_users)].astype(float)
    res = milp(-w[f, u], constraints=LinearConstraint(a, -np.inf, ub),
               integrality=np.ones(k) if integral else np.zeros(k), bounds=Bounds(0, 1))
    assert res.status == 0
    return float(-res.fun)


def brute_optimum(w: NDArray[np.float64], budgets: NDArray[np.int64], cap: int) -> float:
    """Every subset of the allowed pairs (few pairs only)."""
    f, u = np.nonzero(~np.isnan(w))
    k = len(f)
    masks = ((np.arange(2 ** k)[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    per_film = masks.astype(int) @ (f[:, None] == np.arange(w.shape[0])[None, :])
    per_user = masks.astype(int) @ (u[:, None] == np.arange(w.shape[1])[None, :])
    ok = (per_film <= budgets).all(axis=1) & (per_user <= cap).all(axis=1)
    return float((masks[ok] * w[f, u]).sum(axis=1).max())


def check_feasible(alloc_film: NDArray[np.int64], alloc_user: NDArray[np.int64],
                   w: NDArray[np.float64], budgets: NDArray[np.int64],
                   cap: int | NDArray[np.int64]) -> None:
    assert (np.bincount(alloc_film, minlength=len(budgets)) <= budgets).all()
    if len(alloc_user):
        per_user = np.bincount(alloc_user, minlength=w.shape[1])
        assert (per_user <= np.broadcast_to(cap, w.shape[1])).all()
    assert not np.isnan(w[alloc_film, alloc_user]).any()
    assert len(set(zip(alloc_film.tolist(), alloc_user.tolist(), strict=True))) == len(alloc_film)


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_tiny_instances(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n_films, n_users = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    w, budgets, cap = instance(seed, n_films, n_users, ties=seed % 2 == 0)
    if (~np.isnan(w)).sum() > 12:
        w[np.unravel_index(np.flatnonzero(~np.isnan(w))[12:], w.shape)] = np.nan
    a = allocate(w, budgets, cap)
    check_feasible(a.film, a.user, w, budgets, cap)
    assert a.objective == pytest.approx(brute_optimum(w, budgets, cap), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(16))
def test_matches_the_unpruned_milp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w, budgets, cap = instance(seed, int(rng.integers(2, 7)), int(rng.integers(20, 120)),
                               ties=seed % 3 == 0)
    a = allocate(w, budgets, cap)
    check_feasible(a.film, a.user, w, budgets, cap)
    best = milp_optimum(w, budgets, cap)
    assert a.objective >= best * (1 - 1e-3) - 1e-12  # the 0.1%
    assert a.objective == pytest.approx(best, rel=1e-7, abs=1e-9)  # in fact exact
    # the reported bound is a real upper bound and closes on the LP optimum
    lp = milp_optimum(w, budgets, cap, integral=False)
    assert a.upper_bound >= lp - 1e-7 * max(lp, 1)
    assert a.upper_bound == pytest.approx(lp, rel=1e-6, abs=1e-9)
    assert a.gap < 1e-6


@pytest.mark.parametrize("seed", range(10))
def test_per_user_caps_match_the_unpruned_milp(seed: int) -> None:
    # each user's own cap (0 included: no room left), as a next wave gives: the optimum of
    # the whole problem with those caps, the bound at that optimum, the naive plan under them
    rng = np.random.default_rng(500 + seed)
    w, budgets, cap = instance(seed, int(rng.integers(2, 7)), int(rng.integers(20, 120)),
                               ties=seed % 3 == 0)
    caps = rng.integers(0, cap + 1, w.shape[1])
    a = allocate(w, budgets, caps)
    check_feasible(a.film, a.user, w, budgets, caps)
    assert a.objective == pytest.approx(milp_optimum(w, budgets, caps), rel=1e-7, abs=1e-9)
    assert a.upper_bound == pytest.approx(milp_optimum(w, budgets, caps, integral=False),
                                          rel=1e-6, abs=1e-9)
    nf, nu = naive_plan(w, budgets, caps)
    check_feasible(nf, nu, w, budgets, caps)
    lam = rng.random(len(budgets))
    assert dual_bound(w, budgets, caps, lam) >= a.objective - 1e-9
    # every cap at the same value is the scalar cap
    same = allocate(w, budgets, np.full(w.shape[1], cap))
    assert same.objective == pytest.approx(allocate(w, budgets, cap).objective, rel=1e-12)
    with pytest.raises(ValueError, match="one non-negative cap per user"):
        allocate(w, budgets, caps[:-1])


def test_a_film_without_budget_leaves_the_bound_tight() -> None:
    # a zero budget closes the film: its weights must not enter the dual bound (the bound
    # was loose by that film's best weights, and the reported gap with it)
    w, budgets, cap = instance(3, 4, 60, blocked=0.0)
    budgets = np.array([20, 0, 15, 10])
    a = allocate(w, budgets, cap)
    lp = milp_optimum(w, budgets, cap, integral=False)
    assert a.upper_bound == pytest.approx(lp, rel=1e-6) and a.gap < 1e-6


def test_budgets_larger_than_the_pool_are_planned_in_full() -> None:
    w = np.array([[0.5, 0.4, np.nan, 0.1], [0.3, np.nan, 0.2, 0.05]])
    a = allocate(w, np.array([10, 10]), cap=2)
    assert sorted(zip(a.film.tolist(), a.user.tolist(), strict=True)) == [
        (0, 0), (0, 1), (0, 3), (1, 0), (1, 2), (1, 3)]
    assert a.prices.tolist() == [0.0, 0.0]  # slack budgets are worth nothing more


@pytest.mark.parametrize("seed", range(6))
def test_prices_are_supergradients_of_the_optimum(seed: int) -> None:
    """Film prices bound the change of the optimum when a budget moves by one contact:
    V(b + e_f) - V(b) <= price_f <= V(b) - V(b - e_f) (the LP value is concave in b)."""
    w, budgets, cap = instance(50 + seed, 3, 40, blocked=0.1)
    budgets = np.maximum(budgets // 3, 1)
    a = allocate(w, budgets, cap)
    v = milp_optimum(w, budgets, cap, integral=False)
    for f in range(3):
        up, down = budgets.copy(), budgets.copy()
        up[f] += 1
        down[f] -= 1
        assert milp_optimum(w, up, cap, False) - v <= a.prices[f] + 1e-6
        assert a.prices[f] <= v - milp_optimum(w, down, cap, False) + 1e-6


@pytest.mark.parametrize("seed", range(8))
def test_the_pruning_theorem_keeps_the_optimum(seed: int) -> None:
    """Restricting each film to its top K_f users (pool_bound) loses nothing."""
    w, budgets, cap = instance(200 + seed, 4, 60, ties=seed % 2 == 1)
    budgets = budgets // 4
    k = pool_bound(budgets, cap)
    pruned = np.full_like(w, np.nan)
    for f in range(w.shape[0]):
        ok = np.flatnonzero(~np.isnan(w[f]))
        keep = ok[np.lexsort((ok, -w[f, ok]))][:k[f]]
        pruned[f, keep] = w[f, keep]
    assert milp_optimum(pruned, budgets, cap) == pytest.approx(milp_optimum(w, budgets, cap),
                                                               rel=1e-9)


def test_dual_bound_is_an_upper_bound_at_any_prices() -> None:
    w, budgets, cap = instance(7, 4, 50)
    best = milp_optimum(w, budgets, cap)
    for prices in (np.zeros(4), np.full(4, 0.3), np.random.default_rng(1).random(4)):
        assert dual_bound(w, budgets, cap, prices) >= best - 1e-9


def test_naive_plan_is_feasible_and_no_better() -> None:
    for seed in range(6):
        w, budgets, cap = instance(300 + seed, 4, 50)
        f, u = naive_plan(w, budgets, cap)
        check_feasible(f, u, w, budgets, cap)
        assert w[f, u].sum() <= allocate(w, budgets, cap).objective + 1e-9
        # before the cap, each film's contacts are its top-budget eligible users
        for film in range(4):
            ok = np.flatnonzero(~np.isnan(w[film]))
            top = set(ok[np.lexsort((ok, -w[film, ok]))][:budgets[film]].tolist())
            assert set(u[f == film].tolist()) <= top


def test_enforce_cap_keeps_each_users_best() -> None:
    w = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    f, u = enforce_cap(w, np.array([0, 1, 2, 0, 1, 2]), np.array([0, 0, 0, 1, 1, 1]), 2)
    assert sorted(zip(f.tolist(), u.tolist(), strict=True)) == [(0, 0), (1, 0), (1, 1), (2, 1)]


def test_bonus_breaks_ties_without_changing_the_objective() -> None:
    w = np.full((2, 6), 0.25)
    bonus = 1e-9 * np.tile(np.linspace(1, 0, 6), (2, 1))  # prefer lower user indices
    a = allocate(w, np.array([2, 2]), 1, bonus=bonus)
    assert a.objective == pytest.approx(1.0)
    assert sorted(a.user.tolist()) == [0, 1, 2, 3]


@pytest.mark.parametrize(("n_films", "n_users", "budget", "cap"),
                         [(2, 200, 4, 1), (3, 150, 9, 2), (8, 60, 30, 1), (12, 40, 40, 2)])
def test_both_first_pools_reach_the_optimum(n_films: int, n_users: int, budget: int,
                                            cap: int) -> None:
    """Small budgets start from each film's best users, many films with large budgets from
    each user's best films; either way column generation ends at the MILP's optimum."""
    w, _, _ = instance(400 + n_films, n_films, n_users, ties=True)
    budgets = np.full(n_films, budget)
    a = allocate(w, budgets, cap)
    check_feasible(a.film, a.user, w, budgets, cap)
    assert a.objective == pytest.approx(milp_optimum(w, budgets, cap), rel=1e-7)
    assert a.gap < 1e-6


def _exchanges(a_film: NDArray[np.int64], a_user: NDArray[np.int64], w: NDArray[np.float64],
               bonus: NDArray[np.float64], cap: int) -> list[tuple[int, int, int]]:
    """(film, contacted user, better user) where an uncontacted user of the same weight, a
    higher bonus and room under the cap could take the contact: the tie-break left undone."""
    count = np.bincount(a_user, minlength=w.shape[1])
    found = []
    for f in range(w.shape[0]):
        mine = set(a_user[a_film == f].tolist())
        for u in mine:
            better = [v for v in np.flatnonzero(w[f] == w[f, u]).tolist()
                      if v not in mine and count[v] < cap and bonus[f, v] > bonus[f, u]]
            found += [(f, u, v) for v in better[:1]]
    return found


@pytest.mark.parametrize("seed", range(6))
def test_ties_go_to_the_bonus_whatever_the_solver_returns(seed: int) -> None:
    """A bonus of 1e-7 of the largest worth (the planner's rank tie-break) is below HiGHS's
    tolerance, so equal weights came back in arbitrary order: BPR's flat p curve planned a
    film's ranks 5-20 and left ranks 1-4 out. Every tie now goes to the higher bonus among
    users with room, and the plan stays optimal. Oracles: the unpruned MILP, and a search for
    any exchange left undone."""
    w, budgets, cap = instance(seed, 4, 120, ties=True)
    rank = np.random.default_rng(seed).permuted(np.tile(np.arange(120.0), (4, 1)), axis=1)
    bonus = 1e-7 * float(np.nanmax(w)) * (1 - rank / 120)
    a = allocate(w, budgets, cap, bonus=bonus)
    check_feasible(a.film, a.user, w, budgets, cap)
    assert a.objective == pytest.approx(milp_optimum(w, budgets, cap), rel=1e-9)
    assert _exchanges(a.film, a.user, w, bonus, cap) == []


def test_one_flat_film_takes_its_best_ranks() -> None:
    """Every user of equal worth (a film whose p is flat, or tied throughout): the budget goes
    to the best-ranked users, 0..8 here."""
    n = 5000
    w = np.full((1, n), 0.038)
    bonus = 1e-7 * 0.038 * (1 - np.arange(n) / n)[None, :]
    a = allocate(w, np.array([9]), 1, bonus=bonus)
    assert sorted(a.user.tolist()) == list(range(9))


def test_an_exchange_one_film_frees_reaches_the_film_before_it() -> None:
    """Films were visited once, in order: film 1's exchange freed user A, whom film 0 prefers
    to C at the same weight, but film 0 had been visited. The pass repeats until no exchange
    is left. Users A, B, C = 0, 1, 2; cap 1; the solver's plan stood in for: 0->C, 1->A."""
    from recommender.campaigns.allocation_picks import ties_by_bonus

    w = np.array([[1.0, np.nan, 1.0], [0.5, 0.5, np.nan]])
    bonus = np.array([[2e-9, 0, 1e-9], [1e-9, 2e-9, 0]])
    ranked = np.where(np.isnan(w), np.nan, w + bonus)
    f, u = ties_by_bonus(np.array([0, 1]), np.array([2, 0]), w, ranked, 1)
    assert sorted(zip(f.tolist(), u.tolist(), strict=True)) == [(0, 0), (1, 1)]


def test_highs_runs_off_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python acts on a signal in the main thread only, between bytecodes: a Ctrl-C or SIGTERM
    during a round of HiGHS (11 s each on 40 films x 100,000 users) waited for the round to
    end. The solve runs in a thread the main thread waits on; what it raises is raised here."""
    import threading

    import recommender.campaigns.allocation as allocation

    real = allocation.linprog
    on_main: list[bool] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        on_main.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(allocation, "linprog", spy)
    w = np.array([[0.5, 0.4, 0.3], [0.2, 0.6, 0.1]])
    solved = allocate(w, np.array([1, 1], np.int64), 1)
    assert on_main and not any(on_main)
    assert sorted(zip(solved.film.tolist(), solved.user.tolist(), strict=True)) == [(0, 0), (1, 1)]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise MemoryError("HiGHS")

    monkeypatch.setattr(allocation, "linprog", broken)
    with pytest.raises(MemoryError, match="HiGHS"):
        allocate(w, np.array([1, 1], np.int64), 1)
