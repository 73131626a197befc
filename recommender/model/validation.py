"""Recall of factor models on a held-out slice: the metric kernel tuning and evaluation share.

``hits_at_k``, ``recall_at_k``, ``expected_hits_at_k`` and ``recall_of_hits`` are the kernel
(``recommender.evaluation.metrics`` imports them from here, since the model room cannot import
the evaluation room). ``query_recalls``
scores users x films factors on a validation matrix in both directions (per query; ``mean_se``
averages them), as ``recommender.evaluation.scoring.score_split`` does on a test split: a
film's audience ranks every candidate user who had not watched it in training (films with
``min_viewers``+ held-out viewers), a user's recommendations rank every candidate film they had
not watched. What depends on the split alone (candidates, sampled queries, each block's
excluded and held-out cells) is a ``QueryPlan``, which the search builds once for all its trials.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.model.prior import with_prior

FloatArray = NDArray[np.float64]


def hits_at_k(top: NDArray[np.integer], counts: NDArray[np.integer], truth: NDArray[np.bool_]
              ) -> NDArray[np.bool_]:
    """``(q, k)`` bool: whether the candidate in each ranked slot is a held-out positive
    (padding slots are never hits)."""
    top = np.asarray(top)
    q, k = top.shape
    real = np.arange(k)[None, :] < np.asarray(counts)[:, None]
    safe = np.where(real, top, 0)
    return np.asarray(truth)[np.arange(q)[:, None], safe] & real


def recall_at_k(hits: NDArray[np.bool_], n_relevant: NDArray[np.integer]) -> FloatArray:
    """Hits in the top k / min(k, positives), per query (``nan`` where a query has none).

    The min-normalisation makes 1.0 reachable when a query has fewer than k positives and
    when it has more.
    """
    return recall_of_hits(hits.sum(axis=1), n_relevant, hits.shape[1])


def recall_of_hits(hits: FloatArray, n_relevant: NDArray[np.integer], k: int) -> FloatArray:
    """``recall_at_k`` from each query's hit count (``expected_hits_at_k``): hits / min(k,
    positives), ``nan`` where a query has none."""
    denom = np.minimum(np.asarray(n_relevant, np.float64), k)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(denom > 0, np.asarray(hits, np.float64) / denom, np.nan)
    return out


def expected_hits_at_k(scores: NDArray[np.floating], truth: NDArray[np.bool_], k: int
                       ) -> FloatArray:
    """Hits in the top ``k`` of each row of ``scores`` (``-inf`` or NaN: not a candidate), with a
    tie that the cut splits counted by its expectation over the tie's orders (McSherry and Najork,
    ECIR 2008): the candidates scored above the k-th score count in full, each candidate tied
    with it counts ``slots left / tied``. Without a tie at the cut it is the hits of any top-k
    ranking; with one, a ranking fills the tie in an order the scores do not give (index order
    for ``top_k_rows``), and a scorer of many equal scores (ItemKNN's zeros, popularity's equal
    counts) gained or lost hits by where the positives sit in the index."""
    s = np.asarray(scores)
    rows, cols = np.nonzero(np.broadcast_to(np.asarray(truth, bool), s.shape))
    return expected_hits_of(s, rows * s.shape[1] + cols, rows, k)


def expected_hits_of(scores: NDArray[np.floating], flat: NDArray[np.intp],
                     rows: NDArray[np.intp], k: int) -> FloatArray:
    """``expected_hits_at_k`` with the positives given as flat indices into ``scores`` (each
    cell at most once) and their rows: the same values, without a dense truth matrix or a
    full-size pass per test (the counts above and tied with the cut come from the partition)."""
    s = np.asarray(scores)
    if np.isnan(s).any():  # no candidate, as -inf (``top_k_rows`` counts neither)
        s = np.where(np.isnan(s), -np.inf, s)
    q, n = s.shape
    kk = min(int(k), n)
    if kk <= 0 or q == 0:
        return np.zeros(q, np.float64)
    kth, n_above, n_tied = _cut(s, kk)
    slots = np.clip(kk - n_above, 0, n_tied)
    share = np.where(n_tied > 0, slots / np.maximum(n_tied, 1), 0.0)
    vals, cut = s.reshape(-1)[flat], kth[rows]
    above = np.bincount(rows[vals > cut], minlength=q)
    tied = np.bincount(rows[(vals == cut) & (vals > -np.inf)], minlength=q)
    return np.asarray(above + share * tied, np.float64)


def _cut(s: NDArray[np.floating], kk: int
         ) -> tuple[NDArray[np.floating], NDArray[np.int64], NDArray[np.int64]]:
    """Each row's ``kk``-th largest value of ``s`` (no NaN), how many values are above it and
    how many tied with it (none when it is ``-inf``: no candidate). On long rows only the
    values at or above a bound are partitioned: the least of the maxima of ``kk`` disjoint
    strided chunks of the row (``kk`` values reach it, so the ``kk``-th largest does); a row
    with too many values at or above its bound (ties, few candidates) is partitioned whole."""
    q, n = s.shape
    kth = np.empty(q, s.dtype)
    n_above = np.zeros(q, np.int64)
    n_tied = np.zeros(q, np.int64)
    whole = np.ones(q, bool)
    width = n // kk
    if width >= 64 and s.dtype.kind == "f":
        bound = s[:, :kk * width].reshape(q, width, kk).max(axis=1).min(axis=1)
        rows, cols = np.nonzero(s >= bound[:, None])
        counts = np.bincount(rows, minlength=q)
        whole = counts > max(n // 16, kk)
        keep = ~whole[rows]
        rows, cols = rows[keep], cols[keep]
        if len(rows):
            counts[whole] = 0
            m = int(counts.max())
            starts = np.cumsum(counts) - counts
            top = np.full((q, m), -np.inf, s.dtype)
            top[rows, np.arange(len(rows)) - starts[rows]] = s[rows, cols]
            _count(np.partition(top, m - kk, axis=1), kk, ~whole, kth, n_above, n_tied)
    if whole.any():
        _count(np.partition(s if whole.all() else s[whole], n - kk, axis=1), kk, whole, kth,
               n_above, n_tied)
    return kth, n_above, n_tied


def _count(part: NDArray[np.floating], kk: int, at: NDArray[np.bool_],
           kth: NDArray[np.floating], n_above: NDArray[np.int64], n_tied: NDArray[np.int64]
           ) -> None:
    """``_cut``'s figures from rows partitioned at their ``kk``-th largest value (at column
    ``-kk``, the larger after it; no value of the row at or above it left out), written to the
    rows ``at`` (``part`` has a row for each, or one for every row)."""
    if len(part) != int(at.sum()):
        part = part[at]
    cut = part[:, part.shape[1] - kk]
    kth[at] = cut
    n_above[at] = (part[:, part.shape[1] - kk + 1:] > cut[:, None]).sum(axis=1)
    # +inf is a candidate, tied with another +inf; -inf is none
    n_tied[at] = np.where(cut > -np.inf, (part == cut[:, None]).sum(axis=1), 0)


ZERO_GUARD = 1e-3  # added to each recall before the geometric mean, so a zero does not hide the
                  # other direction (a log where no film has held-out viewers in the top k)


def combined(parts: list[tuple[float, float]]) -> tuple[float, float]:
    """The tuning objective from ``(recall, standard error)`` per direction: the geometric mean
    of the recalls that are not NaN (each plus ``ZERO_GUARD``, which is then taken off), so a
    relative change in either direction weighs the same (the targets are ratios; an arithmetic
    mean lets the larger recall, usually the user direction, decide alone), and its standard
    error by the delta method on the log scale (the directions' errors taken as independent).
    ``(nan, nan)`` when no recall is known."""
    known = [(v + ZERO_GUARD, e) for v, e in parts if not np.isnan(v)]
    if not known:
        return float("nan"), float("nan")
    g = float(np.exp(np.mean([np.log(v) for v, _ in known])))
    rel = np.sqrt(sum((e / v) ** 2 for v, e in known if not np.isnan(e))) / len(known)
    return g - ZERO_GUARD, float(g * rel)


def audience_cut_note(k: int, users: int) -> str | None:
    """What to say when a cut of ``k`` is at least half of the ``users`` an audience ranks
    (``evaluate``'s split, or a search's validation split), or None: each film's top ``k`` then
    holds most of its candidates, so audience_recall@k is near 1 for any model and tells none
    apart. ``evaluate`` and both searches (``train``'s, ``tune``'s) say it by this one rule."""
    if users <= 0 or 2 * k < users:
        return None
    return (f"k = {k} is at least half of the {users:,} users an audience ranks, so "
            f"audience_recall@{k} is near 1 for any model and says little")


def search_cut_note(k: int, user_k: int, users: int) -> str | None:
    """``audience_cut_note`` as a search says it of its validation split (``users``: those with
    a training interaction there): its objective, the geometric mean with
    user_recall@``user_k``, then moves with the user direction nearly alone (every trial of an
    80-user log scored audience_recall@100 1.0, and the search said nothing)."""
    said = audience_cut_note(k, users)
    return None if said is None else (
        f"on the search's validation split, {said}: the objective, its geometric mean with "
        f"user_recall@{user_k}, is decided by user_recall@{user_k} nearly alone")


def paired_log_gain(challenger: list[FloatArray], incumbent: list[FloatArray]
                    ) -> tuple[float, float]:
    """How much higher ``challenger``'s objective is than ``incumbent``'s, as the log of their
    ratio, and the standard error of that log ratio, from the per-query recalls of each
    direction (``query_recalls``; the same queries for both, NaN where a query
    has no held-out positive). The error is paired: both models answered the same queries, so
    what the split happened to hold out (which films, which users) cancels, and it is much
    smaller than either objective's own (delta method: the log of each direction's mean, the
    directions averaged as in ``combined``). ``(0, 0)`` when no query is scored."""
    gains: list[float] = []
    var = 0.0
    for c, i in zip(challenger, incumbent, strict=True):
        ok = ~(np.isnan(c) | np.isnan(i))
        if not ok.any():
            continue
        mc, mi = float(c[ok].mean()) + ZERO_GUARD, float(i[ok].mean()) + ZERO_GUARD
        gains.append(np.log(mc) - np.log(mi))
        if ok.sum() > 1:  # each query's share of the log-ratio's change
            var += float((c[ok] / mc - i[ok] / mi).var(ddof=1)) / int(ok.sum())
    if not gains:
        return 0.0, 0.0
    return float(np.mean(gains)), float(np.sqrt(var)) / len(gains)


def mean_se(values: FloatArray) -> tuple[float, float]:
    """Mean over queries (NaN skipped) and its standard error (NaN with fewer than 2)."""
    v = values[~np.isnan(values)]
    if not len(v):
        return float("nan"), float("nan")
    se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return float(v.mean()), se


def per_user_latest(user_idx: NDArray[np.integer], order_key: NDArray[np.integer],
                    share: float, seed: int = 0) -> NDArray[np.bool_]:
    """True for each user's last ``round(share x their interactions)`` by ``order_key``
    (timestamps, or a seeded random key), ties in an order drawn from ``seed``: every user
    stays known. (Ties went by position, and merged interactions are in (user, film) order:
    of a user's films at their latest time, those listed last in the log were held out, so
    a log of dates validated on its later-listed films, less watched: 9% fewer viewers a film
    on the demo log in months.)"""
    n = len(user_idx)
    tie = np.random.default_rng(seed).permutation(n)
    order = np.lexsort((tie, order_key, user_idx))
    u = np.asarray(user_idx)[order]
    counts = np.bincount(u)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    from_end = (starts + counts)[u] - 1 - np.arange(n)
    mask = np.zeros(n, bool)
    mask[order[from_end < np.rint(share * counts[u])]] = True
    return mask


class QueryPlan:
    """What ``query_recalls`` needs of ``seen`` and ``held`` alone, worked out once for any
    number of factor pairs (a search's trials share one split): the candidate users and films,
    the seeded query samples and, per block of queries, the cells to exclude and the positives
    (flat indices into the block's scores)."""

    def __init__(self, seen: sp.csr_matrix, held: sp.csr_matrix, min_viewers: int = 5,
                 min_films: int = 100, max_queries: int = 2000, seed: int = 0,
                 block_cells: int = 4_000_000) -> None:
        self.seen, self.held = seen, held  # the objects it was built from (``matches``)
        self.key = (min_viewers, min_films, max_queries, seed, block_cells)
        rng = np.random.default_rng(seed)
        seen = sp.csr_matrix(seen)
        held = sp.csr_matrix(held)
        self.users = np.flatnonzero(np.diff(seen.indptr) > 0)
        self.films = np.flatnonzero(np.bincount(seen.indices, minlength=seen.shape[1]) > 0)
        hist = seen[self.users][:, self.films]
        test = held[self.users][:, self.films]
        test.data[:] = 1
        hist.data[:] = 1

        def sample(candidates: NDArray[np.intp]) -> NDArray[np.intp]:
            if len(candidates) <= max_queries:
                return candidates
            return np.sort(rng.choice(candidates, max_queries, replace=False))

        # audience direction: queries are films, candidates the users
        hist_f, test_f = hist.T.tocsr(), test.T.tocsr()
        n_viewers = np.diff(test_f.indptr)
        # a sparse log has few films with min_viewers held-out viewers: lower the bar (not
        # below 2) until min_films films qualify, so the audience part averages over enough
        # films
        bar = min_viewers
        while bar > 2 and int((n_viewers >= bar).sum()) < min_films:
            bar -= 1
        self.audience = _blocks(hist_f, test_f, sample(np.flatnonzero(n_viewers >= bar)),
                                block_cells)
        # user direction: queries are users, candidates the films
        self.user = _blocks(hist, test, sample(np.flatnonzero(np.diff(test.indptr) > 0)),
                            block_cells)

    def matches(self, seen: sp.csr_matrix, held: sp.csr_matrix, key: tuple[int, ...]) -> bool:
        return self.seen is seen and self.held is held and self.key == key


# one block of a direction: its queries, their positives' counts, the cells to exclude (flat
# indices into the block's scores), and the positives' flat indices and rows
Block = tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp], NDArray[np.intp],
              NDArray[np.intp]]


def _blocks(hist: sp.csr_matrix, test: sp.csr_matrix, queries: NDArray[np.intp],
            block_cells: int) -> list[Block]:
    """The blocks of about ``block_cells`` scores in which ``_direction_recall`` scores the
    ``queries`` rows of ``hist`` (excluded) and ``test`` (the positives)."""
    n_pos = np.diff(test.indptr)
    n_cand = hist.shape[1]
    step = max(1, block_cells // max(n_cand, 1))
    out: list[Block] = []
    for start in range(0, len(queries), step):
        blk = queries[start:start + step]
        cells = []
        for m in (hist[blk], test[blk]):
            m.sum_duplicates()  # one index per cell, as a dense matrix has
            rows = np.repeat(np.arange(len(blk), dtype=np.intp), np.diff(m.indptr))
            cells.append((rows * n_cand + m.indices, rows))
        out.append((blk, n_pos[blk], cells[0][0], *cells[1]))
    return out


def query_recalls(
    user_factors: NDArray[np.float32],
    film_factors: NDArray[np.float32],
    seen: sp.csr_matrix,
    held: sp.csr_matrix,
    k: int = 100,
    user_k: int = 20,
    min_viewers: int = 5,
    min_films: int = 100,
    max_queries: int = 2000,
    seed: int = 0,
    block_cells: int = 4_000_000,
    film_prior: NDArray[np.float32] | None = None,
    plan: QueryPlan | None = None,
) -> tuple[FloatArray, FloatArray]:
    """(per-film audience recall@k, per-user recall@user_k) of ``user_factors @
    film_factors.T`` on ``held`` given ``seen``: the same queries, in the same order, for any
    factors (they depend on ``seen``, ``held`` and ``seed`` only), so two models' arrays pair.

    Candidates are the users and films with a training interaction. Films with at least
    ``min_viewers`` held-out viewers are scored (fewer, down to 2, where that leaves under
    ``min_films`` films). At most ``max_queries``
    films and users (a seeded sample) are scored, which bounds the cost on large logs.
    ``film_prior`` (``prior.py``) is added to the user direction's scores only, as
    recommendations add it; audiences rank by the factors alone, as the engine's do.
    ``plan``: the split's ``QueryPlan`` (built from these ``seen`` and ``held`` objects and
    settings), which a caller scoring many factor pairs on one split builds once.
    """
    key = (min_viewers, min_films, max_queries, seed, block_cells)
    if plan is None:
        plan = QueryPlan(seen, held, *key)
    elif not plan.matches(seen, held, key):
        raise ValueError("query_recalls: the plan was built for another split or settings")
    uf = np.asarray(user_factors, np.float32)[plan.users]
    ff = np.asarray(film_factors, np.float32)[plan.films]
    audience = _direction_recall(ff, uf, plan.audience, k)
    # user direction, with the popularity prior, as recommendations add it: a column of ones
    # against the prior
    if film_prior is not None:
        uf, ff = with_prior(uf, ff, np.asarray(film_prior, np.float32)[plan.films])
    return audience, _direction_recall(uf, ff, plan.user, user_k)


def _direction_recall(query_factors: NDArray[np.float32], cand_factors: NDArray[np.float32],
                      blocks: list[Block], k: int) -> FloatArray:
    """Recall@k of each block's queries (``QueryPlan``: its excluded cells set to ``-inf``, its
    positives the held-out ones). A tie that the cut at k splits
    counts its expected hits over the tie's orders (``expected_hits_at_k``), as the evaluation
    counts it (``recommender.evaluation.scoring``): filled in index order, a fit whose scores
    tie (factors near zero, films or users with nothing fitted) scored where its positives sat
    in the index, not what it learned."""
    rec: list[FloatArray] = []
    for blk, n_pos, excluded, positives, rows in blocks:
        scores = np.ascontiguousarray(query_factors[blk] @ cand_factors.T)
        scores.reshape(-1)[excluded] = -np.inf  # a view: the product is a new array
        rec.append(recall_of_hits(expected_hits_of(scores, positives, rows, k), n_pos, k))
    return np.concatenate(rec) if rec else np.zeros(0)
