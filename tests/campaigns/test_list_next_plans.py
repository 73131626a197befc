"""``GET /campaigns`` names each plan's next waves (``next_plan_ids``): the Studio's list saw
only the next waves on the same page of 100, and counted one withdrawn before any send (which
continues nothing: ``withdraw.next_wave_of``). Oracle: ``GET /campaigns/{plan_id}``'s own
``next_waves`` with their withdrawals, read one plan at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from stored_plans import first_plan

from recommender.campaigns.next_wave import plan_next_wave
from recommender.campaigns.store import open_store
from recommender.campaigns.withdraw import next_wave_of, withdraw
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_each_plan_names_its_next_waves_on_any_page(tmp_path: Path) -> None:
    model, store, db, first = first_plan(tmp_path)
    one = plan_next_wave(model, store, first, sent_waves=1, waves=2, progress=False).plan_id
    two = plan_next_wave(model, store, first, sent_waves=2, waves=1, seed=2,
                         progress=False).plan_id
    dead = plan_next_wave(model, store, first, sent_waves=1, waves=2, seed=3,
                          progress=False).plan_id
    withdraw(store, dead, 0)  # never sent: it continues nothing
    with store.engine.connect() as conn:
        picked = next_wave_of(conn, first)
    store.close()
    settings = Settings(model_path=str(artifact.save(model, tmp_path / "model")), store=str(db))
    with TestClient(create_app(settings)) as client:
        total = client.get("/campaigns").json()["total"]
        assert total == 4
        listed = {}
        for offset in range(total):  # a page of one plan: the others are on other pages
            body = client.get(f"/campaigns?limit=1&offset={offset}").json()
            (row,) = body["plans"]
            listed[row["plan_id"]] = row["next_plan_ids"]
        waves = client.get(f"/campaigns/{first}").json()["summary"]["next_waves"]
        schema = client.get("/openapi.json").json()["components"]["schemas"]
    live = [w["plan_id"] for w in waves
            if not (w["withdrawn"] and w["withdrawn"]["sent_waves"] == 0)]
    assert sorted(live) == sorted([one, two]) and dead not in live
    assert listed[first] == live  # the most waves sent first, as next_waves
    assert picked is not None and listed[first][0] == picked[0] == two
    assert listed[one] == listed[two] == listed[dead] == []
    assert "``next_plan_ids`` lists the ids of the plans that continue it" in schema[
        "PlanList"]["properties"]["plans"]["description"]


@pytest.mark.parametrize("count", [0, 3])
def test_no_plan_no_next_waves(tmp_path: Path, count: int) -> None:
    """The store's own page of no plans, or plans without next waves: [] for each."""
    from recommender.campaigns.withdraw import next_plans_of

    store = open_store(str(tmp_path / "store.db"))
    with store.engine.connect() as conn:
        assert next_plans_of(conn, [f"p{i}" for i in range(count)]) == {}
    store.close()
