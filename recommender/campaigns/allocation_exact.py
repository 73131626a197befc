"""The solved plan certified exactly optimal in float64, improving cycles cancelled, and its prices.

HiGHS's tolerances are relative to the largest worth, so on a slate whose values span 1e3 or more
the LP's vertex left users of the small films on the wrong film (gains ~1e-3 value units under a
largest worth of ~2,500). The check here is the min-cost-flow optimality condition: a plan is
optimal if and only if its residual graph has no negative cycle. Users only link films, so the
graph is condensed onto the films and one node ``o`` (source and sink together):

- ``f -> g`` through a user ``u`` of g's contacts that f may take and lacks: cost
  ``w[g, u] - w[f, u]`` (u moves from g to f);
- ``f -> o`` through a user with room under the cap: cost ``-w[f, u]`` (f takes u), or 0 when
  f has a contact (f gives one up);
- ``o -> g`` through a contact of g: cost ``w[g, u]`` (g drops u), or 0 when g's budget has room.

A closed walk of the condensed graph with negative cost is one of the residual graph (a simple
cycle never adds or drops one pair twice), so Bellman-Ford over ``films + 1`` nodes finds an
improving exchange whenever one exists; applying it raises the objective, and the loop ends when
none is left beyond float64's rounding of the arc costs (``_tolerance``). The film prices are then
the shortest distances to ``o``, negated: ``lambda_f`` is exactly what one more selected user of
f would add (the best augmenting path from f), an optimal dual of the LP (feasible potentials
with complementary slackness), so it lies between that gain and the loss of f's last user.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.campaigns.allocation_picks import Caps

MAX_EXCHANGES = 5000  # improving cycles cancelled at most before the plan is left uncertified


def _tolerance(weights: NDArray[np.float64], n_nodes: int) -> float:
    """The cost below which a cycle counts as improving: float64's rounding of a sum of
    ``n_nodes`` differences of worths, with a margin (1e-12 of the largest worth at least)."""
    finite = weights[np.isfinite(weights)]
    top = float(np.abs(finite).max()) if finite.size else 0.0
    return max(1e-12, 16.0 * n_nodes * float(np.finfo(np.float64).eps)) * max(top, 1e-300)


def _arcs(weights: NDArray[np.float64], x: NDArray[np.bool_], budgets: NDArray[np.int64],
          caps: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The condensed residual graph: costs ``(films + 1) x (films + 1)`` (inf: no arc; the last
    node is ``o``) and the user each arc goes through (-1: a budget's own arc)."""
    n = weights.shape[0]
    cost = np.full((n + 1, n + 1), np.inf)
    via = np.full((n + 1, n + 1), -1, np.int64)
    count = x.sum(axis=0)
    held = x.sum(axis=1)
    for g in np.flatnonzero(held).tolist():  # one pass per film over its contacts, vectorised
        mine = np.flatnonzero(x[g])
        sub = weights[:, mine]
        move = np.where(x[:, mine] | np.isnan(sub), np.inf, weights[g, mine][None, :] - sub)
        best = np.argmin(move, axis=1)
        cost[:n, g] = move[np.arange(n), best]
        via[:n, g] = mine[best]
        drop = int(np.argmin(weights[g, mine]))
        cost[n, g], via[n, g] = float(weights[g, mine[drop]]), int(mine[drop])
    free = np.where(~x & (count < caps)[None, :] & ~np.isnan(weights), weights, -np.inf)
    take = np.argmax(free, axis=1) if free.shape[1] else np.zeros(n, np.int64)
    gain = free[np.arange(n), take] if free.shape[1] else np.full(n, -np.inf)
    cost[:n, n], via[:n, n] = -gain, take
    give_up = (held > 0) & (0.0 <= -gain)
    cost[:n, n][give_up], via[:n, n][give_up] = 0.0, -1
    room = held < budgets
    direct = room & (cost[n, :n] >= 0.0)
    cost[n, :n][direct], via[n, :n][direct] = 0.0, -1
    return cost, via


def _negative_cycle(cost: NDArray[np.float64], tol: float) -> list[int] | None:
    """A cycle of the condensed graph costing less than ``-tol`` (its nodes, first repeated
    last), or None when Bellman-Ford settles (every cycle costs ``-tol`` or more)."""
    m = len(cost)
    dist = np.zeros(m)
    pred = np.full(m, -1, np.int64)
    for _ in range(3 * m + 3):
        through = dist[:, None] + cost
        arg = np.argmin(through, axis=0)
        best = through[arg, np.arange(m)]
        better = best < dist - tol
        if not better.any():
            return None
        dist[better], pred[better] = best[better], arg[better]
        cycle = _pred_cycle(pred, cost, tol)
        if cycle is not None:
            return cycle
    return None


def _pred_cycle(pred: NDArray[np.int64], cost: NDArray[np.float64], tol: float
                ) -> list[int] | None:
    """A cycle of the predecessor graph costing less than ``-tol``, or None: ``m`` jumps
    (by doubling) from every node land on the cycles, each then walked once."""
    m = len(pred)
    jump = np.append(np.where(pred < 0, m, pred), m)  # m: no predecessor, a fixed point
    for _ in range(int(np.ceil(np.log2(m + 1))) + 1):
        jump = jump[jump]
    walked: set[int] = set()
    for node in np.unique(jump[:m][jump[:m] < m]).tolist():
        if node in walked:
            continue
        cycle = [node]
        while int(pred[cycle[-1]]) != node:
            cycle.append(int(pred[cycle[-1]]))
        walked.update(cycle)
        cycle = [node, *cycle[:0:-1], node]  # predecessors reversed: the arcs' direction
        if sum(float(cost[a, b]) for a, b in zip(cycle[:-1], cycle[1:], strict=True)) < -tol:
            return cycle
    return None


def _cancel(cycle: list[int], via: NDArray[np.int64], x: NDArray[np.bool_]) -> None:
    """Apply an improving cycle to the plan ``x`` (films x users) in place."""
    o = x.shape[0]
    for a, b in zip(cycle[:-1], cycle[1:], strict=True):
        u = int(via[a, b])
        if u < 0:
            continue  # a budget's own arc: a film takes one more contact or gives one up
        if a != o:
            x[a, u] = True
        if b != o:
            x[b, u] = False


def certify(weights: NDArray[np.float64], film: NDArray[np.int64], user: NDArray[np.int64],
            budgets: NDArray[np.int64], cap: Caps
            ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], int, bool]:
    """The plan with every improving exchange applied (module docstring): ``(film, user,
    prices, exchanges applied, certified)``; ``certified`` is False when ``MAX_EXCHANGES``
    ran out (the prices are then those of the plan as it stands, not an optimal dual)."""
    n, n_users = weights.shape
    caps = np.broadcast_to(np.asarray(cap, np.int64), (n_users,))
    x = np.zeros(weights.shape, bool)
    x[film, user] = True
    tol = _tolerance(weights, n + 1)
    exchanges, certified = 0, False
    while True:
        cost, via = _arcs(weights, x, np.asarray(budgets, np.int64), caps)
        cycle = _negative_cycle(cost, tol)
        if cycle is None:
            certified = True
            break
        if exchanges >= MAX_EXCHANGES:
            break
        _cancel(cycle, via, x)
        exchanges += 1
    to_o = np.full(n + 1, np.inf)  # shortest distance from each node to o
    to_o[n] = 0.0
    for _ in range(n + 1):
        nxt = np.minimum(to_o, (cost + to_o[None, :]).min(axis=1))
        if np.array_equal(nxt, to_o):
            break
        to_o = nxt
    prices = np.where(np.isfinite(to_o[:n]), np.maximum(-to_o[:n], 0.0), 0.0)
    f, u = np.nonzero(x)
    return f.astype(np.int64), u.astype(np.int64), prices, exchanges, certified
