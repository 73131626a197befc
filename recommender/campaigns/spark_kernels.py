"""The numpy kernels the Spark planner ships to executors by value (numpy and pyarrow only).

Each kernel works on plain arrays, so the driver can run the same code on one block
(``recommender.campaigns.spark_plan``); candidates are scored by
``recommender.kernels.exact_scores`` (numpy only), shipped by value with them. Rows are
(slate position ``f``, user ``u``) pairs with ``w`` (value x p, what is maximised) and ``r``
(``w`` plus the planner's rank tie-break, what is solved), grouped by user. Given one price
``lam[f]`` per film (the Lagrangian dual of the budgets), each user's choice is independent:
the ``cap`` films of largest positive margin ``r - lam[f]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.kernels.exact_scores import exact_scores

KIND_THRESHOLD, KIND_COUNT, KIND_DUAL = 0, 1, 2


# film x user cells scored at once: the float64 product and its few same-sized
# temporaries in ``exact_scores`` stay within a few tens of MiB whatever the slate's size
CELLS_A_BLOCK = 1 << 21


def candidate_scores(uidx: NDArray[np.int64], feats: NDArray[np.float64],
                     seen_rows: NDArray[np.int64], seen_pos: NDArray[np.int64],
                     ff: NDArray[np.float64], max_user_norm: float
                     ) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float32]]:
    """(film position, user, score) of every candidate, users who watched the film left out.

    The score is the audience's settled score, as the local planner ranks by it
    (``Model.user_scores``): ``exact_scores`` with the model's bound on the users' norms
    (``max_user_norm``), bit for bit ``ranking.exact_dots``; rounding a float64 product to
    float32 differs from it on a float32 rounding boundary. A block of users at a time."""
    scores = np.empty((ff.shape[0], len(uidx)), np.float32)  # (films, users)
    step = max(1, CELLS_A_BLOCK // max(ff.shape[0], 1))
    for start in range(0, len(uidx), step):
        scores[:, start:start + step] = exact_scores(feats[start:start + step], ff,
                                                     max_user_norm)
    ok = np.ones(scores.shape, bool)
    ok[seen_pos, seen_rows] = False
    f, c = np.nonzero(ok)
    return f.astype(np.int32), uidx[c].astype(np.int32), scores[f, c]


def user_order(f: NDArray[np.int64], u: NDArray[np.int64], key: NDArray[np.float64]
               ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows sorted by user, then ``key`` descending, then film; and each row's position in
    its user's list (0 = the user's best)."""
    order = np.lexsort((f, -key, u))
    us = u[order]
    first = np.r_[0, np.flatnonzero(np.diff(us)) + 1] if len(us) else np.zeros(0, np.int64)
    pos = np.arange(len(us)) - np.repeat(first, np.diff(np.r_[first, len(us)]))
    return order, pos


def _kth_of_user(sorted_vals: NDArray[np.float64], pos: NDArray[np.int64],
                 u_sorted: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    """Per row (rows sorted by user, values descending), the value at position ``k`` of the
    row's user's list; 0 where the user has fewer rows."""
    n = len(sorted_vals)
    start = np.arange(n) - pos
    at = start + k
    inside = at < n
    same = np.zeros(n, bool)
    same[inside] = u_sorted[at[inside]] == u_sorted[inside]
    out = np.zeros(n)
    out[same] = sorted_vals[at[same]]
    return out


def dual_round(f: NDArray[np.int64], u: NDArray[np.int64], r: NDArray[np.float64],
               w: NDArray[np.float64], lam: NDArray[np.float64], cap: int,
               keep: NDArray[np.int64]) -> dict[str, Any]:
    """One block's part of a pricing round at prices ``lam``.

    ``threshold`` of a row: the largest price of its film at which the user still takes it,
    ``r - max(0, the user's cap-th best margin among the other films)``; per film its
    ``keep[f]`` largest positive thresholds are returned (the driver merges blocks and sets
    the film's price so that at most its budget of users take it). Also the counts of users
    taking each film at ``lam`` and the user part of the LP dual function in ``w`` at ``lam``
    (sum of each user's ``cap`` largest positive ``w - lam``)."""
    n_films = len(lam)
    m = r - lam[f]
    order, pos = user_order(f, u, m)
    fs, us, ms, rs = f[order], u[order], m[order], r[order]
    pos_m = np.maximum(ms, 0.0)
    # the cap-th best margin among the other films: position cap when the row is among the
    # user's cap best (itself excluded), else position cap - 1
    other = np.where(pos < cap, _kth_of_user(pos_m, pos, us, cap),
                     _kth_of_user(pos_m, pos, us, cap - 1))
    t = rs - other
    taken = (pos < cap) & (ms > 0)
    counts = np.bincount(fs[taken], minlength=n_films)
    mw = np.maximum(w[order] - lam[fs], 0.0)
    ow, pw = user_order(fs, us, mw)
    dual_users = float(mw[ow][pw < cap].sum())
    tf, tv = [], []
    good = np.flatnonzero(t > 0)
    for i, rows in enumerate(film_groups(fs[good], n_films)):  # a partition per film
        vals = t[good[rows]]
        k = int(keep[i])
        if len(vals) > k:
            vals = vals[np.argpartition(-vals, k - 1)[:k]]
        tf.append(np.full(len(vals), i, np.int64))
        tv.append(vals)
    return {"film": np.concatenate(tf), "threshold": np.concatenate(tv), "counts": counts,
            "dual_users": dual_users}


def film_groups(f: NDArray[np.int64], n_films: int) -> list[NDArray[np.int64]]:
    """The row indices of each film ``0 .. n_films - 1`` (``np.flatnonzero(f == i)``, in row
    order) from one stable sort: a pass over every row per film was films x rows."""
    if n_films <= 0:
        return []
    order = np.argsort(f, kind="stable")
    return np.split(order, np.searchsorted(f[order], np.arange(1, n_films)))


def choose(f: NDArray[np.int64], u: NDArray[np.int64], r: NDArray[np.float64],
           lam: NDArray[np.float64], cap: int, extra: int
           ) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]:
    """Each user's ``cap + extra`` best rows by margin at ``lam`` (row indices), whether the
    user takes the row (among its ``cap`` best and a positive margin), and the margins."""
    m = r - lam[f]
    order, pos = user_order(f, u, m)
    sel = pos < cap + extra
    rows = order[sel]
    return rows, (pos[sel] < cap) & (m[rows] > 0), m[rows]


def _columns(batches: list[pa.RecordBatch], names: list[str]) -> dict[str, NDArray[Any]]:
    table = pa.Table.from_batches(batches) if batches else None
    if table is None or table.num_rows == 0:
        return {}
    return {n: np.asarray(table.column(n).to_numpy()) for n in names}


def dual_round_task(lam: NDArray[np.float64], cap: int, keep: NDArray[np.int64]
                    ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function of one pricing round over a task's rows (every row of a
    user in the same task): (kind, film, value) rows, see ``dual_round``."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        cols = _columns(list(batches), ["f", "u", "r", "w"])
        if not cols:
            return
        out = dual_round(cols["f"].astype(np.int64), cols["u"].astype(np.int64), cols["r"],
                         cols["w"], lam, cap, keep)
        n = len(lam)
        kind = np.r_[np.full(len(out["film"]), KIND_THRESHOLD), np.full(n, KIND_COUNT),
                     [KIND_DUAL]].astype(np.int8)
        film = np.r_[out["film"], np.arange(n), [-1]].astype(np.int32)
        value = np.r_[out["threshold"], out["counts"].astype(np.float64), [out["dual_users"]]]
        yield pa.RecordBatch.from_arrays([pa.array(kind), pa.array(film), pa.array(value)],
                                         names=["kind", "f", "value"])

    return run


def choose_task(lam: NDArray[np.float64], cap: int, extra: int
                ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function of the final pass: each user's best rows with their
    margins and whether the user takes them (``choose``)."""
    names = ["f", "u", "rank", "p", "w", "r"]

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        cols = _columns(list(batches), names)
        if not cols:
            return
        rows, taken, margin = choose(cols["f"].astype(np.int64), cols["u"].astype(np.int64),
                                     cols["r"], lam, cap, extra)
        yield pa.RecordBatch.from_arrays(
            [pa.array(cols[n][rows]) for n in names] + [pa.array(taken), pa.array(margin)],
            names=[*names, "taken", "m"])

    return run


def scorer_task(ff_bc: Any, rank_f: int
                ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function scoring a task's users against the slate's films
    (broadcast: float64 factors, the slate's film indices sorted, their slate positions and
    the model's bound on the users' norms, ``Model.max_user_norm``)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ff, sorted_films, sorted_pos, max_user_norm = ff_bc.value
        for batch in batches:
            nb = batch.num_rows
            if nb == 0:
                continue
            uidx = np.asarray(batch.column("user_idx").to_numpy(), np.int64)
            feats = np.asarray(batch.column("features").flatten().to_numpy(
                zero_copy_only=False), np.float64).reshape(nb, rank_f)
            seen = batch.column("seen")
            offs: NDArray[np.int64] = np.asarray(seen.offsets.to_numpy(), np.int64)
            lengths = np.diff(offs)
            raw = np.asarray(seen.flatten().to_numpy(zero_copy_only=False), np.int64)
            at = np.minimum(np.searchsorted(sorted_films, raw), len(sorted_films) - 1)
            hit = sorted_films[at] == raw
            rows = np.repeat(np.arange(nb), lengths)[hit]
            f, u, s = candidate_scores(uidx, feats, rows, sorted_pos[at[hit]], ff,
                                       max_user_norm)
            yield pa.RecordBatch.from_arrays([pa.array(f), pa.array(u), pa.array(s)],
                                             names=["f", "u", "score"])

    return run


def weigher_task(tab_bc: Any
                 ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The ``mapInArrow`` function giving each ranked candidate its ``p`` (read off the
    film's table of p by rank), ``w = value x p`` and ``r = w + tie-break``; opted-out users
    dropped. Broadcast: concatenated p tables, their offsets, values, candidates per film,
    the tie-break scale and the opted-out users (sorted)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table, offsets, values, n_cand, bonus, excluded = tab_bc.value
        for batch in batches:
            if batch.num_rows == 0:
                continue
            f = np.asarray(batch.column("f").to_numpy(), np.int64)
            u = np.asarray(batch.column("u").to_numpy(), np.int64)
            rank = np.asarray(batch.column("rank").to_numpy(), np.int64)
            if len(excluded):
                at = np.minimum(np.searchsorted(excluded, u), len(excluded) - 1)
                ok = excluded[at] != u
                f, u, rank = f[ok], u[ok], rank[ok]
            p = table[offsets[f] + rank - 1]
            w = p * values[f]
            r = w + bonus * (1.0 - (rank - 1) / np.maximum(n_cand[f], 1))
            yield pa.RecordBatch.from_arrays(
                [pa.array(f.astype(np.int32)), pa.array(u.astype(np.int32)),
                 pa.array(rank.astype(np.int32)), pa.array(p), pa.array(w), pa.array(r)],
                names=["f", "u", "rank", "p", "w", "r"])

    return run
