"""Scoring one model on one split: audience- and user-direction metrics, and their summaries.

Metrics (see :mod:`recommender.evaluation.metrics`) are computed in both directions:

- audience (film -> users), the main one: for every film with at least ``min_viewers`` test
  viewers, every evaluated user who had not watched it is ranked; recall@k (hits / min(k,
  test viewers)), NDCG@k and AUC are macro-averaged over films; ``audience_reach@k`` counts the
  distinct users that the top-k audiences of all known films reach.
- user (user -> films): recall@k and NDCG@k over users with at least one test film, and the
  number of distinct films recommended (catalog coverage).

Recall counts a tie that the cut at k splits by its expected hits over the tie's orders
(``metrics.expected_hits_at_k``), so no scorer's figure depends on the index order its ties
were filled in; NDCG and reach read the ranking as ``top_k_rows`` fills it (index order within
a tie). The search inside ``train`` counts its validation recall's ties the same way
(``model.validation``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.evaluation import metrics
from recommender.evaluation.baselines import Scorer
from recommender.evaluation.splits import Split
from recommender.kernels.ranking import top_k_rows
from recommender.model.validation import combined

MIN_VIEWERS = 5
USER_K = 20
ENGINE = "engine"  # the engine's name in reports; ratios are taken to it


def score_split(scorer: Scorer, split: Split, k: int = 100, user_k: int = USER_K,
                min_viewers: int = MIN_VIEWERS, block_cells: int = 4_000_000,
                per_query: dict[str, NDArray[np.float64]] | None = None) -> dict[str, Any]:
    """Audience- and user-direction metrics of ``scorer`` on ``split`` (see the module doc).

    ``nan_scores`` counts the candidate cells (both directions) the scorer gave NaN: they rank
    no one, as ``-inf`` does, so a scorer of NaN alone reads as recall 0 (``evaluate`` warns).

    ``per_query``, when given, receives each recall's per-query values under the metric's name,
    in index order, over the queries its mean averages (films with ``min_viewers``+ test
    viewers, users with a test film): the split decides them, not the scorer, so two models'
    values on one split pair up query by query."""
    users, films = split.users, split.films
    hist = split.history.to_csr()[users][:, films]  # evaluated users x known films
    test = split.test.to_csr()[users][:, films]
    out: dict[str, Any] = {}

    # audience direction: queries are films, candidates the evaluated users
    hist_f = hist.T.tocsr()
    test_f = test.T.tocsr()
    n_viewers = np.diff(test_f.indptr)
    rec, ndcg, auc_v = [], [], []
    nan_cells = 0
    reached = np.zeros(len(users), bool)
    # a scorer may rank audiences without what it adds to recommendations (the engine's prior)
    audience_score = getattr(scorer, "audience_score", scorer.score)
    step = max(1, block_cells // max(len(users), 1))
    for start in range(0, len(films), step):
        blk = np.arange(start, min(start + step, len(films)))
        scores = audience_score(users, films[blk]).T.astype(np.float32)
        seen = hist_f[blk].toarray() > 0
        scores[seen] = -np.inf
        nan_cells += int(np.isnan(scores).sum())
        top, counts = top_k_rows(scores, k)
        real = np.arange(top.shape[1])[None, :] < counts[:, None]
        reached[top[real]] = True
        sel = np.flatnonzero(n_viewers[blk] >= min_viewers)
        if len(sel):
            truth = test_f[blk[sel]].toarray() > 0
            hits = metrics.hits_at_k(top[sel], counts[sel], truth)
            rec.append(metrics.recall_of_hits(metrics.expected_hits_at_k(scores[sel], truth, k),
                                              n_viewers[blk[sel]], k))
            ndcg.append(metrics.ndcg_at_k(hits, n_viewers[blk[sel]]))
            auc_v.append(metrics.auc(scores[sel], truth, ~seen[sel]))
    out[f"audience_recall@{k}"] = _avg(rec)
    if per_query is not None:
        per_query[f"audience_recall@{k}"] = np.concatenate(rec) if rec else np.zeros(0)
    out[f"audience_ndcg@{k}"] = _avg(ndcg)
    out["audience_auc"] = _avg(auc_v)
    out[f"audience_reach@{k}"] = int(reached.sum())
    out[f"audience_reach_share@{k}"] = round(float(reached.mean()), 4) if len(users) else 0.0
    out["films_evaluated"] = int((n_viewers >= min_viewers).sum())

    # user direction: queries are users, candidates the known films
    n_test = np.diff(test.indptr)
    rec, ndcg = [], []
    covered = np.zeros(len(films), bool)
    step = max(1, block_cells // max(len(films), 1))
    for start in range(0, len(users), step):
        blk = np.arange(start, min(start + step, len(users)))
        scores = scorer.score(users[blk], films).astype(np.float32)
        scores[hist[blk].toarray() > 0] = -np.inf
        nan_cells += int(np.isnan(scores).sum())
        top, counts = top_k_rows(scores, user_k)
        real = np.arange(top.shape[1])[None, :] < counts[:, None]
        covered[top[real]] = True
        sel = np.flatnonzero(n_test[blk] > 0)
        if len(sel):
            truth = test[blk[sel]].toarray() > 0
            hits = metrics.hits_at_k(top[sel], counts[sel], truth)
            rec.append(metrics.recall_of_hits(
                metrics.expected_hits_at_k(scores[sel], truth, user_k), n_test[blk[sel]],
                user_k))
            ndcg.append(metrics.ndcg_at_k(hits, n_test[blk[sel]]))
    out[f"user_recall@{user_k}"] = _avg(rec)
    if per_query is not None:
        per_query[f"user_recall@{user_k}"] = np.concatenate(rec) if rec else np.zeros(0)
    out[f"user_ndcg@{user_k}"] = _avg(ndcg)
    out[f"user_coverage@{user_k}"] = int(covered.sum())
    out["users_evaluated"] = int((n_test > 0).sum())
    out["nan_scores"] = nan_cells
    return out


def _avg(parts: list[NDArray[np.float64]]) -> float:
    if not parts:
        return float("nan")
    return round(metrics.mean(np.concatenate(parts)), 5)


def objective(result: dict[str, Any], k: int, user_k: int = USER_K) -> float:
    """What tuning maximises: the geometric mean of audience recall@k and user recall@user_k
    (``recommender.model.validation.combined``; a NaN direction is skipped)."""
    a, u = result[f"audience_recall@{k}"], result[f"user_recall@{user_k}"]
    return combined([(a, float("nan")), (u, float("nan"))])[0]


def headline(k: int, user_k: int = USER_K) -> list[str]:
    return [f"audience_recall@{k}", f"audience_ndcg@{k}", "audience_auc",
            f"user_recall@{user_k}", f"user_ndcg@{user_k}"]


def ratios(models: dict[str, dict[str, Any]], k: int, user_k: int = USER_K
           ) -> dict[str, dict[str, float]]:
    """Each model's metric divided by the engine's, on the headline metrics."""
    base = models.get(ENGINE)
    if base is None:
        return {}
    out: dict[str, dict[str, float]] = {}
    for name, res in models.items():
        out[name] = {}
        for key in headline(k, user_k):
            a, b = res.get(key, float("nan")), base.get(key, float("nan"))
            out[name][key] = round(a / b, 4) if b and not math.isnan(a) and not math.isnan(b) \
                else float("nan")
    return out


def engine_ratio_intervals(per_query: dict[str, dict[str, NDArray[np.float64]]]
                           ) -> dict[str, dict[str, list[float]]]:
    """For each model other than the engine, and each metric ``score_split`` gave per query:
    the 95% interval ``[low, high]`` of engine / model (``metrics.paired_ratio_interval``,
    rounded to 4 digits; ``nan`` where it cannot be estimated). The engine's own values are
    the first of each pair, so an interval above 1 says the engine wins beyond sampling noise
    over these queries."""
    base = per_query.get(ENGINE)
    if base is None:
        return {}
    out: dict[str, dict[str, list[float]]] = {}
    for name, values in per_query.items():
        if name == ENGINE:
            continue
        out[name] = {}
        for metric, own in values.items():
            _, lo, hi = metrics.paired_ratio_interval(base[metric], own)
            out[name][metric] = [round(lo, 4), round(hi, 4)]
    return out


def objective_key(x: float) -> float:
    """Sort key for objectives: NaN (nothing to measure) ranks below every real value."""
    return -1.0 if math.isnan(x) else x
