"""The slate's programme solved once per class of identical cinemas, dealt by a stated rule.

Cinemas of the same screens and the same costs and bounds for every film (cinemas no user
names, most of all: their targets follow their screens alone, and their turns repeat every
few cinemas) are one class: the programme over the classes (a class's screens and piece
bounds times its size) has a whole optimum ``X[class, film]`` (a vertex of a totally
unimodular programme of whole bounds). The tie rule: each class's screens are dealt to its
members (in their order in the cinema table) one at a time, the films in the order ``solve``
is given them (their ids' order, ``slate.plan_slate``) and each film's ``X`` screens in
turn from the member after the one where the previous film's stopped (unit ``u`` of the
class's films' screens, one after the other, goes to member ``u mod size``): each member gets
``floor`` or ``ceil`` of ``X / size`` of every film, the earlier members the extra screens
first, and exactly its own screens in all (``size x screens`` units in turn). That is an
optimum of the whole programme: each cell's cost is convex, piecewise linear with whole
breakpoints (``floor(t)``, ``ceil(t)``, the screens), so ``floor`` and ``ceil`` of ``X / size``
lie on one linear piece and the members' costs add up to ``size x f(X / size)``, the class
programme's cost of the cell; the class programme's least cost is no more than the whole
programme's (a whole allocation summed over each class is a class allocation of the same
cost); every film row sees the class programme's totals, every cinema its screens. Where the whole
programme has several optima (a capped film's last screens among identical cinemas: three
in four of random mostly-no-demand tables) this rule picks one; before this version the
whole programme's dual simplex did, by its own pivots (a scipy/HiGHS upgrade could change
it). The rule settles ties within a class; ties between classes (a capped film's last
screens going to one class of no-demand cinemas or another at the same cost: the review
re-solved 139 class programmes in reverse class order, 13 gave other class totals), and the
whole programme's ties where it is solved whole, are settled by a second stage on the first
stage's optimal face (``classes``, ``slate_lex``: the least secondary cost, the earlier
classes in the table first), the same answer in any order of the classes;
``slate._even_out`` then re-deals the cinemas without demand among films of equal
weight, as before. Where more than ``CLASS_SHARE`` of the cinemas are distinct, or the class
programme has no whole optimum (HiGHS did not answer a vertex: never seen) or none at all,
the whole programme is solved as before. Where 95% of the cinemas have no demand, 2,000
cinemas x 20 films are about 500 classes (0.38-0.56 s against 3.4-4.5 s for the whole
programme) and 5,000 x 20 about 660 (``benchmarks/bench_slate.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.distribution.slate_lex import ranks, settle

Solver = Callable[..., Any]  # ``scipy.optimize.linprog``'s signature, off the main thread
CLASS_SHARE = 0.5  # classes at most this share of the cinemas: else the whole programme
OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}
COST_SCALE = 1e3  # the costs as HiGHS is given them: its dual tolerance 1e-13 of a screen's


def allocate(lp: Solver, cost: NDArray[np.float64], bounds: NDArray[np.float64],
             s: NDArray[np.float64], n_f: int, floored: NDArray[np.bool_],
             capped: NDArray[np.bool_], lo: NDArray[np.int64], hi: NDArray[np.float64]
             ) -> tuple[NDArray[np.float64] | None, Any, dict[str, int]]:
    """(The whole programme's pieces, ``3 x cinemas x films`` flattened as ``cost`` is, or
    None where it has no solution, the first stage's result, and the size of what was solved:
    ``size``) of the slate's programme: pieces of ``cost`` within ``[0, bounds]``, each
    cinema's ``s`` screens, film rows for the ``floored`` films' minimums ``lo`` and the
    ``capped`` films' maximums ``hi``; from the class programme dealt by ``deal`` where there
    are few enough classes; ties among optima settled by ``slate_lex`` (classes ranked by
    their first cinema in the table; on the whole programme, each cinema by its place)."""
    n_c = len(s)
    c3 = cost.reshape(3, n_c, n_f).transpose(1, 0, 2).reshape(n_c, 3 * n_f)
    b3 = bounds.reshape(3, n_c, n_f).transpose(1, 0, 2).reshape(n_c, 3 * n_f)
    key = np.ascontiguousarray(np.hstack([c3, b3, s[:, None]]))  # a cinema's row, as bytes
    rows = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, first, inverse, size = np.unique(rows, return_index=True, return_inverse=True,
                                        return_counts=True)
    if 0 < len(size) <= CLASS_SHARE * n_c:
        m = len(size)
        k = size.astype(np.float64)
        cc = c3[first].reshape(m, 3, n_f).transpose(1, 0, 2).ravel()
        bb = (b3[first] * k[:, None]).reshape(m, 3, n_f).transpose(1, 0, 2).ravel()
        x, res, solved = classes(lp, cc, bb, s[first] * k, n_f, floored, capped, lo, hi,
                                 ranks(first))
        if x is not None and res.status == 0:  # else the whole programme, as before
            total = x.reshape(3, m, n_f).sum(axis=0)
            if np.abs(total - np.rint(total)).max(initial=0.0) <= 1e-6:
                dealt = deal(np.rint(total).astype(np.int64), inverse.ravel(), size)
                return pieces_of(dealt, bounds), res, solved
    return classes(lp, cost, bounds, s, n_f, floored, capped, lo, hi,
                   np.arange(1, n_c + 1, dtype=np.int64))


def classes(lp: Solver, cost: NDArray[np.float64], bounds: NDArray[np.float64],
            s: NDArray[np.float64], n_f: int, floored: NDArray[np.bool_],
            capped: NDArray[np.bool_], lo: NDArray[np.int64], hi: NDArray[np.float64],
            rank: NDArray[np.int64]) -> tuple[NDArray[np.float64] | None, Any, dict[str, int]]:
    """(The pieces, None where the programme has no solution (an answer of another status
    than optimal as HiGHS gave it); the first stage's result; its
    size) of the programme over ``len(s)`` classes (or cinemas) of ``rank`` (1 up, by their
    first cinema in the table): the first stage (``programme``), then ``slate_lex.settle``'s
    least secondary cost among its optima. The same answer in any order of the classes."""
    # the costs scaled up: HiGHS's least dual tolerance (1e-10, absolute) let a vertex dearer
    # by 6e-11 in the tie-break alone pass for optimal (seed 115 of the class tests)
    scaled = cost * COST_SCALE
    res, a_eq, a_ub = programme(lp, scaled, bounds, s, n_f, floored, capped, lo, hi)
    size = {"classes": len(s), "solved_variables": len(cost),
            "solved_constraints": a_eq.shape[0] + a_ub.shape[0],
            "solved_nonzeros": int(a_eq.nnz + a_ub.nnz), "tie_variables": 0}
    if res.x is None:
        return None, res, size
    if res.status != 0:  # an answer HiGHS does not call optimal: ``solve`` says its status
        return np.asarray(res.x, np.float64), res, size
    b_ub = np.concatenate([-lo[floored].astype(np.float64), hi[capped]])
    x, size["tie_variables"] = settle(lp, res, a_eq, a_ub, scaled, bounds, s, b_ub, rank,
                                      n_f, OPTIONS)
    return x, res, size


def deal(total: NDArray[np.int64], inverse: NDArray[np.intp], size: NDArray[np.intp]
         ) -> NDArray[np.int64]:
    """Each cinema's screens per film (cinemas x films) of its class's ``total`` (classes x
    films), by the tie rule (module docstring): member ``r`` of a class of ``k`` gets the
    units ``u`` with ``u mod k == r`` of each film's run ``[begin, end)`` of the class's
    units, ``ceil((end - r) / k) - ceil((begin - r) / k)`` of them."""
    order = np.argsort(inverse, kind="stable")  # each class's members in table order
    rank = np.empty(len(inverse), np.int64)
    rank[order] = np.arange(len(inverse)) - np.repeat(np.cumsum(size) - size, size)
    end = np.cumsum(total, axis=1)[inverse]
    k = np.asarray(size, np.int64)[inverse][:, None]
    r = rank[:, None]
    return -((r - end) // k) + ((r - end + total[inverse]) // k)


def pieces_of(x: NDArray[np.int64], bounds: NDArray[np.float64]) -> NDArray[np.float64]:
    """The pieces (as ``bounds``) of ``x`` screens a cell, filled in order: the cheapest
    first (each cell's pieces' costs rise: -1, 1 - 2 frac(t), +1, plus one tie-break)."""
    b = bounds.reshape(3, *x.shape)
    p0 = np.minimum(x, b[0])
    p1 = np.minimum(x - p0, b[1])
    return np.stack([p0, p1, x - p0 - p1]).astype(np.float64).ravel()


def programme(lp: Solver, cost: NDArray[np.float64], bounds: NDArray[np.float64],
              s: NDArray[np.float64], n_f: int, floored: NDArray[np.bool_],
              capped: NDArray[np.bool_], lo: NDArray[np.int64], hi: NDArray[np.float64]
              ) -> tuple[Any, sp.csr_matrix, sp.csr_matrix]:
    """(``lp``'s result, the cinema rows, the film rows) of the programme over ``len(s)``
    cinemas: HiGHS's dual simplex, a vertex (whole), tolerances under the tie-break's."""
    n_c = len(s)
    n = n_c * n_f
    pieces = sp.hstack([sp.identity(n, format="csr")] * 3, format="csr")
    per_cinema = sp.kron(sp.identity(n_c), np.ones((1, n_f)), format="csr") @ pieces
    per_film = sp.kron(np.ones((1, n_c)), sp.identity(n_f), format="csr") @ pieces
    a_ub = sp.vstack([-per_film[floored], per_film[capped]], format="csr")
    res = lp(cost, A_eq=per_cinema, b_eq=s, method="highs-ds", A_ub=a_ub,
             b_ub=np.concatenate([-lo[floored].astype(np.float64), hi[capped]]),
             bounds=np.stack([np.zeros(3 * n), bounds], axis=1), options=dict(OPTIONS))
    return res, per_cinema, a_ub

