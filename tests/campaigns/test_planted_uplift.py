"""The simulator's planted uplift is what the report estimates: each film's wave compared with
its own controls, weighted by its targets. Oracle: a plan whose planted probabilities are all
0 or 1, so that every conversion is certain and the report's estimate is exact."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import compute_report
from recommender.campaigns.simulate import planted_uplift


def _rows(groups: list[tuple[str, int, str, float]]) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Plan rows from (film, wave, group, planted p) and (p, is a target) per row."""
    n = len(groups)
    table = pa.table({
        "plan_id": ["plan-x"] * n, "film_id": [g[0] for g in groups],
        "user_id": [f"u{i}" for i in range(n)], "wave": [g[1] for g in groups],
        "group": [g[2] for g in groups], "rank": list(range(1, n + 1)),
        "p": [0.1] * n, "expected_value": [0.1] * n}, schema=PLAN_SCHEMA)
    p = np.array([g[3] for g in groups])
    return table, p, np.array([g[2] == "target" for g in groups])


def test_the_planted_uplift_is_the_report_s_estimand_when_control_shares_differ() -> None:
    # a small film (4 targets, 1 control: 20% held out) whose users all buy, and a large one
    # (90 targets, 10 controls) where half the targets buy and no control does
    groups = ([("small", 1, "target", 1.0)] * 4 + [("small", 1, "control", 1.0)]
              + [("large", 1, "target", 1.0)] * 45 + [("large", 1, "target", 0.0)] * 45
              + [("large", 1, "control", 0.0)] * 10)
    rows, p, target = _rows(groups)
    reported = compute_report(rows, p > 0.5)["overall"]["absolute_uplift"]["estimate"]
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
    # by hand: (4 x (1 - 1) + 90 x (0.5 - 0)) / 94
    assert abs(planted_uplift(p, target, film) - 45 / 94) < 1e-12
    assert abs(planted_uplift(p, target, film) - reported) < 1e-6
    # the pooled difference (49/94 - 1/11) is not what the report estimates
    assert abs(planted_uplift(p, target) - (49 / 94 - 1 / 11)) < 1e-12


def test_a_film_without_controls_is_left_out_as_the_report_leaves_it() -> None:
    groups = ([("a", 1, "target", 1.0)] * 3 + [("a", 1, "control", 0.0)]
              + [("b", 1, "target", 0.0)] * 5)  # b: no control group, not compared
    rows, p, target = _rows(groups)
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
    reported = compute_report(rows, p > 0.5)["overall"]["absolute_uplift"]["estimate"]
    assert planted_uplift(p, target, film) == 1.0 == reported
