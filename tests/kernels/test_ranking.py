"""The ranking kernels, tier boundaries and tier-conversion calibration, against brute force
and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import brute_order, tier_names

from recommender.errors import InvalidParameterError
from recommender.kernels.ranking import rank_of, top_k, top_k_rows
from recommender.model import calibration
from recommender.model.calibration_fit import bin_counts, hit_ranks
from recommender.model.config import DEFAULT_TIERS
from recommender.query.audience import check_k, tier_bounds, tier_of

CUSTOM_TIERS = (("vip", 0.5), ("warm", 9.5), ("wide", 40.0))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [False, True])
def test_top_k_equals_lexsort(seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    scores = (rng.integers(-3, 4, n) if ties else rng.normal(size=n)).astype(np.float32)
    scores[rng.random(n) < 0.2] = -np.inf  # excluded entries are never returned
    full = brute_order(scores, np.flatnonzero(scores > -np.inf))
    for k in (1, 2, 5, n // 2 + 1, n, n + 10):
        assert np.array_equal(top_k(scores, k), full[:k]), k


def test_top_k_ties_at_cutoff_pick_lowest_indices() -> None:
    scores = np.array([1, 5, 3, 3, 3, 3, 0, 3], np.float32)
    assert top_k(scores, 3).tolist() == [1, 2, 3]
    assert top_k(scores, 5).tolist() == [1, 2, 3, 4, 5]
    assert top_k(np.zeros(5, np.float32), 2).tolist() == [0, 1]
    assert top_k(np.full(4, -np.inf, np.float32), 3).tolist() == []


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("ties", [False, True])
def test_top_k_rows_equals_lexsort_per_row(seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    scores = (rng.integers(-2, 3, size=(7, 90)) if ties else rng.normal(size=(7, 90))
              ).astype(np.float32)
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    scores[3] = -np.inf  # a row with no candidate at all
    for k in (1, 10, 33, 90, 200):
        idx, counts = top_k_rows(scores, k)
        for r in range(scores.shape[0]):
            full = brute_order(scores[r], np.flatnonzero(scores[r] > -np.inf))
            assert counts[r] == min(k, len(full))
            assert np.array_equal(idx[r, : counts[r]], full[:k])


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("excluded", [0.0, 0.5, 0.995])  # 0.995: too few left, exact fallback
def test_top_k_rows_on_long_rows_equals_lexsort(ties: bool, excluded: float) -> None:
    """Rows past the prefilter length take the candidate-set path; it must give the order of
    a full sort per row, ties at the cut-off to the lower index included."""
    rng = np.random.default_rng(11)
    n = 30_000
    scores = (rng.integers(-50, 50, size=(5, n)) if ties else rng.normal(size=(5, n))
              ).astype(np.float32)
    scores[rng.random(scores.shape) < excluded] = -np.inf
    scores[2, :: 7] = scores[2].max()  # many ties at the very top of one row
    for k in (1, 100, 256, 1000):
        idx, counts = top_k_rows(scores, k)
        for r in range(scores.shape[0]):
            full = brute_order(scores[r], np.flatnonzero(scores[r] > -np.inf))
            assert counts[r] == min(k, len(full))
            assert np.array_equal(idx[r, : counts[r]], full[:k])
            assert np.array_equal(idx[r, : counts[r]], top_k(scores[r], k))


@pytest.mark.parametrize("n,picked", [(300, 40), (30_000, 400)])  # comparison / sort branch
@pytest.mark.parametrize("ties", [False, True])
def test_rank_of_is_position_in_full_order(ties: bool, n: int, picked: int) -> None:
    rng = np.random.default_rng(3)
    scores = (rng.integers(0, 5, n) if ties else rng.normal(size=n)).astype(np.float32)
    scores[:20] = -np.inf
    full = brute_order(scores, np.flatnonzero(scores > -np.inf))
    position = {int(u): r + 1 for r, u in enumerate(full)}
    pick = rng.choice(full, size=picked, replace=False)
    expected = np.array([position[int(i)] for i in pick])
    assert np.array_equal(rank_of(scores, pick), expected)


@pytest.mark.parametrize("tiers", [DEFAULT_TIERS, CUSTOM_TIERS, (("all", 100.0),)])
@pytest.mark.parametrize("total", [0, 1, 2, 7, 99, 100, 101, 1000, 12345])
def test_tier_bounds_partition_the_ranking(total: int, tiers: tuple[tuple[str, float], ...]
                                           ) -> None:
    bounds = tier_bounds(total, tiers)
    assert [b[0] for b in bounds] == [t[0] for t in tiers]
    # contiguous, starting at rank 1, each ending at ceil(total x cumulative share)
    expected_start, cum = 1, 0.0
    for (_, start, end), (_, share) in zip(bounds, tiers, strict=True):
        cum += share
        assert start == expected_start
        assert end == min(total, math.ceil(round(total * cum / 100, 9)))
        expected_start = max(start, end + 1)
    ranks = np.arange(1, total + 1)
    assert tier_of(ranks, total, tiers) == tier_names(total, tiers)


def test_default_tier_sizes_are_1_4_15_percent() -> None:
    bounds = tier_bounds(10_000)
    assert bounds == [("core", 1, 100), ("extended", 101, 500), ("broad", 501, 2000)]


@pytest.mark.parametrize("bad", [(), (("a", 0.0),), (("a", 60.0), ("b", 50.0)), (("a", -1.0),)])
def test_bad_tiers_raise(bad: tuple[tuple[str, float], ...]) -> None:
    with pytest.raises(InvalidParameterError):
        tier_bounds(100, bad)


def test_check_k() -> None:
    check_k(1)
    check_k(100, 5)
    for k, offset in ((0, 0), (-1, 0), (100_001, 0), (10, -1)):
        with pytest.raises(InvalidParameterError):
            check_k(k, offset)
    with pytest.raises(InvalidParameterError, match="k must be"):
        check_k(11, 0, max_k=10)


def test_conversion_against_hand_computed_bins() -> None:
    hits = np.zeros(1000, np.int64)
    cands = np.full(1000, 10, np.int64)
    hits[:10] = 5      # 0-1%: 50 hits / 100 candidates
    hits[10:50] = 2    # 1-5%: 80 / 400
    hits[50:200] = 1   # 5-20%: 150 / 1500
    hits[200:] = 0
    cal = {"hits": hits.tolist(), "candidates": cands.tolist()}
    assert calibration.conversion(cal, 0, 1) == pytest.approx(0.5)
    assert calibration.conversion(cal, 1, 5) == pytest.approx(0.2)
    assert calibration.conversion(cal, 5, 20) == pytest.approx(0.1)
    assert calibration.conversion(cal, 0, 20) == pytest.approx(280 / 2000)
    assert calibration.base_rate(cal) == pytest.approx(280 / 10_000)
    assert calibration.conversion(cal, 0.5, 1.0) == pytest.approx(25 / 50)  # bins 5..9
    assert calibration.conversion({}, 0, 1) is None
    empty = {"hits": [0] * 1000, "candidates": [0] * 1000}
    assert calibration.conversion(empty, 0, 1) is None


def test_held_out_ranks_count_into_bins_by_hand() -> None:
    # one film, ten users; user i scores 10 - i; user 0 watched it in the fitted part
    uf = (10 - np.arange(10, dtype=np.float32))[:, None]
    ff = np.ones((1, 1), np.float32)
    seen = sp.csr_matrix(np.array([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]], np.float32))
    # held out: users 3 and 7 are hits; user 0 is held out too but was already seen
    held = sp.csr_matrix(np.array([[1, 0, 0, 1, 0, 0, 0, 1, 0, 0]], np.float32))
    per_film = hit_ranks(uf, ff, seen, held, np.array([0]), None, 64)
    hits, cands = bin_counts(per_film)
    cal = {"hits": hits.tolist(), "candidates": cands.tolist()}
    # 9 candidates (users 1..9) ranked 1..9; rank r falls in bin floor((r - 1) * 1000 / 9)
    expected_cands = np.zeros(1000, np.int64)
    expected_cands[[(r - 1) * 1000 // 9 for r in range(1, 10)]] = 1
    assert np.array_equal(cands, expected_cands)
    expected_hits = np.zeros(1000, np.int64)
    expected_hits[[(3 - 1) * 1000 // 9, (7 - 1) * 1000 // 9]] = 1  # ranks 3 and 7
    assert np.array_equal(hits, expected_hits)
    assert len(per_film) == 1
    assert calibration.conversion(cal, 0, 100) == pytest.approx(2 / 9)
    assert calibration.conversion(cal, 0, 25) == pytest.approx(1 / 3)  # ranks 1-3


def test_a_film_whose_candidates_all_tie_is_not_measured() -> None:
    """A zero film vector (nothing fitted) ties every candidate: its held-out viewers would
    all take rank 1, as if the model had ranked them first. It counts as no candidates, so
    the best ranks' hit rate is that of the ranked film alone (the oracle: counted by hand)."""
    uf = (10 - np.arange(10, dtype=np.float32))[:, None]
    ff = np.array([[1.0], [0.0]], np.float32)  # film 1: nothing fitted
    seen = sp.csr_matrix(np.zeros((2, 10), np.float32))
    held = sp.csr_matrix(np.array([[0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
                                   [0, 0, 0, 0, 0, 1, 1, 1, 0, 0]], np.float32))
    per_film = hit_ranks(uf, ff, seen, held, np.array([0, 1]), None, 64)
    assert per_film[0][0] == 10 and per_film[0][1].tolist() == [3]
    assert per_film[1][0] == 0 and len(per_film[1][1]) == 0
    hits, cands = bin_counts(per_film)
    assert hits.sum() == 1 and cands.sum() == 10  # the ranked film only


@pytest.mark.parametrize("n", [500, 30_000])  # plain and prefiltered paths
@pytest.mark.parametrize("ties", [False, True])
def test_settled_rankings_follow_exact_dot_products(n: int, ties: bool) -> None:
    """settle_top_k / settled_rank_of order by the exact dot product (float64, rounded once),
    ties to the lower index, whatever rounding the first (BLAS) scores carried."""
    from recommender.kernels.ranking import exact_dots, score_slack, settle_top_k, settled_rank_of

    rng = np.random.default_rng(5)
    rows = (rng.integers(-3, 4, size=(n, 8)) if ties else rng.normal(size=(n, 8))
            ).astype(np.float32)
    vector = (rng.integers(-2, 3, 8) if ties else rng.normal(size=8)).astype(np.float32)
    exact = (rows.astype(np.float64) @ vector.astype(np.float64)).astype(np.float32)
    slack = score_slack(8, float(np.linalg.norm(rows, axis=1).max()),
                        float(np.linalg.norm(vector)))
    # first scores off by up to the bound, as another BLAS kernel could be
    noisy = (exact + rng.uniform(-slack, slack, n)).astype(np.float32)
    excluded = rng.random(n) < 0.2
    noisy[excluded] = -np.inf
    valid = np.flatnonzero(~excluded)
    full = brute_order(exact, valid)
    assert np.array_equal(exact_dots(rows, valid, vector), exact[valid])
    for k in (1, 10, 100, len(valid) + 5):
        top, scores = settle_top_k(noisy, k, rows, vector, slack)
        assert np.array_equal(top, full[:k])
        assert np.array_equal(scores, exact[full[:k]])
    position = np.empty(n, np.int64)
    position[full] = np.arange(1, len(full) + 1)
    pick = rng.choice(valid, size=50, replace=False)
    got = settled_rank_of(noisy, pick, exact[pick], rows, vector, slack)
    assert np.array_equal(got, position[pick])


@pytest.mark.parametrize("n", [500, 30_000])  # plain and prefiltered top_k_rows paths
@pytest.mark.parametrize("ties", [False, True])
def test_settle_rows_equals_brute_force_per_row(n: int, ties: bool) -> None:
    """settle_rows settles a whole block: each row by exact dot products (float64, rounded
    once), ties to the lower index, whatever rounding each row's first scores carried."""
    from recommender.kernels.ranking import score_slack, settle_rows, settled_top_k_rows

    rng = np.random.default_rng(6)
    rows = (rng.integers(-3, 4, size=(n, 8)) if ties else rng.normal(size=(n, 8))
            ).astype(np.float32)
    vectors = (rng.integers(-2, 3, (6, 8)) if ties else rng.normal(size=(6, 8))
               ).astype(np.float32)
    exact = (vectors.astype(np.float64) @ rows.astype(np.float64).T).astype(np.float32)
    max_norm = float(np.linalg.norm(rows, axis=1).max())
    slacks = np.array([score_slack(8, max_norm, float(np.linalg.norm(v))) for v in vectors])
    noisy = (exact + rng.uniform(-1, 1, exact.shape) * slacks[:, None]).astype(np.float32)
    noisy[rng.random(noisy.shape) < 0.2] = -np.inf
    noisy[4, 3:] = -np.inf  # a row with fewer candidates than k
    noisy[5] = -np.inf  # and one with none
    for k in (1, 10, 100):
        first, counts = top_k_rows(noisy, k)
        # the whole-block comparison, and the prefilter's candidates (on long rows, when no
        # row is short: the 5 full rows alone)
        for got, got_exact, got_counts, picked in (
                (*settle_rows(noisy, first, counts, k, rows, vectors, slacks), range(6)),
                (*settled_top_k_rows(noisy, k, rows, vectors, slacks), range(6)),
                (*settled_top_k_rows(noisy[:4], k, rows, vectors[:4], slacks[:4]), range(4))):
            assert got.shape == got_exact.shape == (len(picked), k)
            for r in picked:
                want = brute_order(exact[r], np.flatnonzero(noisy[r] > -np.inf))[:k]
                assert got_counts[r] == len(want)
                assert np.array_equal(got[r, :len(want)], want)
                assert np.array_equal(got_exact[r, :len(want)], exact[r, want])


def test_settle_rows_holds_bounded_float64_temporaries(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    """settle_rows computed every candidate pair's exact dot product at once: a Spark export
    task of k=3,000 on the demo held 400 x 3,000 pairs x 64 factors of float64 (600 MB a
    temporary) where ``exact_dots`` bounds its own to ``EXACT_BLOCK_CELLS``. Oracle: numpy's
    allocations traced by tracemalloc, and ``exact_dots`` per row for the scores, bit for
    bit, whatever the pairs' cut."""
    import tracemalloc

    from recommender.kernels import ranking
    from recommender.kernels.ranking import exact_dots, settle_rows

    rng = np.random.default_rng(11)
    n, f, n_rows = 3_000, 64, 40
    rows = rng.normal(size=(n, f)).astype(np.float32)
    vectors = rng.normal(size=(n_rows, f)).astype(np.float32)
    scores = (vectors @ rows.T).astype(np.float32)
    slacks = np.full(n_rows, 1e-3)
    first, counts = top_k_rows(scores, n)
    monkeypatch.setattr(ranking, "EXACT_BLOCK_CELLS", 1 << 16)  # 0.5 MiB a temporary
    tracemalloc.start()
    try:
        got, got_exact, _ = settle_rows(scores, first, counts, n, rows, vectors, slacks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    pairs = n_rows * n  # every entry is a candidate at k = n
    assert peak < pairs * f * 8 / 4, peak  # all pairs at once: 3 such float64 arrays
    for r in range(n_rows):
        assert np.array_equal(got_exact[r], exact_dots(rows, got[r], vectors[r]))
    monkeypatch.setattr(ranking, "EXACT_BLOCK_CELLS", 3 * f + 5)  # pairs cut mid-row
    again = settle_rows(scores, first, counts, n, rows, vectors, slacks)
    assert np.array_equal(again[0], got) and np.array_equal(again[1], got_exact)


def test_exclude_rows_masks_each_rows_structure() -> None:
    from recommender.kernels.ranking import exclude_rows

    rng = np.random.default_rng(7)
    dense = rng.random((9, 40)) < 0.3
    dense[4] = False  # a key with nothing to exclude
    structure = sp.csr_matrix(dense.astype(np.float32))
    keys = np.array([3, 0, 4, 8, 3])
    scores = rng.normal(size=(5, 40)).astype(np.float32)
    want = scores.copy()
    for r in (0, 2, 3):  # rows 1 and 4 keep everything
        want[r, dense[keys[r]]] = -np.inf
    exclude_rows(scores, structure, keys, np.array([0, 2, 3]))
    assert np.array_equal(scores, want)
    exclude_rows(scores, structure, keys, np.array([], np.int64))  # nothing asked: no change
    assert np.array_equal(scores, want)


def test_tied_rows_against_a_plain_count_of_distinct_scores() -> None:
    """``tied_rows`` (a head read first, whole rows only when the head is tied) against the
    plain definition: two or more finite candidates and one distinct value among them."""
    from recommender.kernels.ranking import TIE_HEAD, tied_rows

    rng = np.random.default_rng(3)
    rows = []
    for case in range(60):
        n = int(rng.integers(1, 3 * TIE_HEAD))
        row = np.round(rng.standard_normal(n), 1).astype(np.float32)
        if case % 3 == 0:
            row[:] = np.float32(0.5)  # tied
        if case % 4 == 0:
            row[rng.random(n) < 0.7] = -np.inf  # excluded viewers
        if case % 5 == 0:
            row[:min(n, TIE_HEAD + 3)] = -np.inf  # a head with no candidate at all
        if case % 7 == 0 and n > TIE_HEAD + 1:
            row[:] = np.float32(1.0)
            row[-1] = np.float32(2.0)  # tied head, one different score past it
        rows.append(row)
    for row in rows:
        live = row[row > -np.inf]
        want = len(live) > 1 and len(set(live.tolist())) == 1
        assert bool(tied_rows(row)) == want, row
    width = max(len(r) for r in rows)
    block = np.full((len(rows), width), -np.inf, np.float32)
    for i, r in enumerate(rows):
        block[i, :len(r)] = r
    assert tied_rows(block).tolist() == [bool(tied_rows(r)) for r in rows]
    # NaN is no candidate; no score at all is no tie; integers are scores too
    assert tied_rows(np.array([np.nan, 1, 1], np.float32))
    assert tied_rows(np.r_[np.full(TIE_HEAD, np.nan), np.ones(10)])
    assert not tied_rows(np.array([np.nan, 1, 2]))
    assert not tied_rows(np.zeros(0, np.float32)) and not tied_rows(np.zeros((2, 0))).any()
    assert tied_rows(np.array([3, 3, 3])) and not tied_rows(np.array([3, 4]))
