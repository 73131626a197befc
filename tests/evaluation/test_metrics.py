"""Ranking metrics against values computed by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from recommender.evaluation import metrics
from recommender.kernels.ranking import top_k_rows

LOG2_3 = math.log2(3)


def test_recall_and_ndcg_perfect_ranking() -> None:
    # candidates 0..3, positives {0, 2}; ranking 2, 0, 1 -> hits at ranks 1 and 2
    top = np.array([[2, 0, 1]])
    truth = np.array([[True, False, True, False]])
    hits = metrics.hits_at_k(top, np.array([3]), truth)
    assert hits.tolist() == [[True, True, False]]
    # recall = 2 hits / min(k=3, 2 positives) = 1
    assert metrics.recall_at_k(hits, np.array([2]))[0] == pytest.approx(1.0)
    # DCG = 1/log2(2) + 1/log2(3) = IDCG -> 1
    assert metrics.ndcg_at_k(hits, np.array([2]))[0] == pytest.approx(1.0)


def test_recall_and_ndcg_one_late_hit() -> None:
    # ranking 1, 3, 0 with positives {0, 2}: one hit, at rank 3
    top = np.array([[1, 3, 0]])
    truth = np.array([[True, False, True, False]])
    hits = metrics.hits_at_k(top, np.array([3]), truth)
    assert hits.tolist() == [[False, False, True]]
    # recall = 1 / min(3, 2) = 0.5
    assert metrics.recall_at_k(hits, np.array([2]))[0] == pytest.approx(0.5)
    # DCG = 1/log2(4) = 0.5 ; IDCG = 1 + 1/log2(3) = 1.63093 ; NDCG = 0.30657
    assert metrics.ndcg_at_k(hits, np.array([2]))[0] == pytest.approx(0.5 / (1 + 1 / LOG2_3))
    assert metrics.ndcg_at_k(hits, np.array([2]))[0] == pytest.approx(0.30657, abs=1e-5)


def test_recall_is_normalised_by_min_of_k_and_positives() -> None:
    # k = 2, three positives {0, 1, 2}; ranking 0, 3 -> 1 hit; recall = 1 / min(2, 3) = 0.5
    top = np.array([[0, 3]])
    truth = np.array([[True, True, True, False]])
    hits = metrics.hits_at_k(top, np.array([2]), truth)
    assert metrics.recall_at_k(hits, np.array([3]))[0] == pytest.approx(0.5)
    # ideal: 2 hits in 2 slots: IDCG = 1 + 1/log2(3); DCG = 1 -> 0.61315
    assert metrics.ndcg_at_k(hits, np.array([3]))[0] == pytest.approx(1 / (1 + 1 / LOG2_3))


def test_padding_slots_are_never_hits_and_queries_without_positives_are_nan() -> None:
    # only the first slot is real (count 1): candidate 2 in slot 2 is padding
    top = np.array([[0, 2], [1, 0]])
    truth = np.array([[True, False, True], [False, False, False]])
    hits = metrics.hits_at_k(top, np.array([1, 2]), truth)
    assert hits.tolist() == [[True, False], [False, False]]
    rec = metrics.recall_at_k(hits, np.array([2, 0]))
    assert rec[0] == pytest.approx(0.5) and math.isnan(rec[1])
    assert math.isnan(metrics.ndcg_at_k(hits, np.array([2, 0]))[1])
    # the macro mean skips the query with no positives
    assert metrics.mean(rec) == pytest.approx(0.5)


def test_auc_counts_won_pairs() -> None:
    # scores 0.9 0.8 0.7 0.6 0.5, positives at 0.9 and 0.7:
    # 0.9 beats all 3 negatives, 0.7 beats 0.6 and 0.5 but not 0.8 -> 5 of 6 pairs
    scores = np.array([[0.9, 0.8, 0.7, 0.6, 0.5]])
    truth = np.array([[True, False, True, False, False]])
    cand = np.ones_like(truth)
    assert metrics.auc(scores, truth, cand)[0] == pytest.approx(5 / 6)


def test_auc_ties_count_half_and_non_candidates_are_ignored() -> None:
    # positive 1.0 ties negative 1.0 (half a pair) and beats 0.0: 1.5 / 2
    scores = np.array([[1.0, 1.0, 0.0], [0.1, 0.9, 0.5]])
    truth = np.array([[True, False, False], [True, False, False]])
    cand = np.array([[True, True, True], [True, False, True]])
    out = metrics.auc(scores, truth, cand)
    assert out[0] == pytest.approx(0.75)
    # row 2: the 0.9 user is not a candidate; the only negative 0.5 beats the positive 0.1
    assert out[1] == pytest.approx(0.0)


def test_auc_matches_brute_force_pairs() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 6, size=(20, 30)).astype(float)  # many ties
    truth = rng.random((20, 30)) < 0.3
    cand = truth | (rng.random((20, 30)) < 0.8)
    got = metrics.auc(scores, truth, cand)
    for r in range(20):
        pos = scores[r][truth[r] & cand[r]]
        neg = scores[r][~truth[r] & cand[r]]
        if len(pos) == 0 or len(neg) == 0:
            assert math.isnan(got[r])
            continue
        wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
        assert got[r] == pytest.approx(wins / (len(pos) * len(neg)))


def test_auc_without_negatives_is_nan() -> None:
    out = metrics.auc(np.array([[0.3, 0.2]]), np.array([[True, True]]), np.array([[True, True]]))
    assert math.isnan(out[0])


def test_reach_counts_distinct_real_candidates() -> None:
    # query 1 reaches {0, 1}; query 2 reaches {1} (its slot 2 is padding) -> 2 distinct
    top = np.array([[0, 1], [1, 2]])
    assert metrics.reach(top, np.array([2, 1]), n_candidates=3) == 2


def test_paired_ratio_interval_of_equal_models_is_a_point() -> None:
    a = np.array([0.2, 0.5, 1.0, 0.0, np.nan])
    assert metrics.paired_ratio_interval(a, a.copy()) == (1.0, 1.0, 1.0)


def test_paired_ratio_interval_edge_cases() -> None:
    nan3 = metrics.paired_ratio_interval(np.array([0.5]), np.array([0.4]))
    assert all(math.isnan(x) for x in nan3)  # one query: no spread to estimate
    nan3 = metrics.paired_ratio_interval(np.array([0.5, 0.1]), np.zeros(2))
    assert all(math.isnan(x) for x in nan3)  # the baseline scores nothing
    # nan in either model drops the query from both
    r, lo, hi = metrics.paired_ratio_interval(np.array([1.0, 0.0, 9.0]),
                                              np.array([0.5, 0.5, np.nan]))
    assert r == pytest.approx(1.0) and lo < 1.0 < hi
    # few queries: a wide interval, but on the ratio's own side of 0 (log scale)
    r, lo, hi = metrics.paired_ratio_interval(np.array([1.0, 0, 0, 0, 0]),
                                              np.array([0, 0, 0, 0, 1.0]))
    assert r == 1.0 and 0 < lo < 0.2 and hi > 5 and lo * hi == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one shape"):
        metrics.paired_ratio_interval(np.zeros(3), np.zeros(4))


def test_paired_ratio_interval_agrees_with_a_bootstrap() -> None:
    # correlated per-query recalls of two models: the delta-method interval against the
    # percentile bootstrap (resampling queries with both models' values together)
    rng = np.random.default_rng(7)
    base = rng.beta(2, 5, 3000)
    a = np.clip(base + rng.normal(0.01, 0.05, 3000), 0, 1)
    b = np.clip(base + rng.normal(0.0, 0.05, 3000), 0, 1)
    r, lo, hi = metrics.paired_ratio_interval(a, b)
    idx = rng.integers(0, 3000, (4000, 3000))
    boot = a[idx].mean(axis=1) / b[idx].mean(axis=1)
    blo, bhi = np.quantile(boot, [0.025, 0.975])
    assert r == pytest.approx(a.mean() / b.mean())
    assert lo == pytest.approx(blo, abs=0.1 * (bhi - blo))
    assert hi == pytest.approx(bhi, abs=0.1 * (bhi - blo))


def test_paired_ratio_interval_covers_the_true_ratio_95_times_in_100() -> None:
    # 1,000 replications of 400 queries whose true mean ratio is 1.1: the interval must
    # contain 1.1 about 95% of the time (binomial sd 0.7%, so 93-97% is about 3 sd).
    # b hits with p 0.3; a copies b on 90% of queries and hits with p 0.6 on the others,
    # so E[a] = 0.9 x 0.3 + 0.1 x 0.6 = 0.33 = 1.1 x E[b]
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(1000):
        b = rng.binomial(1, 0.3, 400).astype(float)
        a = np.where(rng.random(400) < 0.9, b, rng.binomial(1, 0.6, 400))
        _, lo, hi = metrics.paired_ratio_interval(a, b)
        hits += lo <= 1.1 <= hi
    assert 930 <= hits <= 970


def test_expected_hits_count_a_tie_at_the_cut_by_its_expectation() -> None:
    """Against every order of the tied candidates (brute force): the mean hits of a top-k cut
    over all orders that keep the scores' order. Rows with a tie at the cut, a tie wholly
    inside the top k, no tie, fewer candidates than k (``-inf``: not a candidate), all tied."""
    rng = np.random.default_rng(3)
    rows = [rng.integers(0, 3, 6).astype(np.float32) for _ in range(20)]
    rows += [np.array([5, 4, 4, 4, 1, 0], np.float32),
             np.array([3, 3, 2, 1, -np.inf, -np.inf], np.float32),
             np.array([1, -np.inf, -np.inf, 2, -np.inf, -np.inf], np.float32),
             np.zeros(6, np.float32)]
    scores = np.stack(rows)
    truth = rng.random(scores.shape) < 0.4
    for k in (1, 2, 3, 5, 6, 8):
        got = metrics.expected_hits_at_k(scores, truth, k)
        for r in range(len(scores)):
            cand = np.flatnonzero(np.isfinite(scores[r]))
            total, n = 0, 0
            for order in itertools.permutations(cand.tolist()):
                ranked = sorted(order, key=lambda i: -scores[r, i])  # stable: the tie's order
                total += int(truth[r, ranked[:k]].sum())
                n += 1
            assert got[r] == pytest.approx(total / n), (k, r)
    # without a tie at the cut: the plain top-k hits
    distinct = rng.permutation(50).astype(np.float32).reshape(5, 10)
    top, counts = top_k_rows(distinct, 4)
    t = rng.random(distinct.shape) < 0.5
    assert (metrics.expected_hits_at_k(distinct, t, 4)
            == metrics.hits_at_k(top, counts, t).sum(axis=1)).all()


def test_expected_hits_take_nan_as_no_candidate_and_count_inf() -> None:
    """NaN is no candidate (as ``top_k_rows`` counts it, and -inf), and +inf is one: a row
    with fewer than k non-NaN scores had its k-th score NaN, and counted no hit at all; a
    row of k or more +inf scores had its k-th score +inf, and counted none either."""
    nan, inf = np.nan, np.inf
    scores = np.array([[nan, nan, nan, 1.0, 0.5],
                       [1.0, nan, nan, nan, -inf],
                       [inf, inf, inf, 1.0, 0.0],
                       [inf, 2.0, nan, 1.0, 1.0]], np.float32)
    truth = np.array([[True, True, False, True, True],
                      [True, True, True, True, True],
                      [True, False, False, True, True],
                      [True, True, True, False, True]])
    for k in (1, 2, 3, 4):
        got = metrics.expected_hits_at_k(scores, truth, k)
        top, counts = top_k_rows(scores, k)
        plain = metrics.hits_at_k(top, counts, truth).sum(axis=1)
        # rows 0, 1 and 3 have no tie at any of these cuts but row 3's at k=3: the plain hits
        assert got[0] == plain[0] and got[1] == plain[1], (k, got, plain)
        want_inf = {1: 1 / 3, 2: 2 / 3, 3: 1.0, 4: 2.0}[k]  # one of the three +inf is a hit
        assert got[2] == pytest.approx(want_inf), (k, got)
        want_3 = {1: 1.0, 2: 2.0, 3: 2.5, 4: 3.0}[k]
        assert got[3] == pytest.approx(want_3), (k, got)


def test_auc_ranks_a_nan_or_minus_inf_candidate_last_and_keeps_the_row() -> None:
    """A candidate a scorer gave -inf or NaN ranks below every finite score (it is in no top
    k): -inf tied with the non-candidates shifted off, so a positive there won -0.5 pairs
    (AUC -0.5), and a NaN made every rank of its row NaN (the film left the mean, and one
    NaN per film printed no AUC at all)."""
    nan, inf = np.nan, np.inf
    scores = np.array([[-inf, 1.0, 7.0], [0.9, nan, 0.5], [nan, 2.0, 1.0]])
    truth = np.array([[True, False, False], [True, False, False], [True, False, False]])
    cand = np.array([[True, True, False], [True, True, True], [True, True, True]])
    out = metrics.auc(scores, truth, cand)
    assert out.tolist() == [0.0, 1.0, 0.0]
    rng = np.random.default_rng(5)
    s = rng.integers(0, 4, size=(30, 12)).astype(float)
    s[rng.random(s.shape) < 0.2] = -inf
    s[rng.random(s.shape) < 0.2] = nan
    s[rng.random(s.shape) < 0.05] = inf
    truth = rng.random(s.shape) < 0.3
    cand = truth | (rng.random(s.shape) < 0.7)
    got = metrics.auc(s, truth, cand)
    low = np.where(np.isnan(s) | (s == -inf), -1.0, s)  # below every finite score, tied
    for r in range(len(s)):
        pos, neg = low[r][truth[r] & cand[r]], low[r][~truth[r] & cand[r]]
        if len(pos) == 0 or len(neg) == 0:
            assert math.isnan(got[r])
            continue
        wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
        assert got[r] == pytest.approx(wins / (len(pos) * len(neg))), r
