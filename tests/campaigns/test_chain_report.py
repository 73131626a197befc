"""The report over a campaign's chain of plans (``campaign report --chain``, ``GET
/campaigns/{plan_id}/report?chain=true``): each plan over its waves sent (the first plan over
the wave sent before its next wave was planned, the next wave over all of its own), and the
uplift pooled over every (plan, film, wave) stratum. There was no report over a whole
campaign, only one per plan.

Oracle: computed here with numpy and scipy from the raw events this test records and the plan
rows as the store's tables hold them (sqlite3): each row converts when its (film, user) has an
event in [its plan's created time, + 30 days); the stratified estimate (target rate, control
rate weighted by each stratum's targets, the controls' effective size) and the Newcombe
interval from modified Wilson limits (Poisson ends at 3 or fewer events) written out again."""

from __future__ import annotations

import json
import math
import sqlite3
from datetime import datetime
from typing import Any

import jsonschema_rs
import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import number_paths, run_cli
from scipy import stats
from stored_plans import first_plan

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.report_chain import chain_report
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

DAY = 86_400
Z = float(stats.norm.ppf(0.975))


def _limits(x: float, n: float) -> tuple[float, float]:
    """The modified Wilson interval of x / n (Brown, Cai & DasGupta 2001)."""
    p = x / n
    den = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / den
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / den
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    tail = float(stats.norm.sf(Z))
    if 0 < x <= 3:
        low = min(low, float(stats.gamma.ppf(tail, x)) / n)
    if 0 < n - x <= 3:
        high = max(high, 1 - float(stats.gamma.ppf(tail, n - x)) / n)
    return low, high


def _stratified(strata: np.ndarray) -> dict[str, float]:
    """Rows of (targets, target conversions, controls, control conversions) per stratum."""
    n_t, x_t, n_c, x_c = (strata[:, i].astype(float) for i in range(4))
    m = (n_t > 0) & (n_c > 0)
    mt, mx = n_t[m].sum(), x_t[m].sum()
    w = n_t[m] / mt
    if m.sum() == 1:
        nc, xc = n_c[m][0], x_c[m][0]
    else:
        nc = 1 / np.sum(w ** 2 / n_c[m])
        xc = np.sum(w * x_c[m] / n_c[m]) * nc
    p1, p2 = mx / mt, xc / nc
    (l1, u1), (l2, u2) = _limits(mx, mt), _limits(xc, nc)
    d = p1 - p2
    return {"targets": n_t.sum(), "controls": n_c.sum(), "target": p1, "control": p2,
            "diff": d, "low": d - math.hypot(p1 - l1, u2 - p2),
            "high": d + math.hypot(u1 - p1, p2 - l2)}


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A first plan of 3 waves, its next wave after 1 sent wave (2 waves), and events: the
    rows counted convert at 40% (targets) and 15% (controls), and every row of the first
    plan's unsent waves 2-3 converts (never counted: the next wave re-planned them)."""
    tmp_path = tmp_path_factory.mktemp("chain")
    model, store, db, root = first_plan(tmp_path)
    nxt = plan_next_wave(model, store, root, sent_waves=1, progress=False).plan_id
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT plan_id, film_id, user_id, wave, group_name FROM "
                         "campaign_plan_rows").fetchall()
        created = dict(c.execute("SELECT plan_id, created FROM campaign_plans").fetchall())
    start = {p: int(datetime.fromisoformat(t).timestamp()) for p, t in created.items()}
    rng = np.random.default_rng(11)
    events = []
    for i, (plan, film, user, wave, group) in enumerate(rows):
        counted = plan == nxt or wave == 1
        chance = (0.4 if group == "target" else 0.15) if counted else 1.0
        if rng.random() < chance:
            events.append({"event_id": f"e{i}", "user_id": user, "film_id": film,
                           "timestamp": max(start.values()) + 60})
    record_events(store, check_events(events))
    store.close()
    return {"db": db, "model": model, "root": root, "next": nxt, "rows": rows,
            "start": start, "events": events, "tmp": tmp_path}


def _oracle_strata(chain: dict[str, Any]) -> dict[str, np.ndarray]:
    """Each plan's strata as the counts of its (film, wave) rows, from the raw events."""
    bought: dict[tuple[str, str], list[int]] = {}
    for e in chain["events"]:
        bought.setdefault((e["film_id"], e["user_id"]), []).append(e["timestamp"])
    sent = {chain["root"]: 1, chain["next"]: 99}  # the next wave: all of its waves
    cells: dict[tuple[str, str, int], list[int]] = {}
    for plan, film, user, wave, group in chain["rows"]:
        if wave > sent[plan]:
            continue
        s = chain["start"][plan]
        conv = any(s <= t < s + 30 * DAY for t in bought.get((film, user), []))
        cell = cells.setdefault((plan, film, wave), [0, 0, 0, 0])
        k = 0 if group == "target" else 2
        cell[k] += 1
        cell[k + 1] += int(conv)
    return {p: np.array([v for (q, _, _), v in sorted(cells.items()) if q == p])
            for p in sent}


def _check(block: dict[str, Any], want: dict[str, float]) -> None:
    assert (block["targets"], block["controls"]) == (want["targets"], want["controls"])
    assert block["target_rate"]["estimate"] == pytest.approx(want["target"], abs=1e-6)
    assert block["control_rate"]["estimate"] == pytest.approx(want["control"], abs=1e-6)
    u = block["absolute_uplift"]
    assert (u["estimate"], u["low"], u["high"]) == pytest.approx(
        (want["diff"], want["low"], want["high"]), abs=2e-6)


def test_chain_report_against_the_raw_events(chain: dict[str, Any]) -> None:
    from recommender.campaigns.store import open_store

    store = open_store(str(chain["db"]))
    try:
        body = chain_report(store, chain["next"], 30.0)
        alone = chain_report(store, chain["root"], 30.0)
    finally:
        store.close()
    strata = _oracle_strata(chain)
    assert body["chain"] == [chain["root"], chain["next"]]
    first, second = body["plans"]
    assert (first["plan_id"], first["sent_waves"], first["campaign_waves"]) == \
        (chain["root"], 1, [1, 1])
    assert (second["plan_id"], second["sent_waves"], second["campaign_waves"]) == \
        (chain["next"], 2, [2, 3])
    _check(first["overall"], _stratified(strata[chain["root"]]))
    _check(second["overall"], _stratified(strata[chain["next"]]))
    every = np.concatenate([strata[chain["root"]], strata[chain["next"]]])
    _check(body["pooled"], _stratified(every))
    assert body["pooled"]["strata"] == len(every) and body["pooled"]["plans_count"] == 2
    # the pooled estimate is not the crude one (one control rate over every control)
    crude = every[:, 3].sum() / every[:, 2].sum()
    assert body["pooled"]["control_rate"]["estimate"] != pytest.approx(crude, abs=1e-4)
    assert "every (plan, film, wave) a stratum" in body["method"]["chain"]
    assert first["sent_waves_source"] == \
        f"the chain's next plan {chain['next']} was planned after 1 sent wave"
    # each number has a unit, by its field or its parent (an interval's estimate, low, high)
    units = body["units"]
    assert {".".join(p) for p in number_paths(body, ("units", "method", "horizon"))
            if p[-1] not in units and (len(p) < 2 or p[-2] not in units)} == set()
    # the first plan alone: a chain of one, its next wave named as not in it
    assert alone["chain"] == [chain["root"]] and len(alone["plans"]) == 1
    assert [n["plan_id"] for n in alone["next_waves"]] == [chain["next"]]
    assert f"plan {chain['root']} has next waves ({chain['next']})" in alone["note"]


def test_cli_and_http_give_the_same_chain_report(chain: dict[str, Any],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db, nxt = chain["db"], chain["next"]
    folder = artifact.save(chain["model"], chain["tmp"] / "model")
    code, out, err = run_cli(capsys, "campaign", "report", nxt, "--store", db, "--chain",
                             "--json", "--model", folder)  # the places HTTP's model has
    assert code == 0, err
    printed = json.loads(out)
    with TestClient(create_app(Settings(model_path=str(folder), store=str(db),
                                        events_poll=0, warm_cache=False))) as client:
        got = client.get(f"/campaigns/{nxt}/report", params={"chain": "true"})
        single = client.get(f"/campaigns/{nxt}/report")
        schema = client.get("/openapi.json").json()
    assert got.status_code == 200, got.text
    # both bodies are the declared 200 (closed models: an undeclared key fails)
    declared = schema["paths"]["/campaigns/{plan_id}/report"]["get"]["responses"]["200"]
    validator = jsonschema_rs.validator_for(
        {**declared["content"]["application/json"]["schema"],
         "components": schema["components"]})
    for body in (got.json(), single.json()):
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, errors
    chain_only = jsonschema_rs.validator_for({"$ref": "#/components/schemas/ChainReport",
                                              "components": schema["components"]})
    assert chain_only.is_valid(got.json()) and not chain_only.is_valid(single.json())
    assert printed == got.json()
    assert "chain" not in single.json() and single.json()["plan_id"] == nxt
    code, out, err = run_cli(capsys, "campaign", "report", nxt, "--store", db, "--chain")
    assert code == 0, err
    assert f"1. {chain['root']} (wave 1)" in out and f"2. {nxt} (waves 2-3)" in out
    assert "pooled (" in out and "every (plan, film, wave) a stratum" in out
