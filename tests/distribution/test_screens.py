"""Largest-remainder screen allocation with caps, and the minimum cell merge, against
hand-computed cases and a brute-force oracle."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from recommender.distribution.screens import largest_remainder
from recommender.errors import InvalidParameterError
from recommender.query.privacy import merged_cells


def test_hand_computed_largest_remainder() -> None:
    # quotas 10 * (5, 3, 2) / 10 = 5, 3, 2 exactly
    assert largest_remainder(np.array([5.0, 3.0, 2.0]), 10).tolist() == [5, 3, 2]
    # quotas 7 * (5, 3, 2) / 10 = 3.5, 2.1, 1.4: floors 3, 2, 1 (6); the one left goes to the
    # largest remainder (0.5, the first)
    assert largest_remainder(np.array([5.0, 3.0, 2.0]), 7).tolist() == [4, 2, 1]
    # quotas 5 * (1, 1, 1) / 3 = 1.67 each: floors 1, 1, 1; two left, ties broken by index
    assert largest_remainder(np.ones(3), 5).tolist() == [2, 2, 1]
    # quotas 4 * (0.45, 0.35, 0.2) = 1.8, 1.4, 0.8: floors 1, 1, 0; the two left go to the
    # remainders 0.8 and 0.8 (the first and the third), not to 0.4
    assert largest_remainder(np.array([0.45, 0.35, 0.2]), 4).tolist() == [2, 1, 1]
    # quotas 3 * (0.5, 0.3, 0.2) = 1.5, 0.9, 0.6: floors 1, 0, 0; two left: 0.9 and 0.6
    assert largest_remainder(np.array([0.5, 0.3, 0.2]), 3).tolist() == [1, 1, 1]
    assert largest_remainder(np.array([0.0, 2.0]), 3).tolist() == [0, 3]


def test_hand_computed_caps() -> None:
    # quotas 6 * (10, 1, 1) / 12 = 5, .5, .5: the first is capped at 2; the 4 left are shared
    # by the other two (equal weights): 2 and 2
    assert largest_remainder(np.array([10.0, 1.0, 1.0]), 6, np.array([2, 5, 5])).tolist() == [
        2, 2, 2]
    # a cap of 0 takes nothing; a capped place's demand moves to the others
    assert largest_remainder(np.array([3.0, 3.0, 1.0]), 4, np.array([0, 9, 9])).tolist() == [
        0, 3, 1]
    # only zero-demand places have room left: they are filled by capacity
    assert largest_remainder(np.array([5.0, 0.0, 0.0]), 5, np.array([1, 3, 1])).tolist() == [
        1, 3, 1]


def _oracle(weights: list[int], total: int) -> list[int]:
    """Hamilton's method in exact fractions: floors, then the largest remainders (ties: larger
    weight, then lower index)."""
    s = sum(weights)
    quotas = [Fraction(total * w, s) for w in weights]
    out = [q.numerator // q.denominator for q in quotas]
    order = sorted(range(len(weights)),
                   key=lambda i: (-(quotas[i] - out[i]), -weights[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


@pytest.mark.parametrize("seed", range(30))
def test_matches_exact_fractions_and_caps_hold(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 50, size=int(rng.integers(1, 9))).tolist()
    if sum(w) == 0:
        w[0] = 1
    total = int(rng.integers(0, 60))
    assert largest_remainder(np.array(w, float), total).tolist() == _oracle(w, total)
    caps = rng.integers(0, 12, size=len(w))
    if caps.sum() >= total:
        got = largest_remainder(np.array(w, float), total, caps)
        assert got.sum() == total and (got <= caps).all() and (got >= 0).all()


def test_exact_ties_follow_the_tie_rule_not_float_noise() -> None:
    # remainders equal in exact arithmetic (1/3 each) came out unequal in their last bit, so
    # float noise, not "larger weight, then lower index", gave the odd screens
    for w, total in (([4, 4, 1], 3), ([2, 1, 10, 3, 2], 10), ([3, 3, 3], 2), ([7, 7, 1], 5)):
        assert largest_remainder(np.array(w, float) / 2, total).tolist() == _oracle(w, total)


def test_caps_brute_force_is_closest_to_quotas() -> None:
    """With caps, no other capped allocation is closer (in total absolute deviation) to the
    demand-proportional quotas by more than rounding (each place within one of its share)."""
    w, caps, total = np.array([8.0, 5.0, 2.0, 1.0]), np.array([3, 4, 4, 1]), 9
    got = largest_remainder(w, total, caps)
    best = min((a for a in itertools.product(*(range(c + 1) for c in caps)) if sum(a) == total),
               key=lambda a: float(np.abs(np.array(a) - total * w / w.sum()).sum()))
    assert got.sum() == total and (got <= caps).all()
    assert np.abs(got - np.array(best)).max() <= 1


def test_errors() -> None:
    with pytest.raises(InvalidParameterError, match="more than the 3 screens"):
        largest_remainder(np.ones(2), 4, np.array([1, 2]))
    with pytest.raises(InvalidParameterError, match="no expected demand"):
        largest_remainder(np.zeros(3), 2)
    with pytest.raises(InvalidParameterError, match=">= 0"):
        largest_remainder(np.ones(3), -1)


def test_merged_cells() -> None:
    # small cells merge; the merged cell is big enough
    assert merged_cells(np.array([50, 4, 7, 30]), 10).tolist() == [False, True, True, False]
    # one small cell alone would be a small "other": the smallest other cell joins it
    assert merged_cells(np.array([50, 4, 30, 12]), 10).tolist() == [False, True, False, True]
    # nothing small: nothing merged; everything small: everything merged
    assert not merged_cells(np.array([10, 11]), 10).any()
    assert merged_cells(np.array([3, 4]), 10).all()
    # a value already named "other" is always pooled
    assert merged_cells(np.array([50, 40, 12]), 10,
                        always=np.array([False, False, True])).tolist() == [False, False, True]
