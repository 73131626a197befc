"""Few targets against many controls (a holdout near 0.99) warn as few controls do: exact
enumeration of the absolute uplift interval's coverage against binomial draws."""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from recommender.campaigns.report import group_stats, strata_stats
from recommender.campaigns.small_groups import FEW_IN_GROUP


def coverage(n_t: int, p_t: float, n_c: int, p_c: float) -> float:
    """The probability, summed over every outcome (x_t, x_c) with its binomial weight, that
    the report's absolute uplift interval holds the true ``p_t - p_c``."""
    w_t = binom.pmf(np.arange(n_t + 1), n_t, p_t)
    w_c = binom.pmf(np.arange(n_c + 1), n_c, p_c)
    held = 0.0
    for x_t in np.flatnonzero(w_t > 1e-12):
        for x_c in np.flatnonzero(w_c > 1e-12):
            up = group_stats(n_t, int(x_t), n_c, int(x_c), 0.0, 0.0)["absolute_uplift"]
            held += w_t[x_t] * w_c[x_c] * (up["low"] <= p_t - p_c <= up["high"])
    return float(held)


def test_few_targets_against_many_controls_warn() -> None:
    """4 targets at 50% against 396 controls at 1% (holdout 0.99): the interval holds the
    true uplift in under 90% of draws, as 4 controls against 396 targets do (Newcombe's is
    symmetric in its groups), and the report warned only of the latter."""
    few_targets, few_controls = coverage(4, 0.5, 396, 0.01), coverage(396, 0.01, 4, 0.5)
    assert few_targets < 0.90 and abs(few_targets - few_controls) < 1e-9, few_targets
    for x_t in range(5):  # whatever the outcome
        block = group_stats(4, x_t, 396, 4, 0.0, 0.0)
        assert "4 targets (fewer than 10)" in block["warning"], block
        assert "control" not in block["warning"]
    assert "4 controls (fewer than 10)" in group_stats(396, 4, 4, 2, 0.0, 0.0)["warning"]


def test_the_warning_is_the_same_on_either_side() -> None:
    """One group of n against 100 has the same exact coverage with the groups (and their
    rates) swapped, so the warning is given for n targets iff for n controls, both below
    ``FEW_IN_GROUP``. The bound is a size, not a coverage: the intervals' worst coverage over
    the rates swings with n (4 against 100: under 0.90; 1 to 3: above 0.96, the exact Poisson
    ends; 10 to 13: about 0.92), so no coverage level splits the sizes at 10."""
    for n in (1, 3, 4, 9, 10, 12):
        for p_small, p_big in ((0.5, 0.01), (0.3, 0.9)):
            a = coverage(n, p_small, 100, p_big)
            assert abs(a - coverage(100, p_big, n, p_small)) < 1e-9
        t = "warning" in group_stats(n, n // 2, 100, 30, 0.0, 0.0)
        c = "warning" in group_stats(100, 30, n, n // 2, 0.0, 0.0)
        assert t == c == (n < FEW_IN_GROUP), n
    both = group_stats(3, 1, 1, 0, 0.0, 0.0)["warning"]
    assert "3 targets and 1 control (each fewer than 10)" in both
    # strata: the measured targets count (those beside controls in their film's wave)
    block = strata_stats(np.array([3, 4, 200]), np.array([1, 2, 50]), np.array([300, 300, 0]),
                         np.array([3, 3, 0]), 0.0, 0.0)
    assert block["measured_targets"] == 7 and block["warning"].startswith("7 measured targets")


def test_the_warning_says_measured_where_some_targets_are_not() -> None:
    """A block of 207 targets of which 7 are measured (200 in a wave with no control) warned
    of "7 targets", read against its ``targets`` of 207 as a wrong count: it names the
    measured ones then, and plain targets where every target is measured. Oracle: the block's
    own ``targets`` and ``measured_targets``."""
    for n_t, n_c in (([3, 4, 200], [300, 300, 0]), ([3, 4], [300, 300]), ([1, 0], [300, 5])):
        targets, controls = np.array(n_t), np.array(n_c)
        block = strata_stats(targets, np.minimum(targets, 1), controls,
                             np.minimum(controls, 3), 0.0, 0.0)
        mt, t = block["measured_targets"], block["targets"]
        word = "measured target" if mt < t else "target"
        assert block["warning"].startswith(f"{mt} {word}{'' if mt == 1 else 's'} ("), block
