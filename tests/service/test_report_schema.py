"""The campaign report's published schema (``service/report_schemas.py``) holds the real
reports: every branch of a block (measured, some targets without controls, no control group,
nobody selected, few controls, strata, a film with no row) and a withdrawn plan's, fetched over
HTTP and validated with ``jsonschema_rs`` against ``/openapi.json``, whose models forbid keys
they do not declare. The 200 body was an untyped object: a client generated from the schema
had no field of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
from recommender.campaigns.withdraw import withdraw
from service.app import create_app
from service.settings import Settings

START = 1_709_251_200  # 2024-03-01T00:00:00Z
DAY = 86_400


def _rows(plan: str, film: list[str], wave: list[int], group: list[str]) -> pa.Table:
    n = len(film)
    return pa.Table.from_arrays([
        pa.array([plan] * n), pa.array(film), pa.array([f"{plan}-u{i}" for i in range(n)]),
        pa.array(np.array(wave, np.int16)), pa.array(group),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(np.full(n, 0.2)),
        pa.array(np.full(n, 0.2))], schema=PLAN_SCHEMA)


PLANS: dict[str, tuple[list[str], list[int], list[str]]] = {
    # two films over two waves, with controls in some (film, wave) strata only
    "strata": (["A"] * 6 + ["B"] * 5, [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2],
               ["target", "control", "target", "target", "target", "control",
                "target", "target", "target", "target", "control"]),
    "gone": (["A"] * 4, [1, 1, 2, 2], ["target", "control", "target", "control"]),
    "no-control": (["A"] * 3, [1, 1, 1], ["target"] * 3),
    "only-controls": (["A"] * 2, [1, 1], ["control"] * 2),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    root = tmp_path_factory.mktemp("report-schema")
    store_path = root / "store.db"
    store = open_store(str(store_path))
    for plan, (film, wave, group) in PLANS.items():
        summary = {"created": "2024-03-01T00:00:00+00:00", "model_version": "m1",
                   "films": [{"film_id": "A", "title": "Film A"}, {"film_id": "B"},
                             {"film_id": "C", "title": "Nobody"}], "horizon": {"days": 14},
                   "waves": max(wave)}
        store.save_plan(plan, summary, _rows(plan, film, wave, group))
    record_events(store, check_events([
        {"event_id": str(i), "user_id": f"strata-u{i}", "film_id": f,
         "timestamp": START + DAY * (i + 1)}
        for i, f in enumerate(["A", "A", "A", "A", "B", "B", "B", "A"])]
        + [{"event_id": "early", "user_id": "no-control-u0", "film_id": "A",
            "timestamp": START - 60}]))
    withdraw(store, "gone", 1)
    store.close()
    settings = Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                        store=str(store_path))
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json").json()
        urls = ["/campaigns/gone/report", "/campaigns/strata/report",
                "/campaigns/no-control/report",
                "/campaigns/only-controls/report",
                "/campaigns/no-control/report?window_days=0.5"]
        got = [c.get(u) for u in urls]
    for url, r in zip(urls, got, strict=True):
        assert r.status_code == 200, (url, r.text)
    declared = schema["paths"]["/campaigns/{plan_id}/report"]["get"]["responses"]["200"]
    body_schema = declared["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for({**body_schema, "components": schema["components"]})
    out = []
    for r in got:
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(r.json())]
        assert not errors, errors
        out.append(r.json())
    return out


def test_every_branch_of_a_report_is_in_its_schema(reports: list[dict[str, Any]]) -> None:
    """The reports above did reach each kind of block they were built for (the schema check
    is in the fixture): a report holding none of them would prove nothing."""
    blocks = [b for body in reports for b in (body["overall"], *body["waves"],
                                               *body["films"])]
    blocks += [w for body in reports for f in body["films"] for w in f["waves"]]
    for key in ("note", "warning", "no_estimate", "measured_conversions",
                "control_effective_size"):
        assert any(key in b for b in blocks), key
    assert any(b["relative_uplift"] and b["relative_uplift"]["high"] is None for b in blocks)
    assert reports[0]["sent_waves_source"].startswith("withdrawn after 1")
    assert reports[2]["early_conversions"] == 1


def test_an_undeclared_key_fails_the_check(reports: list[dict[str, Any]],
                                           tmp_path: Path) -> None:
    """The schema is closed: the check above would catch a key the library added."""
    settings = Settings(model_path=str(save_model(tmp_path / "model", seed=0)),
                        warm_cache=False, store=str(tmp_path / "s.db"))
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json").json()
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Report",
                                             "components": schema["components"]})
    body = {**reports[0], "overall": {**reports[0]["overall"], "surprise": 1}}
    assert validator.is_valid(reports[0]) and not validator.is_valid(body)
