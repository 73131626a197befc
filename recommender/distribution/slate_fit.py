"""The slate's demand factors and targets in the limit where films' minimums are tight together.

A set of films whose minimums add up to every screen of the cinemas where they have demand
(or more) meets them at no finite factor: the documented objective's factors
(``slate_targets._weights``) run to infinity together. ``fit`` takes that limit exactly. The films a
maximum flow (films' minimums to the screens of the cinemas where they have demand) cannot
saturate past, the largest such set, take every screen of their cinemas, the other films
none there; within the set the factors keep the finite ratios that meet its minimums (scaled
down in proportion to reach its screens where they add up to more), the fit applied again,
so a tight set nested in it (a strongly connected part of the flow's residual graph that
nothing leaves) takes its own cinemas first. The films left fit their bounds on the cinemas
left as ever. Where the minimums add up to exactly the set's screens this is the limit of
the fitting: as the set's factors rise together the convex function falls towards a floor
that depends on their ratios alone, lowest at the ratios meeting every minimum. Where they
add up to more the function falls without end at ratios the limit leaves open (holding one
film's factor or another's gives different ones): scaling the minimums down in proportion is
this module's choice, the same share of its minimum short for every film.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linprog
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

Sweep = Callable[[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                  NDArray[np.float64], NDArray[np.bool_]], NDArray[np.float64]]


def own_demand(demand: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(``demand`` with a cinema without any demand as demand of 1 for every film, and which
    cinemas those are)."""
    flat = np.asarray(demand, np.float64).sum(axis=1) <= 0
    return np.where(flat[:, None], 1.0, np.asarray(demand, np.float64)), flat


def at_flat(w: NDArray[np.float64]) -> NDArray[np.float64]:
    """The factors as they apply at a cinema without demand: a factor above 1 (a minimum's)
    is 1 there, one below (a cap's) applies. A minimum is met where its film's audience is,
    not by raising its share of the screens nobody is forecast at: there every target is under
    a screen, the deviation is counted cell by cell, and the film of the slightly larger
    target took a screen at every such cinema (200 of them, for a minimum of 70)."""
    return np.minimum(w, 1.0)


def plain_targets(own: NDArray[np.float64], s: NDArray[np.float64],
                  w: NDArray[np.float64], flat: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Each cinema's screens ``s`` shared in proportion to the finite factors ``w`` x ``own``
    (``at_flat``'s at the cinemas ``flat`` without demand; every row of ``own`` has a positive
    entry)."""
    dw = own * np.where(flat[:, None], at_flat(w)[None, :], w[None, :])
    return s[:, None] * dw / dw.sum(axis=1, keepdims=True)


def fit(own: NDArray[np.float64], s: NDArray[np.float64], lo: NDArray[np.float64],
        hi: NDArray[np.float64], sweep: Sweep, flat: NDArray[np.bool_], unit: float = 0.0
        ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(each film's factor, inf for one of a tight set, and the cinemas x films targets) for
    ``own`` (demand, every row positive somewhere), screens ``s`` and bounds ``lo``/``hi``;
    ``sweep`` fits the factors where no set is tight (``slate_targets._sweep``); ``unit``: the
    minimums' scale, once scaled down (whole times it); ``flat``: the cinemas without demand
    (``at_flat``)."""
    n_c, n_f = own.shape
    if n_c == 0 or n_f == 0:
        return np.ones(n_f), np.zeros((n_c, n_f))
    top, flow = _tight(own, s, lo, unit)
    total = float(lo.sum())
    if top.any() and not top.all():  # the tight films take their cinemas first
        return _split(own, s, lo, hi, sweep, top, flat, unit)
    if top.all() and not unit and flow < total * (1 - 1e-12) - 1e-9:
        # more than the screens: the minimums scaled down in proportion to meet them
        return fit(own, s, lo * (float(s.sum()) / total), hi, sweep, flat, total)
    if top.all():  # every film tight: a nested set that no flow leaves is tighter still
        inner = _closed(own, s, lo, unit)
        if inner is not None:
            return _split(own, s, lo, hi, sweep, inner, flat, unit)
    w = sweep(own, s, lo, hi, flat)
    return w, plain_targets(own, s, w, flat)


def _split(own: NDArray[np.float64], s: NDArray[np.float64], lo: NDArray[np.float64],
           hi: NDArray[np.float64], sweep: Sweep, top: NDArray[np.bool_],
           flat: NDArray[np.bool_], unit: float
           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``fit`` with the films ``top`` taking every screen of their cinemas (their own fit
    there) and the others fitted on the cinemas left."""
    mine = (own[:, top] > 0).any(axis=1)
    w, t = np.ones(own.shape[1]), np.zeros(own.shape)
    w_top, t_top = fit(own[np.ix_(mine, top)], s[mine], lo[top], hi[top], sweep, flat[mine],
                       unit)
    w_rest, t_rest = fit(own[np.ix_(~mine, ~top)], s[~mine], lo[~top], hi[~top], sweep,
                         flat[~mine], unit)
    w[top] = np.where(lo[top] > 0, np.inf, w_top)
    w[~top] = w_rest
    t[np.ix_(mine, top)] = t_top
    t[np.ix_(~mine, ~top)] = t_rest
    return w, t


def _flow(own: NDArray[np.float64], s: NDArray[np.float64], lo: NDArray[np.float64],
          unit: float) -> tuple[sp.csr_matrix, float, float]:
    """The residual graph (films, cinemas, source, sink) of a maximum flow from the films'
    minimums to the cinemas' screens along the cells with demand, its value and tolerance."""
    n_c, n_f = own.shape
    rows, cols = np.nonzero(own > 0)
    n = len(rows)
    per_film = sp.csr_matrix((np.ones(n), (cols, np.arange(n))), shape=(n_f, n))
    per_cinema = sp.csr_matrix((np.ones(n), (rows, np.arange(n))), shape=(n_c, n))
    f = _integer_flow(own, s, lo, rows, cols, unit)
    if f is None:  # figures past int32: the flow as a linear programme (slower)
        res = linprog(-np.ones(n), A_ub=sp.vstack([per_film, per_cinema], format="csr"),
                      b_ub=np.concatenate([lo, s]), bounds=(0, None), method="highs")
        f = np.asarray(res.x) if res.x is not None else np.zeros(n)
    tol = 1e-9 * max(1.0, float(lo.sum()))
    out, into = per_film @ f, per_cinema @ f
    src, snk = n_f + n_c, n_f + n_c + 1
    film, cinema = cols, n_f + rows  # node ids
    used = f > tol
    heads = np.concatenate([film, cinema[used], np.full(n_f, src)[lo - out > tol],
                            np.arange(n_f)[out > tol], n_f + np.arange(n_c)[s - into > tol],
                            np.full(n_c, snk)[into > tol]])
    tails = np.concatenate([cinema, film[used], np.arange(n_f)[lo - out > tol],
                            np.full(n_f, src)[out > tol], np.full(n_c, snk)[s - into > tol],
                            n_f + np.arange(n_c)[into > tol]])
    graph = sp.csr_matrix((np.ones(len(heads)), (heads, tails)), shape=(snk + 1, snk + 1))
    return graph, float(f.sum()), tol


def _integer_flow(own: NDArray[np.float64], s: NDArray[np.float64], lo: NDArray[np.float64],
                  rows: NDArray[np.intp], cols: NDArray[np.intp], unit: float
                  ) -> NDArray[np.float64] | None:
    """The flow of each cell by ``maximum_flow`` (whole capacities: the minimums scaled
    down in proportion are whole times the screens' total), None past int32."""
    n_c, n_f = own.shape
    unit = unit or 1.0
    lo_i, s_i = lo * unit, s * unit  # whole: lo = whole x screens / unit (``fit``)
    if np.abs(lo_i - np.rint(lo_i)).max(initial=0) > 1e-6 or s_i.sum() > 2**30 or \
            lo_i.sum() > 2**30:
        return None
    src, snk = n_f + n_c, n_f + n_c + 1
    big = int(s_i.sum()) + 1
    heads = np.concatenate([np.full(n_f, src), cols, n_f + np.arange(n_c)])
    tails = np.concatenate([np.arange(n_f), n_f + rows, np.full(n_c, snk)])
    caps = np.concatenate([np.rint(lo_i), np.full(len(rows), big), np.rint(s_i)])
    graph = sp.csr_matrix((caps.astype(np.int32), (heads, tails)), shape=(snk + 1, snk + 1))
    flow = maximum_flow(graph, src, snk, method="dinic").flow
    return np.asarray(flow[cols, n_f + rows]).ravel() / unit


def _tight(own: NDArray[np.float64], s: NDArray[np.float64], lo: NDArray[np.float64],
           unit: float) -> tuple[NDArray[np.bool_], float]:
    """The largest set of films whose minimums reach every screen of their cinemas (the
    films no residual path leads from to the sink; none such: all False), and the flow."""
    graph, value, _ = _flow(own, s, lo, unit)
    sink = graph.shape[0] - 1
    reach = breadth_first_order(graph.T.tocsr(), sink, return_predecessors=False)
    top = np.ones(own.shape[1], bool)
    top[reach[reach < own.shape[1]]] = False
    return top, value


def _closed(own: NDArray[np.float64], s: NDArray[np.float64], lo: NDArray[np.float64],
            unit: float) -> NDArray[np.bool_] | None:
    """Where every film is tight, a smaller set that takes all its cinemas' screens (the
    films of a strongly connected part of the residual graph that no edge leaves), or None."""
    graph, _, _ = _flow(own, s, lo, unit)
    n = own.shape[0] + own.shape[1]
    inner = graph[:n, :n]
    k, label = connected_components(inner, directed=True, connection="strong")
    if k < 2:
        return None
    edges = inner.tocoo()
    leaves = np.zeros(k, bool)
    leaves[label[edges.row][label[edges.row] != label[edges.col]]] = True
    films = label[: own.shape[1]]
    for part in np.flatnonzero(~leaves):
        found = films == part
        if found.any() and not found.all() and (lo[found] > 0).any():
            return found
    return None
