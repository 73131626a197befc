"""``GET /campaigns/{plan_id}`` lists the plan's next waves (a plan may have several, each a
re-plan of the same remaining budget), the most waves sent first, each withdrawn or not: the
Studio named only the one the report's default reads. Oracle: the plans and the withdrawal
the server answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(model_path=str(save_model(tmp_path / "model")),
                        store=str(tmp_path / "campaigns.db"))
    with TestClient(create_app(settings)) as c:
        yield c


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_every_next_wave_is_listed(client: TestClient) -> None:
    first = _ok(client.post("/campaigns/plan", json={
        "films": [{"film_id": "00000", "budget": 30}], "waves": 3, "seed": 3}))["plan_id"]
    assert _ok(client.get(f"/campaigns/{first}"))["summary"]["next_waves"] == []
    one = _ok(client.post(f"/campaigns/{first}/next", json={"sent_waves": 1}))["plan_id"]
    two = _ok(client.post(f"/campaigns/{first}/next", json={"sent_waves": 2}))["plan_id"]
    gone = _ok(client.post(f"/campaigns/{two}/withdraw", json={"sent_waves": 0}))
    listed = _ok(client.get(f"/campaigns/{first}"))["summary"]["next_waves"]
    assert [(n["plan_id"], n["sent_waves"]) for n in listed] == [(two, 2), (one, 1)]
    assert listed[1]["withdrawn"] is None
    assert listed[0]["withdrawn"]["sent_waves"] == 0 and listed[0]["withdrawn"]["at"] == gone["at"]
    # a next wave has none of its own yet
    assert _ok(client.get(f"/campaigns/{one}"))["summary"]["next_waves"] == []
