"""Waves and control groups: sizes, stratification by wave, seeding, and randomness."""

from __future__ import annotations

import numpy as np
import pytest
from campaign_oracles import brute_phase, brute_selection_sizes, brute_targets
from scipy.stats import chisquare

from recommender.campaigns.waves import (
    assign,
    control_mask,
    rounding_phases,
    selection_size,
    selection_sizes,
    target_rows,
    wave_of,
)

HOLDOUTS = (0.0, 0.01, 0.05, 0.1, 0.2, 0.25, 1 / 3, 0.45, 0.5, 0.55, 0.75, 0.9)


@pytest.mark.parametrize(("n", "waves"), [(0, 3), (1, 3), (2, 3), (10, 3), (11, 4), (100, 7)])
def test_waves_are_consecutive_and_balanced(n: int, waves: int) -> None:
    w = wave_of(n, waves)
    assert len(w) == n
    assert (np.diff(w) >= 0).all() and (w[:1] == 1).all()  # best users in wave 1
    sizes = np.bincount(w)[1:]
    assert len(sizes) == min(waves, max(n, 1)) or n == 0
    if n:
        assert sizes.max() - sizes.min() <= 1 and (np.diff(sizes) <= 0).all()


def test_control_share_per_wave_and_seeding() -> None:
    wave = wave_of(101, 3)  # 34, 34, 33
    for holdout in (0.0, 0.1, 0.25, 0.5):
        c = control_mask(wave, holdout, seed=4, film=9)
        upto = 0
        for w in (1, 2, 3):  # the first w waves hold round(holdout x their users) controls
            upto += int((wave == w).sum())
            assert int(c[wave <= w].sum()) == int(np.floor(holdout * upto + 0.5))
            m = int((wave == w).sum())  # so each wave its share to within one user
            assert abs(int(c[wave == w].sum()) - holdout * m) <= 1
    a = control_mask(wave, 0.2, seed=4, film=9)
    assert (a == control_mask(wave, 0.2, seed=4, film=9)).all()  # reproducible
    assert (a != control_mask(wave, 0.2, seed=5, film=9)).any()  # another seed, other users
    assert (a != control_mask(wave, 0.2, seed=4, film=10)).any()  # films draw independently


@pytest.mark.parametrize("holdout", [0.1, 0.5, 0.9])
def test_tiny_waves_keep_the_control_share(holdout: float) -> None:
    """1,000 waves of 1-2 users: rounding each wave on its own held out every user at 0.5
    (20 targets among 1,020 selected) and none at 0.1; the share is now the holdout's."""
    for n in (7, 20, 1020):
        c = control_mask(wave_of(n, 1000), holdout, seed=1, film=3)
        assert int(c.sum()) == int(np.floor(holdout * n + 0.5))
    n = selection_size(20, 1000, holdout)
    assert n - int(np.floor(holdout * n + 0.5)) == 20 and n <= 20.5 / (1 - holdout) + 1


def test_control_draw_is_uniform_within_each_wave() -> None:
    """Over many seeds every position of a wave is drawn equally often (chi-square), and the
    number of controls is the same in every draw (stratified, not Bernoulli)."""
    wave = wave_of(60, 3)
    counts = np.zeros(60)
    for seed in range(600):
        c = control_mask(wave, 0.25, seed=seed, film=1)
        counts += c
        assert [int(c[wave == w].sum()) for w in (1, 2, 3)] == [5, 5, 5]
    for w in (1, 2, 3):
        observed = counts[wave == w]
        assert observed.sum() == 600 * 5
        assert chisquare(observed).pvalue > 1e-3


def test_assign_orders_by_film_then_rank() -> None:
    film_pos = np.array([1, 0, 1, 0, 0, 1, 1])
    rank = np.array([5, 3, 2, 1, 9, 7, 4])
    order, wave, control = assign(film_pos, rank, np.array([40, 41]), waves=2, holdout=0.0,
                                  seed=0)
    assert film_pos[order].tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert rank[order].tolist() == [1, 3, 9, 2, 4, 5, 7]
    assert wave.tolist() == [1, 1, 2, 1, 1, 2, 2]
    assert not control.any()


@pytest.mark.parametrize("waves", [1, 2, 3, 5, 17, 1000])
def test_target_rows_are_what_assign_leaves(waves: int) -> None:
    """``target_rows(n)`` against ``assign`` itself (its real control draw) and the brute
    force, for every ``n`` up to 300 including ``waves`` larger than ``n``; it never
    decreases."""
    ns = np.arange(301)
    for holdout in HOLDOUTS:
        got = target_rows(ns, waves, holdout)
        assert (np.diff(got) >= 0).all() and (np.diff(got) <= 1).all()
        for n in (*range(0, 40), 97, 150, 299, 300):
            assert got[n] == brute_targets(n, waves, holdout)
            _, _, control = assign(np.zeros(n, np.int64), np.arange(n), np.array([7]), waves,
                                   holdout, seed=n)
            assert int((~control).sum()) == got[n]


@pytest.mark.parametrize("waves", [1, 2, 3, 4, 7, 17, 1000])
def test_selection_size_is_the_largest_within_budget(waves: int) -> None:
    """Exact against the brute force for every budget 0..120 and many holdouts (0 included,
    ``waves`` larger than the selection included), one call for all budgets and one each."""
    budgets = np.arange(121)
    for holdout in HOLDOUTS:
        want = brute_selection_sizes(budgets.tolist(), waves, holdout)
        assert selection_sizes(budgets, waves, holdout).tolist() == want
        for b in (0, 1, 2, 7, 120):
            assert selection_size(b, waves, holdout) == want[b]
        assert want[0] == 0  # no contacts, no control group
        for b, n in zip(budgets.tolist()[1:], want[1:], strict=True):
            # targets take every value: the budget is spent exactly, one more user is over it
            assert brute_targets(n, waves, holdout) == b
            assert brute_targets(n + 1, waves, holdout) == b + 1
    assert selection_sizes(np.zeros(0, np.int64), 3, 0.1).tolist() == []


def test_selection_size_of_large_budgets() -> None:
    """Large budgets (a bisection, not a scan): within budget, one more user over it."""
    for budget in (10**4 + 3, 123_457, 5 * 10**6, 2 * 10**9):
        for waves in (1, 3, 8):
            for holdout in (0.0, 0.1, 0.3, 0.9):
                n = selection_size(budget, waves, holdout)
                assert target_rows(n, waves, holdout) == budget
                assert target_rows(n + 1, waves, holdout) == budget + 1
                assert brute_targets(n, waves, holdout) == budget
                assert brute_targets(n + 1, waves, holdout) == budget + 1


@pytest.mark.parametrize("before", [0, 1, 7, 40])
def test_a_next_wave_continues_the_rounding(before: int) -> None:
    """``offset`` users selected by sent waves: the new plan's controls are what rounding
    over the campaign adds, and its selection sizes are the brute force's."""
    for holdout in (0.1, 0.5, 0.9):
        ns = np.arange(60)
        got = target_rows(ns, 4, holdout, before)
        assert got.tolist() == [brute_targets(int(n), 4, holdout, before) for n in ns]
        budgets = np.arange(25)
        want = brute_selection_sizes(budgets.tolist(), 4, holdout, before)
        assert selection_sizes(budgets, 4, holdout, np.full(25, before)).tolist() == want
        c = control_mask(wave_of(23, 5), holdout, seed=2, film=1, offset=before)
        assert int(c.sum()) == (int(np.floor(holdout * (before + 23) + 0.5))
                                - int(np.floor(holdout * before + 0.5)))


@pytest.mark.parametrize("phase", [0.0, 0.07, 0.5, 0.93, float(np.nextafter(1.0, 0.0))])
def test_a_films_phase_moves_its_rounding(phase: float) -> None:
    """At any phase in [0, 1): targets, controls and selection sizes are the brute force's
    (after sent waves too), what ``assign`` leaves, and within one user of the holdout."""
    for holdout in (0.1, 0.3, 0.5):
        for before in (0, 7):
            ns = np.arange(80)
            got = target_rows(ns, 3, holdout, before, phase)
            assert got.tolist() == [brute_targets(int(n), 3, holdout, before, phase)
                                    for n in ns]
            assert (np.diff(got) >= 0).all() and (np.diff(got) <= 1).all()
            assert (np.abs((ns - got) - holdout * ns) < 1 + 1e-9).all()  # float sums
            budgets = np.arange(40)
            want = brute_selection_sizes(budgets.tolist(), 3, holdout, before, phase)
            assert selection_sizes(budgets, 3, holdout, np.full(40, before),
                                   np.full(40, phase)).tolist() == want
        for n in (5, 22, 61):
            _, _, control = assign(np.zeros(n, np.int64), np.arange(n), np.array([7]), 3,
                                   holdout, seed=n, phases=np.array([phase]))
            assert int((~control).sum()) == brute_targets(n, 3, holdout, phase=phase)


def test_rounding_phases_are_the_documented_hash() -> None:
    """Each film's phase is the BLAKE2b hash of its id (odd ids too), the same in every call,
    in [0, 1), and spread: over 2,000 ids, every tenth of [0, 1) holds about a tenth."""
    ids = ["", "1", "01", "film 7", "é", "🎬", "a\tb", "x" * 300]
    got = rounding_phases(ids)
    assert got.tolist() == [brute_phase(i) for i in ids]
    assert rounding_phases(list(reversed(ids))).tolist() == list(reversed(got.tolist()))
    many = rounding_phases([f"f{i}" for i in range(2000)])
    assert ((many >= 0) & (many < 1)).all()
    counts = np.bincount((many * 10).astype(int), minlength=10)
    assert counts.min() > 150 and counts.max() < 250, counts
