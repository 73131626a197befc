"""The campaign endpoints: plan, list, summary and the streamed CSV, against the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from service_fixtures import ODD_FILM_ID, ODD_USER_ID, save_model

from recommender.campaigns.export import write_plan
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("campaigns") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("store") / "campaigns.db"
    with TestClient(create_app(Settings(model_path=str(model_dir), store=str(store)))) as c:
        yield c


FILMS: list[dict[str, Any]] = [{"film_id": "00000", "budget": 30, "value": 2},
                               {"film_id": ODD_FILM_ID, "budget": 25},
                               {"film_id": "00002", "budget": 1000}]
EXCLUDE = [ODD_USER_ID, "u3", "never-seen"]
BODY: dict[str, Any] = {"films": FILMS, "cap": 2, "holdout": 0.2, "waves": 2, "seed": 3,
                        "exclude_user_ids": EXCLUDE}


def test_plan_list_summary_and_csv(client: TestClient, model_dir: Path, tmp_path: Path) -> None:
    r = client.post("/campaigns/plan", json=BODY)
    assert r.status_code == 200, r.text
    plan_id, summary = r.json()["plan_id"], r.json()["summary"]
    assert summary["plan_id"] == plan_id
    assert summary["totals"]["flagged_films"] == ["00002"]  # planned in full and flagged
    f2 = next(f for f in summary["films"] if f["film_id"] == "00002")
    assert f2["selected"] == f2["eligible_users"] < 1000
    listed = client.get("/campaigns").json()
    assert listed["total"] >= 1 and plan_id in [p["plan_id"] for p in listed["plans"]]
    assert client.get(f"/campaigns/{plan_id}").json() == {"plan_id": plan_id,
                                                          "summary": summary}
    csv = client.get(f"/campaigns/{plan_id}/plan.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    # the library's plan for the same request, with the same id: the same bytes
    model = artifact.load(model_dir)
    again = plan_slate(model, [SlateFilm(f["film_id"], f["budget"], f.get("value", 1.0))
                               for f in FILMS],
                       cap=2, holdout=0.2, waves=2, seed=3, exclude=EXCLUDE, plan_id=plan_id)
    write_plan(again.rows, tmp_path / "plan.csv")
    assert csv.content == (tmp_path / "plan.csv").read_bytes()
    lines = csv.content.decode().splitlines()
    assert lines[0] == "plan_id,film_id,user_id,wave,group,rank,p,expected_value"
    assert len(lines) - 1 == summary["totals"]["selected"]
    assert ODD_USER_ID not in csv.text and '"u3"' not in csv.text


def test_errors(client: TestClient) -> None:
    r = client.post("/campaigns/plan", json={**BODY, "films": [
        {"film_id": "nope-a", "budget": 3}, {"film_id": "00000", "budget": 3},
        {"film_id": "nope-b", "budget": 3}]})
    assert r.status_code == 404 and "nope-a" in r.json()["detail"] \
        and "nope-b" in r.json()["detail"]
    bads: list[dict[str, Any]] = [
                {"cap": 0}, {"holdout": 1.0}, {"waves": 0}, {"films": []}, {"seed": -1},
                {"films": [{"film_id": "00000", "budget": -1}]},
                {"films": [{"film_id": "00000", "budget": 1, "value": 0}]},
                {"surprise": 1}]
    for bad in bads:
        r = client.post("/campaigns/plan", json={**BODY, **bad})
        assert r.status_code == 422, (bad, r.text)
        assert isinstance(r.json()["detail"], str)
    # valid by the schema (which cannot say "each film once"), refused as a conflict
    r = client.post("/campaigns/plan", json={**BODY, "films": [
        {"film_id": "00000", "budget": 1}, {"film_id": "00000", "budget": 2}]})
    assert r.status_code == 409 and "'00000' appears twice" in r.json()["detail"]
    for path in ("/campaigns/plan-missing", "/campaigns/plan-missing/plan.csv"):
        r = client.get(path)
        assert r.status_code == 404 and "plan-missing" in r.json()["detail"], (path, r.text)
    assert client.get(f"/campaigns/{quote('a b/é', safe='')}").status_code == 404
    assert client.get("/campaigns?limit=0").status_code == 422
