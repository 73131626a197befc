"""Ranking metrics as pure functions of (rankings, held-out truth); they never touch a model.

Every function works on a block of *queries* (rows). A query is a film in the audience
direction (its candidates are users) and a user in the user direction (its candidates are
films), so the same code scores both directions.

Shapes: ``q`` queries, ``n`` candidates per query, ``k`` ranked slots.

- ``top``: ``(q, k)`` int candidate indices, best first; only the first ``counts[r]`` entries of
  row ``r`` are real (the rest are padding, as returned by
  :func:`recommender.kernels.ranking.top_k_rows`).
- ``truth``: ``(q, n)`` bool, the held-out positives of each query.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
from numpy.typing import NDArray

# the recall kernel lives in the model room, which tuning inside `train` uses too
from recommender.model.validation import (
    expected_hits_at_k,
    hits_at_k,
    recall_at_k,
    recall_of_hits,
)

__all__ = ["auc", "expected_hits_at_k", "hits_at_k", "mean", "ndcg_at_k",
           "paired_ratio_interval", "reach", "recall_at_k", "recall_of_hits"]

FloatArray = NDArray[np.float64]


def ndcg_at_k(hits: NDArray[np.bool_], n_relevant: NDArray[np.integer]) -> FloatArray:
    """Binary-gain NDCG@k per query: sum of 1/log2(rank+1) over hits, divided by the same sum
    over the ideal ranking (min(k, positives) hits at ranks 1..), ``nan`` without positives."""
    k = hits.shape[1]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = hits.astype(np.float64) @ discount
    ideal_cum = np.r_[0.0, np.cumsum(discount)]
    n_ideal = np.minimum(np.asarray(n_relevant, np.int64), k)
    idcg = ideal_cum[n_ideal]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1.0), np.nan)
    return out


def auc(scores: NDArray[np.floating], truth: NDArray[np.bool_], candidates: NDArray[np.bool_]
        ) -> FloatArray:
    """ROC AUC per query over its candidates: the probability that a random positive scores
    above a random negative candidate, ties counting one half (Mann-Whitney U with mid-ranks).

    ``scores`` ``(q, n)``; ``truth`` marks positives (they must be candidates); ``candidates``
    marks who is ranked at all (non-candidates are ignored). ``nan`` where a query has no
    positive or no negative candidate.
    """
    s = np.asarray(scores, np.float64)
    # a candidate scored NaN or -inf is in no top k (``expected_hits_at_k``, ``top_k_rows``):
    # it ranks below every finite score of its row, tied with the others so scored. Left at
    # -inf it tied with the non-candidates shifted off below (a positive at -inf won -0.5
    # pairs), and a NaN made the row's ranks NaN and dropped the film from the mean
    bad = np.asarray(candidates) & ~(s > -np.inf)
    if bad.any():
        finite = np.where(np.asarray(candidates) & np.isfinite(s), s, np.inf).min(axis=1)
        floor = np.where(np.isfinite(finite), np.nextafter(finite, -np.inf), 0.0)
        s = np.where(bad, floor[:, None], s)
    s = np.where(candidates, s, -np.inf)
    # ascending mid-ranks; non-candidates are -inf and take the lowest ranks, shift them off
    ranks = scipy.stats.rankdata(s, method="average", axis=1)
    n_out = (~candidates).sum(axis=1)
    pos = np.asarray(truth) & candidates
    n_pos = pos.sum(axis=1).astype(np.float64)
    n_neg = candidates.sum(axis=1) - n_pos
    rank_sum = np.where(pos, ranks - n_out[:, None], 0.0).sum(axis=1)
    u = rank_sum - n_pos * (n_pos + 1) / 2.0  # pairs (positive, negative) won by the positive
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = np.where((n_pos > 0) & (n_neg > 0), u / (n_pos * n_neg), np.nan)
    return out


def reach(top: NDArray[np.integer], counts: NDArray[np.integer], n_candidates: int) -> int:
    """How many distinct candidates appear in any query's top k (e.g. distinct users that the
    audiences of all films reach; higher means audiences are not all the same heavy users)."""
    top = np.asarray(top)
    real = np.arange(top.shape[1])[None, :] < np.asarray(counts)[:, None]
    seen = np.zeros(n_candidates, bool)
    seen[top[real]] = True
    return int(seen.sum())


def mean(values: FloatArray) -> float:
    """Macro average over queries, ignoring ``nan`` (queries without positives)."""
    v = np.asarray(values, np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if len(v) else float("nan")


Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


def paired_ratio_interval(a: FloatArray, b: FloatArray, z: float = Z_95
                          ) -> tuple[float, float, float]:
    """(ratio, low, high): ``R = mean(a) / mean(b)`` over queries scored by both models, and
    its confidence interval (95% by default) by the delta method on the paired differences.

    ``a`` and ``b`` are the same queries' values under two models (``nan`` where a query has
    nothing to score, dropped from both). The ratio's standard error is
    ``se = sd(a - R b) / (sqrt(n) mean(b))``: sampling noise over queries, pairing included
    (two models that miss on the same queries vary together). The interval is taken on the
    log scale, ``R exp(-+ z se / R)``, so it stays positive for non-negative metrics however
    few the queries (where it is wide). All three are ``nan`` with fewer than two queries or
    when ``mean(a)`` or ``mean(b)`` is 0.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need one shape, got {a.shape} and {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    n = len(a)
    if n < 2 or a.mean() == 0 or b.mean() == 0:
        return float("nan"), float("nan"), float("nan")
    ratio = float(a.mean() / b.mean())
    se = float(np.std(a - ratio * b, ddof=1) / (np.sqrt(n) * b.mean()))
    spread = float(np.exp(z * se / ratio))
    return ratio, ratio / spread, ratio * spread
