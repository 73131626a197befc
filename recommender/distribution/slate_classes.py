"""The slate's linear programme solved once per class of identical cinemas, where that is exact.

Cinemas of the same screens and the same costs and bounds for every film (cinemas no user
names, most of all: their targets follow their screens alone, and their turns repeat every
few cinemas) are one class: the programme over the classes (a class's screens and piece
bounds times its size) has a whole optimum ``X``, and ``X / size`` at each member is an
optimum of the whole programme (the same cost, every row met). It is the one the whole
programme's dual simplex reaches only where the whole programme has a single optimum: its
optimal face is the set of allocations that keep every piece of non-zero reduced cost at
its bound and every film row of non-zero dual tight (complementary slackness with the
class programme's duals, which are the whole programme's too), and that face is one point
exactly where no direction within it moves, i.e. where the directed graph of the free
pieces (a unit up: cinema to film; down: film to cinema; films of zero dual one node) has
no cycle, at every member of every class. Where it has one (the whole programme ties,
e.g. a capped film's last screens among identical cinemas, which the simplex deals by its
own pivots), or ``X / size`` is not whole, the whole programme is solved as before, after
the class programme: the answer never depends on which. Where 95% of the cinemas have no
demand, 2,000 cinemas x 20 films are about 500 classes and 5,000 x 20 about 660: one such
slate took 0.45 s against 15.7 s, but with a capped film most tie (three in four on random
tables), and take the class programme's time more (``benchmarks/bench_slate.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

Solver = Callable[..., Any]  # ``scipy.optimize.linprog``'s signature, off the main thread
CLASS_SHARE = 0.5  # classes at most this share of the cinemas: else the whole programme
REDUCED_COST_TOLERANCE = 1e-9  # a piece of |reduced cost| <= this is free (a tie)
OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def allocate(lp: Solver, cost: NDArray[np.float64], bounds: NDArray[np.float64],
             s: NDArray[np.float64], n_f: int, floored: NDArray[np.bool_],
             capped: NDArray[np.bool_], lo: NDArray[np.int64], hi: NDArray[np.float64]
             ) -> tuple[NDArray[np.float64] | None, Any]:
    """(The whole programme's pieces, ``3 x cinemas x films`` flattened as ``cost`` is, or
    None where it has no solution, and the solver's result) of the slate's programme:
    pieces of ``cost`` within ``[0, bounds]``, each cinema's ``s`` screens, film rows for the
    ``floored`` films' minimums ``lo`` and the ``capped`` films' maximums ``hi``."""
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
        res, a_eq, a_ub = programme(lp, cc, bb, s[first] * k, n_f, floored, capped, lo, hi)
        if res.x is not None and res.status == 0:
            pieces = res.x.reshape(3, m, n_f) / k[None, :, None]
            whole = np.abs(pieces - np.rint(pieces)).max(initial=0.0) <= 1e-6
            if whole and _single(res, cc, bb, a_eq, a_ub, inverse.ravel(), m, n_f,
                                 floored, capped):
                return np.rint(pieces)[:, inverse.ravel(), :].ravel(), res
    res, _, _ = programme(lp, cost, bounds, s, n_f, floored, capped, lo, hi)
    return res.x, res


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


def _single(res: Any, cost: NDArray[np.float64], bounds: NDArray[np.float64],
            a_eq: sp.csr_matrix, a_ub: sp.csr_matrix, inverse: NDArray[np.intp], m: int,
            n_f: int, floored: NDArray[np.bool_], capped: NDArray[np.bool_]) -> bool:
    """Whether the class programme's optimum, each class's pieces over its members, is the
    whole programme's only optimum: no cycle of free pieces (module docstring)."""
    y, z = np.asarray(res.eqlin.marginals), np.asarray(res.ineqlin.marginals)
    reduced = cost - a_eq.T @ y - (a_ub.T @ z if a_ub.shape[0] else 0.0)
    x = np.asarray(res.x)
    free = (np.abs(reduced) <= REDUCED_COST_TOLERANCE) & (bounds > 0)
    up = (free & (x < bounds - 1e-6)).reshape(3, m, n_f).any(axis=0)[inverse]
    down = (free & (x > 1e-6)).reshape(3, m, n_f).any(axis=0)[inverse]
    held = np.zeros(n_f, bool)  # a film row of non-zero dual is tight at every optimum
    n_lo = int(floored.sum())
    held[np.flatnonzero(floored)[np.abs(z[:n_lo]) > REDUCED_COST_TOLERANCE]] = True
    held[np.flatnonzero(capped)[np.abs(z[n_lo:]) > REDUCED_COST_TOLERANCE]] = True
    n_c = len(inverse)
    node = n_c + np.where(held, np.arange(n_f), n_f)  # films of zero dual: one node
    c_up, j_up = np.nonzero(up)
    c_dn, j_dn = np.nonzero(down)
    tails = np.concatenate([c_up, node[j_dn]])
    heads = np.concatenate([node[j_up], c_dn])
    graph = sp.csr_matrix((np.ones(len(tails)), (tails, heads)), shape=(n_c + n_f + 1,) * 2)
    k, label = connected_components(graph, directed=True, connection="strong")
    return k == graph.shape[0]  # every strongly connected part one node: no cycle
