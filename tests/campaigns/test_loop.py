"""The whole loop on the synthetic demo with planted truth: plan, send, responses as events,
report, next wave; the report recovers the planted uplift and the refreshed model plans a
better next wave than the stale one."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from campaign_oracles import brute_selection_size
from helpers import train_folder

from recommender.campaigns.next_wave import _trim_to_cap, chain
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.simulate import coverage, run_loop
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import open_store
from recommender.io import demo
from recommender.model.model import Model

# contacts per film: with run_loop's holdout 0.3 and 2 waves, 60 selected users (2 waves of 30,
# 9 controls each) and a next wave of 30 (21 contacts left, 9 controls on top)
BUDGET = 42


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Model]:
    folder = demo.generate(tmp_path_factory.mktemp("loop") / "data", seed=3, n_users=800,
                           n_films=80, n_interactions=12_000)
    return folder, train_folder(folder, factors=16, iterations=6, segments=4)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loop(world: tuple[Path, Model], tmp_path_factory: pytest.TempPathFactory,
         request: pytest.FixtureRequest, make_store: Callable[[str, Path], str]
         ) -> dict[str, Any]:
    """The whole loop (plan, send, responses, report, next wave), on each kind of store."""
    folder, model = world
    # mid-popular films: their fans have not all watched them yet
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")[30:36]].tolist()
    store = open_store(make_store(request.param, tmp_path_factory.mktemp("loop-store")))
    out = run_loop(folder, model, store, [SlateFilm(f, BUDGET) for f in films], newcomers=30,
                   seed=0)
    out["store"] = store
    return out


def _pairs(rows: pa.Table, group: str | None = None) -> set[tuple[str, str]]:
    d = rows.to_pydict()
    return {(f, u) for f, u, g in zip(d["film_id"], d["user_id"], d["group"], strict=True)
            if group is None or g == group}


def test_the_report_recovers_the_planted_uplift(loop: dict[str, Any]) -> None:
    wave1 = loop["report"]["waves"][0]  # only wave 1 was sent
    assert wave1["wave"] == 1
    up = wave1["absolute_uplift"]
    assert up["low"] <= loop["wave1"]["planted_uplift"] <= up["high"]
    assert (wave1["target_conversions"], wave1["control_conversions"]) == \
        (loop["wave1"]["target_conversions"], loop["wave1"]["control_conversions"])
    # over many independent responses to the same wave, the 95% interval covers the planted
    # uplift about 95% of the time (binomial tolerance: 3 standard deviations)
    draws = 100
    share = coverage(loop["truth"], loop["first_rows"], draws, seed=11)
    assert share >= 0.95 - 3 * math.sqrt(0.95 * 0.05 / draws), share


def test_the_refreshed_model_plans_a_better_next_wave(loop: dict[str, Any]) -> None:
    e = loop["expected_conversions"]
    assert e["next_refreshed"] > e["next_stale"], e
    truth = loop["truth"]
    fresh, stale = loop["fresh_rows"], loop["stale_rows"]

    def bought_targets(rows: pa.Table) -> int:
        t = rows.filter(pc.equal(rows.column("group"), "target"))
        u, f = truth.index(np.asarray(t.column("user_id").to_pylist(), str),
                           np.asarray(t.column("film_id").to_pylist(), str))
        return int(truth.bought[u, f].sum())

    assert bought_targets(fresh) == 0, "a buyer is never promoted the film they bought"
    assert bought_targets(stale) > 0


def test_the_next_wave_leaves_out_contacts_and_controls(loop: dict[str, Any]) -> None:
    first, fresh = loop["first_rows"], loop["fresh_rows"]
    wave1 = first.filter(pc.equal(first.column("wave"), 1))
    assert not _pairs(wave1) & _pairs(fresh), "wave 1's targets and controls are not replanned"
    store = loop["store"]
    summary = store.summary(loop["next_plan_id"])
    assert summary["previous_plan_id"] == loop["plan_id"] and summary["sent_waves"] == 1
    sent = wave1.to_pydict()
    assert brute_selection_size(BUDGET, 2, 0.3) == 60  # the sizes BUDGET is chosen for
    planned = first.to_pydict()
    for f in set(planned["film_id"]):  # a budget counts target rows, controls on top
        groups = [g for x, g in zip(planned["film_id"], planned["group"], strict=True) if x == f]
        assert groups.count("target") <= BUDGET and len(groups) <= 60
    sent_targets = [f for f, g in zip(sent["film_id"], sent["group"], strict=True)
                    if g == "target"]
    for f in summary["films"]:  # budgets count targets: the sent controls spent none of it
        assert f["budget"] == BUDGET - sent_targets.count(f["film_id"])
        assert f["contacts"] <= f["budget"]
    assert [p for p, _ in chain(store, loop["next_plan_id"], 1)] == \
        [loop["next_plan_id"], loop["plan_id"]]
    users = set(fresh.column("user_id").to_pylist())
    contacted = {u for (_, u) in _pairs(wave1, "target")}
    assert not users & contacted, "cap 1: a contacted user is not contacted again"


def test_cap_trimming_keeps_each_user_under_the_cap() -> None:
    rows = pa.Table.from_pydict({
        "plan_id": ["p"] * 5, "film_id": ["a", "b", "c", "a", "b"],
        "user_id": ["u1", "u1", "u1", "u2", "u2"], "wave": [1] * 5,
        "group": ["target", "target", "control", "target", "target"],
        "rank": [1, 2, 3, 4, 5], "p": [0.1, 0.3, 0.9, 0.2, 0.1],
        "expected_value": [0.0] * 5}, schema=PLAN_SCHEMA)
    # cap 3: u1 has 2 contacts already (1 left), u2 none
    kept, dropped = _trim_to_cap(rows, np.array(["u1"]), np.array([2]), 3)
    assert dropped == 1
    assert _pairs(kept) == {("b", "u1"), ("c", "u1"), ("a", "u2"), ("b", "u2")}
