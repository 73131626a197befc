"""Every field of a plan in ``GET /campaigns`` is declared in the schema (``ListedPlan``), with
its type: a closed copy of the schema takes the real entries (a first plan, its next wave, a
withdrawn one), and the answer is the store's list as the library gives it, value for value."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.store import open_store
from recommender.model import artifact
from recommender.query.catalog import name_plan_films
from service.app import create_app
from service.settings import Settings

FIELDS = ["plan_id", "created", "previous_plan_id", "previous_sent_waves", "model_version",
          "rows", "films", "titles", "totals", "horizon_days", "next_plan_ids", "withdrawn",
          "incomplete", "titles_from_model", "planned_waves", "per_wave", "sent_totals",
          "pending_totals"]


def test_listed_plans_are_declared_field_by_field(tmp_path: Path) -> None:
    model_dir, store = save_model(tmp_path / "model"), tmp_path / "campaigns.db"
    with TestClient(create_app(Settings(model_path=str(model_dir), store=str(store)))) as c:
        first = c.post("/campaigns/plan", json={"films": [{"film_id": "00000", "budget": 6},
                                                          {"film_id": "00002", "budget": 4}],
                                                "waves": 2}).json()["plan_id"]
        nxt = c.post(f"/campaigns/{first}/next", json={"sent_waves": 1})
        assert nxt.status_code == 200, nxt.text
        other = c.post("/campaigns/plan", json={"films": [{"film_id": "00003", "budget": 3}],
                                                "waves": 2}).json()["plan_id"]
        assert c.post(f"/campaigns/{other}/withdraw", json={"sent_waves": 1}).status_code == 200
        listed = c.get("/campaigns").json()["plans"]
        schema = c.get("/openapi.json").json()
    assert {p["plan_id"] for p in listed} == {first, other, nxt.json()["plan_id"]}
    components = copy.deepcopy(schema["components"])
    declared = components["schemas"]["ListedPlan"]
    assert list(declared["properties"]) == FIELDS and declared["required"] == FIELDS
    declared["additionalProperties"] = False  # closed: a field the list adds is caught
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/ListedPlan",
                                             "components": components})
    for plan in listed:
        errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(plan)]
        assert not errors, (plan["plan_id"], errors)
        assert list(plan) == FIELDS
    # a next wave and a withdrawn plan filled the fields a first plan leaves null
    assert any(p["previous_plan_id"] == first for p in listed)
    assert any(p["withdrawn"] and p["withdrawn"]["sent_waves"] == 1 for p in listed)
    # the oracle: the library's own list, unchanged by the schema (no number retyped)
    kept = open_store(str(store))
    try:
        _, raw = kept.list_plans(100, 0)
    finally:
        kept.close()
    expected: list[dict[str, Any]] = name_plan_films(artifact.load(model_dir), raw)
    assert listed == expected
