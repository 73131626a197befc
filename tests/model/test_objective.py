"""The tuning objective (``validation.combined``): the geometric mean of the two directions'
recalls, and its standard error.

Oracles: the geometric mean computed directly; the spread of the objective over simulated
samples of per-query recalls (the delta-method error must match it); and the property the
objective was chosen for, that a relative change in either direction moves it alike.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.evaluation.scoring import objective
from recommender.model.validation import ZERO_GUARD, combined


def test_geometric_mean_of_the_known_directions() -> None:
    g = ZERO_GUARD
    assert combined([(0.1, 0.01), (0.4, 0.02)])[0] == pytest.approx(
        math.sqrt((0.1 + g) * (0.4 + g)) - g)
    assert combined([(float("nan"), float("nan")), (0.4, 0.02)]) == pytest.approx((0.4, 0.02))
    assert all(math.isnan(x) for x in combined([(float("nan"), 0.1)] * 2))
    res = {"audience_recall@100": 0.1, "user_recall@20": 0.4}
    assert objective(res, 100, 20) == pytest.approx(math.sqrt(0.101 * 0.401) - g)


def test_a_zero_recall_does_not_hide_the_other_direction() -> None:
    """Where no film reaches its held-out viewers, trials still differ by user recall."""
    assert combined([(0.0, 0.0), (0.5, 0.01)])[0] > combined([(0.0, 0.0), (0.4, 0.01)])[0] > 0


def test_a_relative_gain_in_either_direction_counts_the_same() -> None:
    """Doubling the small audience recall moves the objective as much as doubling the large
    user recall; under the arithmetic mean the user direction would decide alone."""
    base = combined([(0.05, 0.0), (0.6, 0.0)])[0]
    more_audience = combined([(0.10, 0.0), (0.6, 0.0)])[0]
    more_users = combined([(0.05, 0.0), (1.2, 0.0)])[0]
    assert more_audience == pytest.approx(more_users, rel=0.02)  # up to ZERO_GUARD
    assert more_audience == pytest.approx(base * math.sqrt(2), rel=0.02)


def test_standard_error_matches_the_spread_over_samples() -> None:
    rng = np.random.default_rng(0)
    n_films, n_users, reps = 400, 900, 3000
    pa, pu = 0.12, 0.45
    # per-query recalls as hits out of 10; the objective of each simulated sample
    aud = rng.binomial(10, pa, (reps, n_films)) / 10
    usr = rng.binomial(10, pu, (reps, n_users)) / 10
    values = np.sqrt(aud.mean(1) * usr.mean(1))
    one_a, one_u = aud[0], usr[0]
    _, se = combined([(one_a.mean(), one_a.std(ddof=1) / np.sqrt(n_films)),
                      (one_u.mean(), one_u.std(ddof=1) / np.sqrt(n_users))])
    assert se == pytest.approx(values.std(ddof=1), rel=0.1)
