"""Among the slate programme's tied optima, the one of least secondary cost: a stated rule.

The slate's programme (``slate.solve``, per class of identical cinemas in ``slate_classes``)
can have several optima of the same deviation and tie-break (a capped film's last screens
going to one class of cinemas without demand or another at the same cost): which one the dual
simplex reached depended on its pivots, so on the order the classes were given in (the review
re-solved 139 class programmes in reverse class order: 13 gave other class totals). A second,
lexicographic stage settles them: the optimal face of the first stage's answer, exactly (by
complementary slackness: a piece of non-zero reduced cost keeps its value, a film row of
non-zero dual stays tight, every cinema keeps its screens; any point of it costs the same),
and on it the least secondary cost ``rank[p] x log(q[j])`` a screen of film ``j`` at class
(or cinema) ``p``: ``rank`` counts the classes by the place of their first cinema in the
table from 1, and ``q[j]`` is the ``(films - j)``-th prime, so the first film (by id) has the
largest. A screen costs less at an earlier class, and an earlier film gains more by it: of two
tied films and two tied classes, the earlier film's screen goes to the earlier class. That
optimum is single: two points of the face differ by cycles of screens (up at one class, down
at the next, through films and the slack of a film row that does not bind), and a simple
cycle's secondary cost is ``sum_j c[j] log(q[j])`` with each ``c[j]`` a non-zero whole number
(a difference of two distinct ranks, or one rank), which no cycle makes 0 (``prod q[j]^c[j]``
is not 1 by unique factorisation); in floating point only a cycle whose cost falls under
HiGHS's tolerance (``TIE_TOLERANCE``, relative) could still tie. So the answer no longer depends
on the order the classes are solved in. The face keeps the first stage's optimum exactly: the
costs reach HiGHS scaled by ``slate_classes.COST_SCALE`` (its least dual tolerance, 1e-10,
is then 1e-13 of a screen: at 1e-10 a vertex dearer by 6e-11 in the tie-break alone passed
for optimal), a piece is free only where its scaled reduced cost is within ``TIE_TOLERANCE``
(1e-12 of a screen, where the tie-break's steps are 1e-7 times a share), and the stage is
dropped where it would raise the objective by more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

Solver = Callable[..., Any]  # ``scipy.optimize.linprog``'s signature, off the main thread
TIE_TOLERANCE = 1e-9  # a reduced cost (or a film row's dual), of the scaled costs, read as 0


def primes(n: int) -> NDArray[np.int64]:
    """The first ``n`` primes (a sieve up to Rosser's bound ``n (ln n + ln ln n)``)."""
    if n <= 0:
        return np.zeros(0, np.int64)
    limit = max(15, int(n * (np.log(n) + np.log(np.log(max(n, 3))))) + 10)
    sieve = np.ones(limit + 1, bool)
    sieve[:2] = False
    for p in range(2, int(limit**0.5) + 1):
        if sieve[p]:
            sieve[p * p::p] = False
    return np.flatnonzero(sieve)[:n].astype(np.int64)


def secondary(rank: NDArray[np.int64], n_f: int) -> NDArray[np.float64]:
    """The secondary cost of every piece (``3 x len(rank) x n_f``, as the programme's cost):
    ``rank[p] x log(q[j])``, ``q[j]`` the ``(n_f - j)``-th prime."""
    logq = np.log(primes(n_f)[::-1].astype(np.float64))
    cell = np.asarray(rank, np.float64)[:, None] * logq[None, :]
    return np.tile(cell.ravel(), 3)


def ranks(first: NDArray[np.intp]) -> NDArray[np.int64]:
    """Each class's rank, 1 up, by the place of its first cinema (``first``) in the table."""
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(1, len(first) + 1)
    return rank


def settle(lp: Solver, res: Any, a_eq: sp.csr_matrix, a_ub: sp.csr_matrix,
           cost: NDArray[np.float64], bounds: NDArray[np.float64], s: NDArray[np.float64],
           b_ub: NDArray[np.float64], rank: NDArray[np.int64], n_f: int,
           options: dict[str, float]) -> tuple[NDArray[np.float64], int]:
    """(The pieces of least secondary cost on the optimal face of ``res``, the first stage's
    whole answer to the programme ``cost``, ``bounds``, ``a_eq x = s``, ``a_ub x <= b_ub``;
    the pieces left free there, which the second stage solves over: 0 where it did not run).
    ``res`` as it is where its answer is not whole or the second stage fails."""
    x = np.asarray(res.x, np.float64)
    whole = np.rint(x)
    if np.abs(x - whole).max(initial=0.0) > 1e-6:
        return x, 0
    z = np.asarray(res.ineqlin.marginals, np.float64) if a_ub.shape[0] else np.zeros(0)
    reduced = cost - a_eq.T @ np.asarray(res.eqlin.marginals, np.float64)
    if a_ub.shape[0]:
        reduced = reduced - a_ub.T @ z
    free = (np.abs(reduced) <= TIE_TOLERANCE) & (bounds > 0)
    if not free.any():
        return whole, 0
    fixed = np.where(free, 0.0, whole)
    tight = np.abs(z) > TIE_TOLERANCE  # a film row of non-zero dual binds on the whole face
    sub_ub = a_ub[:, free]
    rest_ub = b_ub - a_ub @ fixed
    a_eq2 = sp.vstack([a_eq[:, free], sub_ub[tight]], format="csr")
    b_eq2 = np.concatenate([s - a_eq @ fixed, rest_ub[tight]])
    loose = ~tight
    second = lp(secondary(rank, n_f)[free], A_eq=a_eq2, b_eq=b_eq2,
                A_ub=sub_ub[loose] if loose.any() else None,
                b_ub=rest_ub[loose] if loose.any() else None, method="highs-ds",
                bounds=np.stack([np.zeros(int(free.sum())), bounds[free]], axis=1),
                options=dict(options))
    if second.x is None or second.status != 0:
        return whole, int(free.sum())
    y = np.rint(np.asarray(second.x, np.float64))
    if np.abs(second.x - y).max(initial=0.0) > 1e-6:
        return whole, int(free.sum())
    out = whole.copy()
    out[free] = y
    before, after = float(cost @ whole), float(cost @ out)
    if after > before + TIE_TOLERANCE * max(1.0, abs(before)):  # off the optimum: not a tie
        return whole, int(free.sum())
    return out, int(free.sum())
