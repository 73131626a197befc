"""The campaign report: its intervals against independent oracles, their coverage of a planted
uplift, and the counts of a stored plan against hand-computed conversions."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa
from scipy.optimize import brentq

from recommender.campaigns.events import check_events, events, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import (
    Z95,
    campaign_report,
    compute_report,
    group_stats,
    mover_ratio,
    newcombe,
    wilson,
)
from recommender.campaigns.store import UnknownPlanError, open_store


def wilson_by_roots(x: int, n: int) -> tuple[float, float]:
    """The Wilson bounds as the roots of |x/n - pi| = z sqrt(pi (1 - pi) / n)."""
    p = x / n

    def g(pi: float) -> float:
        return (p - pi) ** 2 - Z95 ** 2 * pi * (1 - pi) / n

    low = 0.0 if x == 0 else brentq(g, 1e-15, min(p, 1 - 1e-12), xtol=1e-14)
    high = 1.0 if x == n else brentq(g, max(p, 1e-12), 1 - 1e-15, xtol=1e-14)
    return low, high


@pytest.mark.parametrize("x,n", [(0, 10), (3, 10), (10, 10), (56, 70), (48, 80), (1, 2000)])
def test_wilson_matches_its_definition(x: int, n: int) -> None:
    assert np.allclose(wilson(x, n), wilson_by_roots(x, n), atol=1e-9)
    if x == 0:
        assert math.isclose(wilson(x, n)[1], Z95 ** 2 / (n + Z95 ** 2))  # by hand


def test_newcombe_and_mover_from_their_definitions() -> None:
    (l1, u1), (l2, u2) = wilson_by_roots(56, 70), wilson_by_roots(48, 80)
    p1, p2 = 56 / 70, 48 / 80
    d, lo, hi = newcombe(56, 70, 48, 80)
    assert math.isclose(d, p1 - p2)
    assert math.isclose(lo, d - math.hypot(p1 - l1, u2 - p2), abs_tol=1e-9)
    assert math.isclose(hi, d + math.hypot(u1 - p1, p2 - l2), abs_tol=1e-9)
    # MOVER-R: the ratio's limits are where its distance from the observed ratio is the two
    # Wilson intervals' combined (Donner & Zou 2012), found here by bisection
    from scipy.optimize import brentq

    est, rlo, rhi = mover_ratio(56, 70, 48, 80)
    ratio = p1 / p2
    low = brentq(lambda t: (p1 - t * p2) ** 2 - (p1 - l1) ** 2 - t ** 2 * (u2 - p2) ** 2,
                 1e-9, ratio)
    high = brentq(lambda t: (p1 - t * p2) ** 2 - (u1 - p1) ** 2 - t ** 2 * (p2 - l2) ** 2,
                  ratio, 100.0)
    assert est is not None and math.isclose(est, ratio - 1)
    assert math.isclose(rlo, low - 1, abs_tol=1e-9) and math.isclose(rhi, high - 1,
                                                                     abs_tol=1e-9)
    est, rlo, rhi = mover_ratio(4, 50, 0, 5)  # no control conversion: no estimate, no top
    assert est is None and math.isfinite(rlo) and rhi == math.inf
    est, rlo, rhi = mover_ratio(2, 2, 3, 3)  # everyone converted: no uplift, not a bare point
    assert est == 0.0 and rlo < est < rhi
    # the estimate has the absolute uplift's sign: 32/33 against 4/4 is a fall of 3.03%
    est, rlo, rhi = mover_ratio(32, 33, 4, 4)
    assert est is not None and math.isclose(est, 32 / 33 - 1) and rlo < est < rhi
    # no target conversion: the observed ratio is 0 (-100%), and the interval holds it
    est, rlo, rhi = mover_ratio(0, 335, 2, 2)
    assert est == -1.0 and rlo == est < rhi


def test_small_groups_get_wide_intervals_never_a_bare_point() -> None:
    small = group_stats(n_t=6, x_t=2, n_c=2, x_c=0, p_t=0.5, p_c=0.1)
    up = small["absolute_uplift"]
    assert up["high"] - up["low"] > 0.6 and up["low"] < up["estimate"] < up["high"]
    none = group_stats(n_t=6, x_t=2, n_c=0, x_c=0, p_t=0.5, p_c=0.0)
    assert none["absolute_uplift"] is None and "no control group" in none["no_estimate"]
    assert none["control_rate"] is None and none["target_rate"]["low"] < 1 / 3


def planted_rows(rng: np.random.Generator, n_t: int, n_c: int, p_t: float, p_c: float
                 ) -> tuple[pa.Table, np.ndarray]:
    n = n_t + n_c
    group = np.r_[np.full(n_t, "target"), np.full(n_c, "control")]
    conv = np.r_[rng.random(n_t) < p_t, rng.random(n_c) < p_c]
    rows = pa.Table.from_arrays([
        pa.array(["plan-x"] * n), pa.array(["f1"] * n),
        pa.array([f"u{i}" for i in range(n)]), pa.array(np.ones(n, np.int16)),
        pa.array(group.tolist()), pa.array(np.arange(1, n + 1, dtype=np.int32)),
        pa.array(np.full(n, p_c)), pa.array(np.full(n, p_c))], schema=PLAN_SCHEMA)
    return rows, conv


def test_the_interval_covers_the_planted_uplift_about_95_percent_of_the_time() -> None:
    runs, truth = 300, 0.12 - 0.07
    covered = rel_covered = 0
    for seed in range(runs):
        rows, conv = planted_rows(np.random.default_rng(seed), 400, 150, 0.12, 0.07)
        block = compute_report(rows, conv)["overall"]
        up, rel = block["absolute_uplift"], block["relative_uplift"]
        covered += up["low"] <= truth <= up["high"]
        rel_covered += rel["low"] <= 0.12 / 0.07 - 1 <= rel["high"]
        inc = block["incremental_conversions"]
        assert math.isclose(inc["estimate"], round(400 * up["estimate"], 3), abs_tol=2e-3)
    sd = math.sqrt(0.95 * 0.05 / runs)
    assert 0.95 - 3 * sd <= covered / runs <= 1.0, covered / runs
    assert 0.95 - 3 * sd <= rel_covered / runs <= 1.0, rel_covered / runs


def test_report_of_a_stored_plan(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    created = "2024-03-01T00:00:00+00:00"
    start = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
    users = [f"u{i}" for i in range(8)]
    rows = pa.Table.from_arrays([
        pa.array(["plan-a"] * 8), pa.array(["A"] * 4 + ["B"] * 4), pa.array(users),
        pa.array(np.array([1, 1, 2, 2, 1, 1, 1, 2], np.int16)),
        pa.array(["target", "control", "target", "target", "target", "target", "control",
                  "control"]),
        pa.array(np.arange(1, 9, dtype=np.int32)), pa.array(np.full(8, 0.25)),
        pa.array(np.full(8, 0.25))], schema=PLAN_SCHEMA)
    summary = {"created": created, "model_version": "m1", "films": [
        {"film_id": "A", "title": "Film A"}, {"film_id": "B", "title": "Film B"},
        {"film_id": "C", "title": "Film C"}],  # C: nobody selected (no row at all)
        "horizon": {"days": 14}}
    store.save_plan("plan-a", summary, rows)
    day = 86_400
    record_events(store, check_events([
        {"event_id": "1", "user_id": "u0", "film_id": "A", "timestamp": start + day},
        {"event_id": "2", "user_id": "u0", "film_id": "A", "timestamp": start + 2 * day},
        {"event_id": "3", "user_id": "u1", "film_id": "A", "timestamp": start + 3 * day},
        {"event_id": "4", "user_id": "u2", "film_id": "A", "timestamp": start - 1},
        {"event_id": "5", "user_id": "u3", "film_id": "A", "timestamp": start + 40 * day},
        {"event_id": "6", "user_id": "u4", "film_id": "A", "timestamp": start + day},
        {"event_id": "7", "user_id": "u5", "film_id": "B", "timestamp": start + 5 * day},
        {"event_id": "8", "user_id": "u6", "film_id": "B", "timestamp": start - 2 * day},
    ]))
    body = campaign_report(store, "plan-a", window_days=30)
    # u2's event a second before the start is not a conversion, but is said (a log of dates
    # dates a response on the plan's own day at midnight, before the plan); u6's, two days
    # before, is neither; events_read counts those of the window, [start, start + 30 days):
    # not u3's, 40 days on (it counted every event from the start on)
    assert body["early_conversions"] == 1 and body["events_read"] == 5
    assert "the day before the plan was created, not counted (early_conversions): 1;" \
        in body["note"]
    # u2's event has a time of day (a second before midnight): no log of dates, and the note
    # does not tell it to give times instead of dates; a midnight event is told so
    assert "no log of dates" in body["note"] and "give event times" not in body["note"]
    with store.engine.begin() as conn:
        conn.execute(sa.update(events).where(events.c.event_id == "4")
                     .values(timestamp=start - day))
    # an event with a time of day of a user the plan does not hold says nothing of its log
    record_events(store, check_events([{"event_id": "9", "user_id": "outsider",
                                        "film_id": "A", "timestamp": start - 3600}]))
    dated = campaign_report(store, "plan-a", window_days=30)
    assert dated["early_conversions"] == 1 and "give event times, not dates" in dated["note"]
    a, b, c = body["films"]
    assert (a["film_id"], a["title"], b["film_id"]) == ("A", "Film A", "B")
    # a film of the slate with no row keeps its block, saying why it has nothing
    assert (c["film_id"], c["title"], c["targets"], c["controls"]) == ("C", "Film C", 0, 0)
    assert c["no_estimate"].startswith("nobody selected") and c["waves"] == []
    # A: targets u0 (converted), u2 (before start), u3 (after the window); control u1 converted
    assert (a["targets"], a["target_conversions"], a["controls"], a["control_conversions"]) \
        == (3, 1, 1, 1)
    # B: targets u4 (an event for A only), u5 (converted); controls u6, u7
    assert (b["targets"], b["target_conversions"], b["controls"], b["control_conversions"]) \
        == (2, 1, 2, 0)
    o = body["overall"]
    assert (o["targets"], o["target_conversions"], o["controls"], o["control_conversions"]) \
        == (5, 2, 3, 1)
    # five targets at p = 0.25 over the 14-day horizon, stretched to 30 days (k = 30 / 14
    # without an activity curve): 5 x (1 - 0.75 ** (30 / 14)), by hand
    assert math.isclose(o["predicted_target_conversions"], 5 * (1 - 0.75 ** (30 / 14)),
                        abs_tol=1e-4)
    assert body["predicted"]["horizon_days"] == 14 and "14 to 30 days" in body["note"]
    assert math.isclose(body["predicted"]["factor"], 30 / 14, rel_tol=1e-5)
    assert [w["wave"] for w in body["waves"]] == [1, 2] and body["waves"][1]["targets"] == 2
    assert [(w["wave"], w["targets"]) for w in a["waves"]] == [(1, 1), (2, 2)]
    assert "Newcombe" in body["method"]["absolute_uplift"]
    # every interval and count of a block has its unit (the uplifts' were not said: the CLI
    # prints points and percents where the JSON holds shares)
    for key, value in o.items():
        if isinstance(value, dict) or key.startswith("predicted_"):
            unit = key.replace("predicted_target_", "predicted_").replace(
                "predicted_control_", "predicted_")
            assert unit in body["units"] or key.endswith("_rate"), key
    assert "percentage points" in body["units"]["absolute_uplift"]
    longer = campaign_report(store, "plan-a", window_days=60)["films"][0]
    assert longer["target_conversions"] == 2
    # u2 answers again inside the window: a conversion now, so no longer among the rows the
    # note says are not counted (it was counted both ways)
    record_events(store, check_events([{"event_id": "10", "user_id": "u2", "film_id": "A",
                                        "timestamp": start + 4 * day}]))
    again = campaign_report(store, "plan-a", window_days=30)
    assert again["films"][0]["target_conversions"] == 2
    assert again["early_conversions"] == 0 and "early_conversions" not in again["note"]
    with pytest.raises(UnknownPlanError):
        campaign_report(store, "plan-none")


def test_relative_interval_without_control_conversions_has_no_upper_bound() -> None:
    # 3 of 1,000 targets against 0 of 5 controls: the absolute uplift is +0.3 points and its
    # interval holds 0; the relative one read [-99.8%, -27%], a significant fall
    block = group_stats(n_t=1000, x_t=3, n_c=5, x_c=0, p_t=0.0, p_c=0.0)
    assert block["absolute_uplift"]["low"] < 0 < block["absolute_uplift"]["high"]
    rel = block["relative_uplift"]
    assert rel["estimate"] is None and rel["high"] is None and rel["low"] < 0


def test_relative_interval_covers_with_few_controls_and_a_low_rate() -> None:
    # 1,000 targets at 0.6% against 10 controls at 0.2% (a holdout of 1%): no control
    # converts in 98% of the draws, and the finite upper bound held the true +200% in 26%
    runs, covered = 400, 0
    rng = np.random.default_rng(5)
    for _ in range(runs):
        x_t, x_c = int(rng.binomial(1000, 0.006)), int(rng.binomial(10, 0.002))
        _, low, high = mover_ratio(x_t, 1000, x_c, 10)
        covered += low <= 0.006 / 0.002 - 1 <= high
    assert covered / runs >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / runs), covered / runs


def strata_rows(rng: np.random.Generator, films: int, budget: int, holdout: float,
                waves: int, p_by_wave: tuple[float, ...], effect: tuple[float, ...]
                ) -> tuple[pa.Table, np.ndarray, float, float]:
    """A plan's rows as the planner draws them (``waves.assign``: each film's selected users
    in waves, each wave's controls by the film's rounding, at its phase) with conversions
    drawn at the wave's base rate, plus ``effect`` of the wave for a target; the planted
    uplift of the targets whose film and wave hold controls (their mean effect), and of every
    target."""
    from recommender.campaigns.waves import assign, rounding_phases, selection_sizes

    names = [f"f{i}" for i in range(films)]
    phases = rounding_phases(names)
    n = selection_sizes(np.full(films, budget, np.int64), waves, holdout, phases=phases)
    film_pos = np.repeat(np.arange(films), n)
    rank = np.concatenate([np.arange(1, k + 1) for k in n.tolist()])
    order, wave, control = assign(film_pos, rank, np.arange(films), waves, holdout, seed=3,
                                  phases=phases)
    base = np.asarray(p_by_wave)[wave - 1]
    lift = np.asarray(effect)[wave - 1]
    conv = rng.random(len(order)) < base + lift * ~control
    m = len(order)
    rows = pa.Table.from_arrays([
        pa.array(["plan-x"] * m), pa.array([names[i] for i in film_pos[order]]),
        pa.array([f"u{i}" for i in range(m)]), pa.array(wave),
        pa.array(np.where(control, "control", "target").tolist()),
        pa.array(rank[order].astype(np.int32)), pa.array(base), pa.array(base)],
        schema=PLAN_SCHEMA)
    strata = film_pos[order] * 100 + wave
    measured = np.isin(strata, strata[control]) & ~control
    return rows, conv, float(lift[measured].mean()), float(lift[~control].mean())


@pytest.mark.parametrize("effect", [(0.0, 0.0, 0.0), (0.08, 0.04, 0.01)])
def test_a_campaign_of_many_small_films_is_not_read_as_a_fall(
        effect: tuple[float, float, float]) -> None:
    """Each wave's control group is its own rounding of the holdout (budget 20 at 0.1: about
    22 users in waves of 8, 7 and 7 hold 0 or 1 controls each), so a pooled control group
    held the best-ranked waves twice as often as the targets: with no effect at all, 200 films
    read -5 points and the interval held 0 in 34% of the draws. Oracle: the planted mean
    effect of the targets whose film and wave have controls."""
    runs, covered, estimates = 120, 0, []
    for seed in range(runs):
        rows, conv, truth, _ = strata_rows(np.random.default_rng(seed), 200, 20, 0.1, 3,
                                           (0.3, 0.2, 0.1), effect)
        block = compute_report(rows, conv)["overall"]
        up = block["absolute_uplift"]
        covered += up["low"] <= truth <= up["high"]
        estimates.append(up["estimate"] - truth)
        # some films' waves hold no control: their targets are said, and left out
        assert 0 < block["measured_targets"] < block["targets"] == 200 * 20
        assert "no control group" in block["note"]
    sd = math.sqrt(0.95 * 0.05 / runs)
    assert covered / runs >= 0.95 - 3 * sd, covered / runs
    assert abs(float(np.mean(estimates))) < 0.01, np.mean(estimates)


def test_the_waves_without_controls_are_not_always_the_last() -> None:
    """With one rounding phase of 1/2 for every film, budget 20 at 0.1 in 3 waves gave wave 3
    of every film no control: the report measured waves 1 and 2 alone, and read the best
    ranks' uplift as the campaign's (planted 0.062 against 0.044 for every target). Each
    film's own phase gives each wave a control in about its share of the films (holdout x
    its users), so the targets measured stand for all of them."""
    rows, conv, measured, every = strata_rows(np.random.default_rng(5), 400, 20, 0.1, 3,
                                              (0.3, 0.2, 0.1), (0.08, 0.04, 0.01))
    t = rows.to_pydict()
    wave, film = np.asarray(t["wave"]), np.asarray(t["film_id"])
    control = np.asarray(t["group"]) == "control"
    for w in (1, 2, 3):
        mine = wave == w
        share = len(set(film[mine & control])) / len(set(film[mine]))
        users = mine.sum() / len(set(film[mine]))  # the wave's mean size
        assert abs(share - 0.1 * users) < 0.1, (w, share, 0.1 * users)
    assert abs(measured - every) < 0.005, (measured, every)
    block = compute_report(rows, conv)["overall"]
    assert block["measured_targets"] > 0.6 * block["targets"]


def test_one_stratum_gives_the_plain_intervals() -> None:
    """A (film, wave) block, or controls in proportion to the targets everywhere: the
    stratified figures are Newcombe's and MOVER-R's on the counts."""
    rows, conv = planted_rows(np.random.default_rng(4), 400, 150, 0.12, 0.07)
    block = compute_report(rows, conv)["overall"]
    x_t, x_c = int(conv[:400].sum()), int(conv[400:].sum())
    d, lo, hi = newcombe(x_t, 400, x_c, 150)
    assert block["absolute_uplift"] == {"estimate": round(d, 6), "low": round(lo, 6),
                                        "high": round(hi, 6)}
    assert "control_effective_size" not in block and block["measured_targets"] == 400
    # two strata each with 3 controls for 8 targets: the effective size is the 6 controls
    from recommender.campaigns.report import strata_stats

    two = strata_stats(np.array([8, 8]), np.array([4, 2]), np.array([3, 3]), np.array([1, 2]),
                       0.0, 0.0)
    assert two["control_effective_size"] == pytest.approx(6.0)
    assert two["control_rate"]["estimate"] == pytest.approx(3 / 6)
    assert two["absolute_uplift"]["estimate"] == pytest.approx(6 / 16 - 3 / 6)


def test_no_stratum_with_both_groups_says_why_once() -> None:
    # targets in one film's wave, controls in another's: nothing compares, and the note
    # said "compare the other 0" beside the reason
    from recommender.campaigns.report import strata_stats

    block = strata_stats(np.array([5, 0]), np.array([1, 0]), np.array([0, 3]),
                         np.array([0, 1]), 0.0, 0.0)
    assert block["absolute_uplift"] is None and "note" not in block
    assert block["no_estimate"].startswith("no wave of any film holds both targets and controls")
    assert block["measured_targets"] == 0 and block["target_rate"]["estimate"] == 0.2


def test_a_curve_without_points_is_not_said_to_be_measured() -> None:
    """A horizon curve with fewer than two points (a short log: no cut had room for any step)
    is not used by ``horizon_factor``, which takes activity as even (k = window / horizon);
    the report said "k = 333.3 from the measured activity curve" all the same."""
    from recommender.campaigns.report import predicted_scaling

    empty = {"days": 0.042, "curve": {"days": [], "ratio": [], "cuts": 3}}
    _, said = predicted_scaling(empty, 14.0)
    assert said["factor"] == pytest.approx(14.0 / 0.042, rel=1e-6)
    assert "measured activity curve" not in said["scaling"]
    assert "activity is taken as even" in said["scaling"]
    measured = {"days": 1.0, "curve": {"days": [0.5, 1.0, 2.0], "ratio": [0.6, 1.0, 1.5]}}
    assert "measured activity curve" in predicted_scaling(measured, 2.0)[1]["scaling"]


@pytest.mark.parametrize("n_c,p_c,p_t", [(1, 0.3, 0.45), (2, 0.1, 0.15), (3, 0.3, 0.45)])
def test_relative_interval_covers_with_one_to_three_controls(n_c: int, p_c: float,
                                                             p_t: float) -> None:
    """The report's relative interval, its exact coverage over every outcome (no Monte
    Carlo): 300 targets against the 1 to 3 controls a film's wave holds at the default
    holdout. The Katz log interval held the true +50% in 71%, 82% and 89% of the draws (its
    upper end fell below the truth whenever the controls converted well); MOVER-R holds it
    in at least 92%."""
    from scipy.stats import binom

    n_t, covered = 300, 0.0
    truth = p_t / p_c - 1
    for x_t in range(n_t + 1):
        w_t = binom.pmf(x_t, n_t, p_t)
        if w_t < 1e-12:
            continue
        for x_c in range(n_c + 1):
            rel = group_stats(n_t, x_t, n_c, x_c, 0.0, 0.0)["relative_uplift"]
            high = math.inf if rel["high"] is None else rel["high"]
            covered += w_t * binom.pmf(x_c, n_c, p_c) * (rel["low"] <= truth <= high)
    assert covered >= 0.92, covered


def test_a_block_with_few_controls_warns_and_says_its_rates_counts() -> None:
    """With fewer than ``FEW_CONTROLS`` controls the intervals are approximate: exact
    enumeration over every outcome (300 targets at 15% against one control at 10%) finds
    Newcombe's absolute interval holding the true uplift in fewer than 95% of draws (about
    90%); the report said nothing of it. A block also gives the target rate's numerator
    (``measured_conversions``), which the CLI prints beside a rate whose base is not the
    row's targets."""
    from scipy.stats import binom

    from recommender.campaigns.report import FEW_CONTROLS

    covered = 0.0
    for x_t in range(301):
        for x_c in (0, 1):
            up = group_stats(300, x_t, 1, x_c, 0.0, 0.0)["absolute_uplift"]
            covered += (binom.pmf(x_t, 300, 0.15) * binom.pmf(x_c, 1, 0.1)
                        * (up["low"] <= 0.05 <= up["high"]))
    # Newcombe's interval from plain Wilson limits held it in about 90%; the report's limits
    # (Wilson's, moved out to the exact Poisson limit at 3 or fewer events: score_interval)
    # hold it, and the warning still says the intervals are approximate
    assert covered >= 0.95, covered
    few = group_stats(300, 45, 1, 0, 0.0, 0.0)
    assert "1 control (fewer than 10)" in few["warning"] and FEW_CONTROLS == 10
    assert "warning" not in group_stats(300, 45, FEW_CONTROLS, 1, 0.0, 0.0)
    from recommender.campaigns.report import strata_stats

    two = strata_stats(np.array([8, 8, 5]), np.array([4, 2, 5]), np.array([3, 3, 0]),
                       np.array([1, 2, 0]), 0.0, 0.0)
    assert two["measured_conversions"] == 6 and two["measured_targets"] == 16
    assert two["target_conversions"] == 11 and "an effective 6 controls" in two["warning"]


def test_rare_conversions_in_a_large_control_group_are_covered() -> None:
    """300 targets at 1.2% against 50 controls at 0.2% (rare tickets): the Wilson lower
    limit of one conversion is 0.19 / n, above the true 0.1 / n, so whenever one control
    converted (9% of draws) the control rate's interval missed the truth, and the relative
    uplift's held the true +500% in 92% of draws, with no warning (50 controls). The report's
    limits (``score_interval``) hold both in at least 95% (exact enumeration)."""
    from scipy.stats import binom

    n_t, p_t, n_c, p_c = 300, 0.012, 50, 0.002
    rel_covered = rate_covered = 0.0
    for x_c in range(n_c + 1):
        for x_t in range(n_t + 1):
            w = binom.pmf(x_c, n_c, p_c) * binom.pmf(x_t, n_t, p_t)
            if w < 1e-12:
                continue
            block = group_stats(n_t, x_t, n_c, x_c, 0.0, 0.0)
            rate = block["control_rate"]
            rate_covered += w * (rate["low"] <= p_c <= rate["high"])
            rel = block["relative_uplift"]
            high_r = math.inf if rel["high"] is None else rel["high"]
            rel_covered += w * (rel["low"] <= p_t / p_c - 1 <= high_r)
            assert "warning" not in block
    assert rate_covered >= 0.95 and rel_covered >= 0.95, (rate_covered, rel_covered)


def test_the_reports_limits_only_widen_wilsons_at_few_events() -> None:
    from recommender.campaigns.report import score_interval

    # Wilson's own limits stay as defined (wilson); the report's only widen them
    assert score_interval(1, 50)[0] < wilson(1, 50)[0] and \
        score_interval(20, 50) == wilson(20, 50)
    assert score_interval(49, 50)[1] > wilson(49, 50)[1]
