"""The exact contact allocation of a slate: a linear programme solved by column generation.

The problem. ``weights[f, u]`` is the worth of contacting user ``u`` for film ``f`` (value x
probability; NaN where the pair is not allowed: seen, opted out). Choose contacts
``x[f, u] in {0, 1}`` to maximise ``sum weights * x`` subject to ``sum_u x[f, u] <= budget[f]``
and ``sum_f x[f, u] <= cap`` (``cap`` one number for every user, or each user's own: the next
wave of a campaign gives a partly contacted user only what is left). The constraint matrix
is the incidence matrix of a bipartite graph (films x users), hence totally unimodular (with
any integer right-hand side, per-user caps included): the linear relaxation has an integral
optimal vertex, and a simplex solver (HiGHS, through ``scipy.optimize.linprog``) returns one. So the
plan is exactly optimal, not a heuristic, up to HiGHS's tolerances, which are relative to the
largest worth: ``allocation_exact`` then finds and applies, in float64, the improving exchanges
they hid among films of small value, and gives the film prices exactly.

Why a pool, and why pruning it keeps the optimum:

1. *Top-K theorem.* Let ``K_f = budget_f + floor(sum_{g != f} budget_g / cap)`` and let
   ``T_f`` be film f's ``K_f`` best eligible users by weight. Some optimal plan contacts, for
   every film, only users of ``T_f``. Proof: take an optimal plan with a contact (f, u),
   ``u`` outside ``T_f``. A user of ``T_f`` not contacted for f is either at its cap with
   other films (at most ``floor(sum_{g != f} budget_g / cap)`` users can be) or free; f has
   at most ``budget_f - 1`` contacts besides u, so some ``v`` in ``T_f`` is neither
   contacted for f nor capped. Moving the contact from u to v keeps every budget and cap
   and does not lower the objective (``weights[f, v] >= weights[f, u]``). Each move removes
   one contact outside the pools, so finitely many moves give an optimal plan
   inside them. So a film never needs more than ``K_f`` candidates (its first pool below
   is capped at ``K_f``).
2. *Column generation with a certificate.* The pool starts smaller still (each film's best
   ``min(K_f, 2 budget_f + 64)`` users, or each user's ``cap + 1`` best films when that is
   fewer pairs, as with many films and budgets the caps cannot absorb). After solving the
   pool's LP, its film prices ``lambda`` and user prices ``mu`` price every pair outside
   it: a pair with ``weights - lambda_f - mu_u > 0``
   could improve the plan and joins the pool; the loop stops when none can. Then the dual
   solution is feasible for the *whole* problem, and the dual function
   ``D(lambda) = sum_f budget_f lambda_f + sum_u (sum of u's cap largest positive
   weights[f, u] - lambda_f)`` (an upper bound on every plan, by weak duality) equals the
   plan's objective: the pruning lost nothing, and ``upper_bound`` shows it on every run.
   The loop also stops as soon as ``D(lambda)`` is within ``CERTIFIED`` (relative) of the
   pool's optimum, which is the same certificate.

``lambda_f`` is film f's dual price, the shadow price of its row limit: the optimum is concave
in the limit, so any optimal dual lies between what one more unit would add and what the last
unit adds (the loss at one less), and need not be either where they differ (a film whose next
candidate is worth less than its last selected user). The exact gain of one more unit would take an
augmenting path through other films' users at their caps, which the Spark planner, pricing the
same LP, cannot follow without every candidate's weight at the driver.

Ties (equal weights, common when probabilities come from rank bins or flat calibration
curves) are broken by an optional ``bonus`` (tiny, non-negative, e.g. favouring better
ranks). A bonus that small is below the solver's tolerance, so after solving each film's
contacts of equal weight are exchanged for the users the bonus prefers among those with room
under their cap (``allocation_picks.ties_by_bonus``); an exchange of equal weights keeps the
plan optimal. The objective, the naive plan and the bound are reported in ``weights`` alone.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog
from tqdm import tqdm

from recommender.campaigns.allocation_exact import certify
from recommender.campaigns.allocation_picks import (
    Caps,
    fill_by_bonus,
    ties_by_bonus,
    top_eligible,
)
from recommender.errors import RecommenderError
from recommender.kernels.threads import off_main

MAX_ROUNDS = 60
CERTIFIED = 1e-9  # relative duality gap at which the pool's plan is accepted as optimal
USER_BLOCK = 65536  # users per block when evaluating the dual function


@dataclass
class Allocation:
    """An optimal plan: contacts as (slate position, user index) pairs, best weight first
    within each film; its objective, the LP upper bound and the film prices."""

    film: NDArray[np.int64]
    user: NDArray[np.int64]
    objective: float
    upper_bound: float
    prices: NDArray[np.float64]
    rounds: int
    pool: int
    exchanges: int = 0  # improving exchanges applied after the solve (allocation_exact)
    certified: bool = True  # no improving exchange left (False: MAX_EXCHANGES ran out)

    @property
    def gap(self) -> float:
        """Relative optimality gap ``(upper_bound - objective) / upper_bound``; 0 when the two
        differ by less than 1e-12 value units (e.g. both 0: a model without calibration)."""
        if self.upper_bound - self.objective <= 1e-12:
            return 0.0
        return max(0.0, (self.upper_bound - self.objective) / self.upper_bound)


def _min_cap(cap: Caps) -> int:
    """The smallest positive cap (the theorem's divisor: a user capped by other films used at
    least this many of their budgets), 1 when none is positive."""
    c = np.asarray(cap, np.int64)
    c = c[c > 0] if c.ndim else (c if c > 0 else np.zeros(0, np.int64))
    return max(int(c.min()), 1) if c.size else 1


def _max_cap(cap: Caps) -> int:
    return max(int(np.max(cap)), 0) if np.size(cap) else 0


def pool_bound(budgets: NDArray[np.int64], cap: Caps) -> NDArray[np.int64]:
    """``K_f`` of the top-K theorem (module docstring): film f never needs more candidates.
    With per-user caps the divisor is the smallest positive cap (a capped-out user took at
    least that many contacts of other films)."""
    b = np.asarray(budgets, np.int64)
    return b + (int(b.sum()) - b) // _min_cap(cap)


def dual_bound(weights: NDArray[np.float64], budgets: NDArray[np.int64], cap: Caps,
               prices: NDArray[np.float64]) -> float:
    """The LP dual function at film prices ``prices`` (>= 0): an upper bound on the objective
    of every feasible plan (weak duality), whatever the prices."""
    lam = np.maximum(np.asarray(prices, np.float64), 0.0)
    total = float(np.dot(np.asarray(budgets, np.float64), lam))
    # a film with no budget takes no contact whatever its weights: its price can be as high
    # as needed at no cost (budget x price = 0), so its pairs add nothing to the bound
    closed = np.asarray(budgets) <= 0
    n = weights.shape[1]
    top = _max_cap(cap)
    per_user = np.ndim(cap) > 0
    for start in range(0, n, USER_BLOCK):
        r = weights[:, start:start + USER_BLOCK] - lam[:, None]
        r = np.where(np.isnan(r) | closed[:, None], 0.0, np.maximum(r, 0.0))
        if top < r.shape[0]:
            r = -np.partition(-r, top - 1, axis=0)[:top] if top > 0 else r[:0]
        if per_user:  # each user's own cap largest: sorted, then the first cap_u rows
            r = -np.sort(-r, axis=0)
            own = np.asarray(cap, np.int64)[start:start + USER_BLOCK]
            r = np.where(np.arange(r.shape[0])[:, None] < own[None, :], r, 0.0)
        total += float(r.sum())
    return total


def allocate(weights: NDArray[np.float64], budgets: NDArray[np.int64], cap: Caps,
             bonus: NDArray[np.float64] | None = None,
             ranked: NDArray[np.float64] | None = None,
             progress: bool = False) -> Allocation:
    """The optimal plan for ``weights`` (films x users, NaN = not allowed) under ``budgets``
    (contacts per film) and ``cap`` (contacts per user: one number, or one per user);
    see the module docstring.
    ``ranked`` is ``weights + bonus`` when the caller has it already (saves a copy).
    ``progress``: a line on stderr counting the solver's rounds (each may take many seconds
    on a large slate: ``plan`` said nothing for a minute after its scoring bar)."""
    weights = np.asarray(weights, np.float64)
    n_films, n_users = weights.shape
    budgets = np.asarray(budgets, np.int64)
    if np.ndim(cap):
        cap = np.asarray(cap, np.int64)
        if cap.shape != (n_users,) or (cap < 0).any():
            raise ValueError(f"per-user caps need one non-negative cap per user ({n_users}), "
                             f"got shape {cap.shape}")
        zero = cap == 0
        closed = np.isnan(weights[:, zero]).all() and (
            ranked is None or bool(np.isnan(ranked[:, zero]).all()))
        if zero.any() and not closed:  # no room left: not allowed at all (the pruning
            # theorem needs it); a next wave has NaN-ed them already and copies nothing
            if ranked is None:
                ranked = weights if bonus is None else weights + bonus
            ranked = np.array(ranked, np.float64)  # a copy: the caller's array stays as it is
            ranked[:, zero] = np.nan
            weights = weights.copy()
            weights[:, zero] = np.nan
            bonus = None
    solve_w = ranked if ranked is not None else (
        weights if bonus is None else weights + bonus)
    if n_films == 0 or _max_cap(cap) <= 0 or int(budgets.sum()) == 0:
        empty = np.zeros(0, np.int64)
        return Allocation(empty, empty, 0.0, 0.0, np.zeros(n_films), 0, 0)
    # allowed pairs with no worth can never raise the objective, but they fill budgets in
    # rank order when the bonus says so; without a bonus they stay in the problem as well
    in_pool = _initial_pool(solve_w, budgets, cap)
    rounds = 0
    with tqdm(desc="solving", disable=not progress, file=sys.stderr,
              bar_format="{desc} ({n} rounds done, {elapsed}{postfix})") as bar:
        while True:
            rounds += 1
            pf, pu = np.nonzero(in_pool)
            bar.set_postfix_str(f"{len(pf):,} candidate pairs")
            x, lam, mu_pool, users_in = _solve_pool(solve_w[pf, pu], pf, pu, budgets, cap,
                                                    n_films)
            bar.update(1)
            # the certificate first: when the dual bound already meets the pool's optimum, no
            # pair outside the pool can improve the plan (by more than the tolerance)
            value = float(solve_w[pf, pu][x > 0.5].sum())
            gap = dual_bound(solve_w, budgets, cap, lam) - value
            if gap <= CERTIFIED * max(abs(value), 1e-300):
                break
            mu = np.zeros(n_users)
            mu[users_in] = mu_pool
            added = _price_out(solve_w, in_pool, lam, mu, budgets)
            if added == 0 or rounds >= MAX_ROUNDS:
                break
    chosen = x > 0.5
    film, user = pf[chosen], pu[chosen]
    # the solver's tolerance is relative to the largest worth: small films' exchanges below it
    # are found and applied in float64, then the film prices are the exact marginal values
    film, user, lam, exchanges, certified = certify(weights, film, user, budgets, cap)
    if solve_w is not weights:
        film, user = ties_by_bonus(film, user, weights, solve_w, cap)
        film, user = fill_by_bonus(film, user, solve_w, budgets, cap)
    order = np.lexsort((user, -solve_w[film, user], film))
    film, user = film[order], user[order]
    _check_feasible(film, user, budgets, cap, weights)
    objective = float(weights[film, user].sum())
    bound = dual_bound(weights, budgets, cap, lam)
    return Allocation(film, user, objective, max(bound, objective), lam, rounds,
                      int(in_pool.sum()), exchanges, certified)


def _initial_pool(w: NDArray[np.float64], budgets: NDArray[np.int64], cap: Caps
                  ) -> NDArray[np.bool_]:
    """The first pool (films x users mask), the smaller of two guesses: each film's
    ``min(K_f, 2 budget + 64)`` best users (budgets tight against the users' caps), or each
    user's ``cap + 1`` best films (many films, budgets mostly slack). Column generation adds
    what either misses, so the choice changes the speed only."""
    n_films, n_users = w.shape
    limit = np.minimum(pool_bound(budgets, cap), 2 * budgets + 64)
    in_pool = np.zeros(w.shape, bool)
    per_user = min(_max_cap(cap) + 1, n_films)
    if per_user * n_users < int(limit[budgets > 0].sum()):
        filled = np.where(np.isnan(w) | (budgets[:, None] == 0), -np.inf, w)
        for start in range(0, n_users, USER_BLOCK):
            block = filled[:, start:start + USER_BLOCK]
            best = (np.argpartition(-block, per_user - 1, axis=0)[:per_user]
                    if per_user < n_films else np.broadcast_to(
                        np.arange(n_films)[:, None], block.shape))
            cols = np.broadcast_to(np.arange(block.shape[1])[None, :], best.shape)
            ok = np.isfinite(block[best, cols])
            in_pool[best[ok], start + cols[ok]] = True
        return in_pool
    for f in range(n_films):
        if budgets[f] > 0:
            in_pool[f, top_eligible(w[f], int(limit[f]))] = True
    return in_pool


def _solve_pool(w: NDArray[np.float64], pf: NDArray[np.int64], pu: NDArray[np.int64],
                budgets: NDArray[np.int64], cap: Caps, n_films: int
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                           NDArray[np.int64]]:
    """Solve the LP restricted to the pool's pairs with HiGHS's dual simplex (a vertex, hence
    integral). Returns (x, film prices, user prices, the users whose cap row was kept)."""
    k = len(w)
    if k == 0:
        return np.zeros(0), np.zeros(n_films), np.zeros(0), np.zeros(0, np.int64)
    users, inverse, count = np.unique(pu, return_inverse=True, return_counts=True)
    own = np.asarray(cap, np.int64)[users] if np.ndim(cap) else np.full(len(users), cap)
    binding = count > own  # a user in at most ``cap`` pool pairs can never exceed the cap
    row_of_user = np.full(len(users), -1, np.int64)
    row_of_user[binding] = np.arange(int(binding.sum()))
    ur = row_of_user[inverse]
    keep = ur >= 0
    cols = np.arange(k)
    a = sp.csr_matrix(
        (np.ones(k + int(keep.sum())),
         (np.r_[pf, n_films + ur[keep]], np.r_[cols, cols[keep]])),
        shape=(n_films + int(binding.sum()), k))
    b = np.r_[budgets.astype(np.float64), own[binding].astype(np.float64)]
    scale = max(float(np.abs(w).max()) if k else 1.0, 1e-300)
    for method in ("highs-ipm", "highs-ds"):  # interior point with crossover: a vertex
        res = off_main(linprog, -w / scale, A_ub=a, b_ub=b, bounds=(0, 1), method=method)
        if res.status != 0:
            raise RecommenderError(f"the allocation LP failed: {res.message}")
        x = np.asarray(res.x, np.float64)
        if not np.any((x > 1e-6) & (x < 1 - 1e-6)):
            break
    else:
        raise RecommenderError("the allocation LP returned a fractional vertex; "
                               "this should not happen for a bipartite problem")
    duals = -np.asarray(res.ineqlin.marginals, np.float64) * scale
    return x, np.maximum(duals[:n_films], 0.0), np.maximum(duals[n_films:], 0.0), \
        users[binding].astype(np.int64)


def _price_out(w: NDArray[np.float64], in_pool: NDArray[np.bool_], lam: NDArray[np.float64],
               mu: NDArray[np.float64], budgets: NDArray[np.int64]) -> int:
    """Add to the pool the pairs whose reduced profit ``w - lambda_f - mu_u`` is positive
    (each film's ``budget + 64`` most profitable at most, per round); returns how many."""
    # the scale of the films that take contacts, as the pool's LP is scaled (a film of budget
    # 0 is never priced, and its worth made the tolerance exceed the other films' worths)
    open_w = w[np.asarray(budgets) > 0]
    scale = max(float(np.nanmax(np.abs(open_w))) if open_w.size and not np.isnan(open_w).all()
                else 1.0, 1e-300)
    # HiGHS's dual feasibility tolerance on the scaled problem (its default: tighter ones made
    # a 100-film slate's solve 2x slower; allocation_exact applies what they would have found)
    tol = 1e-7 * scale
    added = 0
    for f in range(w.shape[0]):
        if budgets[f] == 0:
            continue
        r = w[f] - lam[f] - mu
        cand = np.flatnonzero((r > tol) & ~in_pool[f])  # NaN compares False: never allowed
        if len(cand) == 0:
            continue
        limit = int(budgets[f]) + 64
        if len(cand) > limit:
            cand = cand[np.argpartition(-r[cand], limit - 1)[:limit]]
        in_pool[f, cand] = True
        added += len(cand)
    return added


def _check_feasible(film: NDArray[np.int64], user: NDArray[np.int64],
                    budgets: NDArray[np.int64], cap: Caps, weights: NDArray[np.float64]) -> None:
    per_film = np.bincount(film, minlength=len(budgets))
    per_user = np.bincount(user) if len(user) else np.zeros(0, np.int64)
    own = np.asarray(cap, np.int64)[:len(per_user)] if np.ndim(cap) else cap
    if (per_film > budgets).any() or (per_user > own).any() or \
            np.isnan(weights[film, user]).any():
        raise RecommenderError("the allocation broke a budget, a cap or an exclusion")
