"""Waves and control groups: sizes, stratification by wave, seeding, and randomness."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from recommender.campaigns.waves import assign, control_mask, wave_of


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
        for w in (1, 2, 3):
            m = int((wave == w).sum())
            assert int(c[wave == w].sum()) == int(np.floor(holdout * m + 0.5))
    a = control_mask(wave, 0.2, seed=4, film=9)
    assert (a == control_mask(wave, 0.2, seed=4, film=9)).all()  # reproducible
    assert (a != control_mask(wave, 0.2, seed=5, film=9)).any()  # another seed, other users
    assert (a != control_mask(wave, 0.2, seed=4, film=10)).any()  # films draw independently


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
