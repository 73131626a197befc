"""Slates whose film values span 1e3 to 1e5: the plan is the exact optimum (HiGHS's MILP on the
whole problem as the oracle), not one within the LP's tolerance, and each film
price lies between the gain of one more selected user and the loss of its last one."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from recommender.campaigns.allocation import allocate


def slate(seed: int, span: float) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                           NDArray[np.int64]]:
    """Four films over 300 users, values 1 to ``span``; each user's p alike across films (the
    same users lead every film) so that films compete for them; the plan's rank bonus too."""
    rng = np.random.default_rng(seed)
    heavy = rng.gamma(1.0, 1.0, 300) * 0.01
    p = np.clip(heavy[None, :] * (0.5 + rng.random((4, 300))), 0.0, 1.0)
    values = np.array([1.0, span, 3.0, 0.7])
    w = p * values[:, None]
    w[rng.random(w.shape) < 0.1] = np.nan
    rank = np.argsort(np.argsort(-np.nan_to_num(w, nan=-1.0), axis=1), axis=1) / 300
    ranked = w + 1e-7 * float(np.nanmax(w)) * (1.0 - rank)  # plan.py's tie-break
    return w, ranked, np.array([90, 120, 70, 80])


def optimum(w: NDArray[np.float64], budgets: NDArray[np.int64]) -> float:
    """The MILP's optimum at cap 1 on the whole problem (no pool, no LP duals), at HiGHS's
    tightest tolerances, its plan's worths summed in float64."""
    n_films, n_users = w.shape
    f, u = np.nonzero(~np.isnan(w))
    k = len(f)
    a = sp.vstack([sp.csr_matrix((np.ones(k), (f, np.arange(k))), shape=(n_films, k)),
                   sp.csr_matrix((np.ones(k), (u, np.arange(k))), shape=(n_users, k))])
    ub = np.r_[budgets, np.ones(n_users)].astype(float)
    res = milp(-w[f, u], constraints=LinearConstraint(a, -np.inf, ub), integrality=np.ones(k),
               bounds=Bounds(0, 1), options={"mip_rel_gap": 1e-12})
    assert res.status == 0
    return float(w[f, u][np.round(res.x) > 0].sum())


@pytest.mark.parametrize("span", [1e3, 1e4, 1e5])
@pytest.mark.parametrize("seed", range(2))
def test_a_wide_value_span_is_planned_exactly(seed: int, span: float) -> None:
    w, ranked, budgets = slate(seed, span)
    a = allocate(w, budgets, 1, ranked=ranked)
    assert a.certified
    assert a.objective == pytest.approx(optimum(w, budgets), rel=1e-9, abs=0)


@pytest.mark.parametrize("span", [1e3, 1e5])
def test_prices_lie_between_the_next_and_the_last_users_worth(span: float) -> None:
    """README's bracket, which the LP's duals missed by its tolerance (a film priced 0.000858621
    where one more user adds 0.00085918 and its last one 0.00085922)."""
    w, ranked, budgets = slate(7, span)
    a = allocate(w, budgets, 1, ranked=ranked)
    base = optimum(w, budgets)
    for f in range(len(budgets)):
        more, less = budgets.copy(), budgets.copy()
        more[f] += 1
        less[f] -= 1
        gain, loss = optimum(w, more) - base, base - optimum(w, less)
        assert gain - 1e-12 * base <= a.prices[f] <= loss + 1e-12 * base
