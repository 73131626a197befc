"""The search's validation scoring, worked out once per split (``QueryPlan``) and counted from
the partition and the positives' cells, gives exactly what the dense per-trial scoring gave.

Oracle: the dense implementation the plan replaced, kept here as written before (each block's
history and test slices made dense, the tie counts from full-size comparisons); results are
compared bit for bit, and a whole search's report with it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from test_tuning import planted_groups

from recommender.model import trials, tuning, validation
from recommender.model.config import TrainConfig
from recommender.model.prior import with_prior
from recommender.model.validation import expected_hits_at_k, query_recalls, recall_of_hits


def dense_expected_hits(scores: np.ndarray, truth: np.ndarray, k: int) -> np.ndarray:
    s = np.asarray(scores)
    if np.isnan(s).any():
        s = np.where(np.isnan(s), -np.inf, s)
    q, n = s.shape
    kk = min(int(k), n)
    if kk <= 0 or q == 0:
        return np.zeros(q, np.float64)
    kth = -np.partition(-s, kk - 1, axis=1)[:, kk - 1:kk]
    above = s > kth
    tied = (s == kth) & (s > -np.inf)
    n_tied = tied.sum(axis=1)
    slots = np.clip(kk - above.sum(axis=1), 0, n_tied)
    share = np.where(n_tied > 0, slots / np.maximum(n_tied, 1), 0.0)
    return np.asarray((above & truth).sum(axis=1) + share * (tied & truth).sum(axis=1),
                      np.float64)


def dense_query_recalls(uf: np.ndarray, ff: np.ndarray, seen: sp.csr_matrix,
                        held: sp.csr_matrix, k: int = 100, user_k: int = 20,
                        min_viewers: int = 5, min_films: int = 100, max_queries: int = 2000,
                        seed: int = 0, block_cells: int = 4_000_000,
                        film_prior: np.ndarray | None = None, plan: Any = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    seen, held = sp.csr_matrix(seen), sp.csr_matrix(held)
    users = np.flatnonzero(np.diff(seen.indptr) > 0)
    films = np.flatnonzero(np.bincount(seen.indices, minlength=seen.shape[1]) > 0)
    hist, test = seen[users][:, films], held[users][:, films]
    test.data[:] = 1
    hist.data[:] = 1
    u, f = np.asarray(uf, np.float32)[users], np.asarray(ff, np.float32)[films]

    def sample(c: np.ndarray) -> np.ndarray:
        return c if len(c) <= max_queries else np.sort(rng.choice(c, max_queries, replace=False))

    def direction(qf: np.ndarray, cf: np.ndarray, h: sp.csr_matrix, t: sp.csr_matrix,
                  queries: np.ndarray, kk: int) -> np.ndarray:
        n_pos, rec = np.diff(t.indptr), []
        step = max(1, block_cells // max(len(cf), 1))
        for start in range(0, len(queries), step):
            blk = queries[start:start + step]
            scores = qf[blk] @ cf.T
            scores[h[blk].toarray() > 0] = -np.inf
            rec.append(recall_of_hits(dense_expected_hits(scores, t[blk].toarray() > 0, kk),
                                      n_pos[blk], kk))
        return np.concatenate(rec) if rec else np.zeros(0)

    hist_f, test_f = hist.T.tocsr(), test.T.tocsr()
    n_viewers = np.diff(test_f.indptr)
    bar = min_viewers
    while bar > 2 and int((n_viewers >= bar).sum()) < min_films:
        bar -= 1
    audience = direction(f, u, hist_f, test_f, sample(np.flatnonzero(n_viewers >= bar)), k)
    qu = sample(np.flatnonzero(np.diff(test.indptr) > 0))
    if film_prior is not None:
        u, f = with_prior(u, f, np.asarray(film_prior, np.float32)[films])
    return audience, direction(u, f, hist, test, qu, user_k)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and \
        bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [50, 3000])  # long rows: only the values over a bound partitioned
def test_expected_hits_match_the_dense_count_bit_for_bit(seed: int, n: int,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    widths: list[int] = []
    real_count = validation._count

    def count(part: np.ndarray, *a: Any) -> None:
        widths.append(part.shape[1])
        real_count(part, *a)

    monkeypatch.setattr(validation, "_count", count)
    rng = np.random.default_rng(seed)
    q = 7
    scores = np.round(rng.normal(size=(q, n)), 1 + seed % 3).astype(np.float32)  # many ties
    scores[rng.random((q, n)) < 0.1] = -np.inf
    scores[rng.random((q, n)) < 0.05] = np.nan
    scores[rng.random((q, n)) < 0.03] = np.inf
    scores[0] = 0.0  # a row all tied
    scores[1] = -np.inf  # a row with no candidate
    scores[2, :3] = -0.0
    scores[3, ::2] = 5.0  # a row of many ties at the top
    truth = rng.random((q, n)) < 0.3
    for k in (0, 1, 5, 20, 40, n, n + 10):
        for s, t in ((scores, truth), (scores.astype(np.float64), truth),
                     (np.delete(scores, [0, 1, 3], 0), np.delete(truth, [0, 1, 3], 0))):
            assert same(expected_hits_at_k(s, t, k), dense_expected_hits(s, t, k))
    if n > 64 * 5:  # the long rows were partitioned over their values at the bound only
        assert min(widths) < n // 16
    ints = np.round(rng.normal(size=(q, n)) * 3).astype(np.int64)
    assert same(expected_hits_at_k(ints, truth, 5), dense_expected_hits(ints, truth, 5))


def _log(n_users: int, n_films: int, seed: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    rng = np.random.default_rng(seed)
    seen = rng.random((n_users, n_films)) < 0.2
    seen[:3] = False  # users and films with no training interaction are no candidates
    seen[:, :2] = False
    held = (rng.random((n_users, n_films)) < 0.15) & ~seen
    return sp.csr_matrix(seen.astype(np.float32)), sp.csr_matrix(held.astype(np.float32))


@pytest.mark.parametrize("seed", range(4))
def test_query_recalls_with_a_plan_match_the_dense_scoring(seed: int) -> None:
    seen, held = _log(90, 70, seed)
    rng = np.random.default_rng(seed + 10)
    settings = {"k": 10, "user_k": 5, "min_films": 3, "max_queries": 40, "seed": seed,
                "block_cells": 500}  # several blocks, sampled queries
    plan = validation.QueryPlan(seen, held, 5, 3, 40, seed, 500)
    for trial in range(4):  # one plan serves every factor pair; ties from rounded factors
        uf = np.round(rng.normal(size=(90, 3)), trial).astype(np.float32)
        ff = np.round(rng.normal(size=(70, 3)), trial).astype(np.float32)
        prior = None if trial % 2 else rng.random(70).astype(np.float32)
        want = dense_query_recalls(uf, ff, seen, held, film_prior=prior, **settings)
        for got in (query_recalls(uf, ff, seen, held, film_prior=prior, plan=plan, **settings),
                    query_recalls(uf, ff, seen, held, film_prior=prior, **settings)):
            assert len(got[0]) and len(got[1])
            assert same(got[0], want[0]) and same(got[1], want[1])
    with pytest.raises(ValueError, match="another split"):
        query_recalls(uf, ff, seen.copy(), held, plan=plan, **settings)


def test_a_search_builds_its_plan_once_and_reports_what_the_dense_scoring_did(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = planted_groups()
    cfg = replace(TrainConfig(factors=8, iterations=4, segments=2, tune=True),
                  fixed=("factors",))
    built: list[int] = []
    real_plan = trials.QueryPlan

    def counted(*a: Any, **k: Any) -> Any:
        built.append(1)
        return real_plan(*a, **k)

    monkeypatch.setattr(trials, "QueryPlan", counted)
    chosen, report = tuning.tune(data, cfg)
    assert report["status"] == "searched" and len(report["trials"]) > 10
    assert built == [1]
    monkeypatch.setattr(trials, "query_recalls", dense_query_recalls)
    chosen_d, report_d = tuning.tune(data, cfg)

    assert chosen == chosen_d
    assert tuning.timeless(report) == tuning.timeless(report_d)
