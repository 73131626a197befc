"""A campaign report is measured on every key's events, as README's Security -> Write keys
lists it among what key scoping does not cover: its ``events_read`` counts the other keys'
events of the plan's films in the window, whichever key asks, and its conversions count the
plan's own targets and controls, whoever stored their events. Oracle: the events posted here
(film, key) counted by hand, the plan's rows read from its ``plan.csv``."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

from fastapi.testclient import TestClient
from partner_keys import ADMIN, KEY_A, KEY_B
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_reports_events_read_counts_the_other_keys_events_as_documented(
        tmp_path: Path) -> None:
    settings = Settings(model_path=str(save_model(tmp_path / "model")),
                        store=str(tmp_path / "store.db"), write_keys=f"a:{KEY_A},b:{KEY_B}",
                        admin_key=ADMIN, events_poll=0, warm_cache=False)
    a, b = {"X-API-Key": KEY_A}, {"X-API-Key": KEY_B}
    with TestClient(create_app(settings)) as c:
        r = c.post("/campaigns/plan", headers=a, json={
            "films": [{"film_id": "00004", "budget": 4}], "holdout": 0.5, "waves": 1})
        assert r.status_code == 200, r.text
        plan_id = r.json()["plan_id"]
        rows = list(csv.DictReader(io.StringIO(
            c.get(f"/campaigns/{plan_id}/plan.csv", headers=a).text)))
        target = next(row["user_id"] for row in rows if row["group"] == "target")
        control = next(row["user_id"] for row in rows if row["group"] == "control")
        now = int(time.time())

        def event(e: str, user: str, film: str = "00004") -> dict[str, object]:
            return {"event_id": e, "user_id": user, "film_id": film, "timestamp": now}

        # key b: a target's and a control's sale, two of users outside the plan, one of
        # another film; key a: one of a user outside the plan
        sent_b = [event("b1", target), event("b2", control), event("b3", "new-b-1"),
                  event("b4", "new-b-2"), event("b5", "new-b-3", "00008")]
        assert c.post("/events", headers=b, json={"events": sent_b}).status_code == 200
        assert c.post("/events", headers=a,
                      json={"events": [event("a1", "new-a-1")]}).status_code == 200
        own = c.get("/events/status", headers=a).json()
        report = c.get(f"/campaigns/{plan_id}/report", headers=a)
        spec = c.get("/openapi.json", headers=a).json()
    assert report.status_code == 200, report.text
    body = report.json()
    # key a's own count is its one event; the report counts key b's 4 of film 00004 besides
    assert (own["counted"], own["sequence"]) == ("key", 1)
    assert body["events_read"] == 1 + 4
    overall = body["overall"]
    assert (overall["target_conversions"], overall["control_conversions"]) == (1, 1)
    # what README says of it, and the schema's description
    text = re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))
    assert ("A campaign report (`GET /campaigns/{plan_id}/report`, `campaign report`) is "
            "measured on every key's events") in text
    assert ("its `events_read` (and `events_after_as_of`, the part of it dated after `as_of`) "
            "counts every key's events of the plan's films in the waves' windows, whichever "
            "key asks") in text
    assert ("count events of the plan's own targets and control users alone, whichever key "
            "stored them") in text
    described = spec["components"]["schemas"]["Report"]["properties"]["events_read"]
    assert "every writer's events" in described["description"]
