"""A library refusal that names its parameter (``InvalidParameterError.param``) is placed
there in the 422's ``loc``: the path's wave, the query's tier, or the body as a whole when
one of several fields is needed (the words were read for a field, and pointed at one never
sent, or at none)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("refusal-loc")
    settings = Settings(model_path=str(save_model(folder / "model")),
                        store=str(folder / "campaigns.db"))
    with TestClient(create_app(settings)) as c:
        yield c


def _locs(r: Response) -> list[list[object]]:
    assert r.status_code == 422, r.text
    return [e["loc"] for e in r.json()["errors"]]


def test_tiers_not_adjacent_are_the_tier_parameters(client: TestClient) -> None:
    r = client.get("/films/00000/audience/summary", params={"tier": "core,broad"})
    assert "adjacent" in r.json()["detail"] and _locs(r) == [["query", "tier"]]


def test_wave_refusals_point_at_the_path_wave(client: TestClient) -> None:
    plan = client.post("/campaigns/plan", json={"films": [{"film_id": "00000", "budget": 5}],
                                                "waves": 2})
    assert plan.status_code == 200, plan.text
    plan_id = plan.json()["plan_id"]
    # wave 2 before wave 1 is recorded: the wave's order is at fault, not the body's "at"
    r = client.post(f"/campaigns/{plan_id}/waves/2/sent", json={})
    assert "record wave 1 first" in r.json()["detail"] and _locs(r) == [["path", "wave"]]
    r = client.post(f"/campaigns/{plan_id}/waves/9/sent", json={})  # no such wave
    assert "wave must be in [1, 2]" in r.json()["detail"] and _locs(r) == [["path", "wave"]]
    r = client.delete(f"/campaigns/{plan_id}/waves/9/sent")
    assert _locs(r) == [["path", "wave"]]


def test_one_of_several_fields_is_the_body(client: TestClient) -> None:
    r = client.post("/audiences/cold-start", json={})
    assert "comparable film id or one genre" in r.json()["detail"]
    assert _locs(r) == [["body"]]
