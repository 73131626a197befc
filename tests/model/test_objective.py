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
from recommender.model.validation import ZERO_GUARD, combined, paired_log_gain


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


def test_paired_gain_error_matches_the_spread_over_samples() -> None:
    """The paired error the family report records: over simulated validation splits (each
    query's difficulty drawn afresh, both models answering the same queries and mostly finding
    the same positives), the log ratio of the two objectives spreads as ``paired_log_gain``
    says, and that spread is several times smaller than the objective's own error."""
    rng = np.random.default_rng(1)
    sizes, reps = (300, 800), 2000

    def split() -> tuple[list[np.ndarray], list[np.ndarray]]:
        inc, cha = [], []
        for n in sizes:
            p = rng.beta(2, 5, n)[:, None]  # which films and users the split holds out
            # ten held-out positives each; the two models mostly agree on which they find
            u = rng.random((n, 10))
            inc.append((u < p).mean(1))
            cha.append((u < np.minimum(p * 1.05, 1.0)).mean(1) * (rng.random(n) > 0.01))
        return cha, inc

    def log_ratio(cha: list[np.ndarray], inc: list[np.ndarray]) -> float:
        return float(np.mean([np.log(c.mean() + ZERO_GUARD) - np.log(i.mean() + ZERO_GUARD)
                              for c, i in zip(cha, inc, strict=True)]))

    samples = [split() for _ in range(reps)]
    spread = np.std([log_ratio(c, i) for c, i in samples], ddof=1)
    errors = np.array([paired_log_gain(c, i)[1] for c, i in samples])
    assert np.sqrt(np.mean(errors ** 2)) == pytest.approx(spread, rel=0.05)
    cha, inc = samples[0]
    gain, se = paired_log_gain(cha, inc)
    assert gain == pytest.approx(log_ratio(cha, inc))
    value, own = combined([(i.mean(), i.std(ddof=1) / np.sqrt(len(i))) for i in inc])
    assert own / value > 3 * se  # the unpaired relative error is wider
    # no scored query: no gain, no error; a NaN query (no held-out positive) is skipped
    nan = np.array([np.nan])
    assert paired_log_gain([nan], [nan]) == (0.0, 0.0)
    with_nan = [np.r_[c, np.nan] for c in cha], [np.r_[i, np.nan] for i in inc]
    assert paired_log_gain(*with_nan) == pytest.approx((gain, se))
