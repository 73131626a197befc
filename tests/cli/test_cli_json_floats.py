"""`--json` prints the HTTP body byte for byte when a number is small: FastAPI writes a route's
response model with pydantic (``0.000015``) and a dict it renders itself with ``json.dumps``
(``1.5e-05``); the CLI must write each body as its route does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import save_model

import recommender.campaigns.report as report_module
from recommender.query.recommend import FilmList
from service.app import create_app
from service.settings import Settings

TINY = 1.5e-05  # json.dumps: 1.5e-05; pydantic: 0.000015


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("json-floats") / "model")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("json-floats-store") / "campaigns.db")


@pytest.fixture(scope="module")
def client(model_dir: Path, store: str) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), store=store, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def test_watched_recommendations_with_a_tiny_score(
        model_dir: Path, client: TestClient, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``recommend --watched FILE --json`` wrote ``1.5e-05`` where ``POST /recommendations``
    (a response model) answers ``0.000015``."""
    original = FilmList.watched_json

    def tiny(self: FilmList, model: Any, unknown: list[str]) -> dict[str, Any]:
        body = original(self, model, unknown)
        body["films"][0]["score"] = TINY
        return body

    monkeypatch.setattr(FilmList, "watched_json", tiny)
    watched = model_dir.parent / "watched.txt"
    watched.write_text("00000\n00002\n")
    http = client.post("/recommendations", json={"film_ids": ["00000", "00002"], "k": 3})
    assert http.status_code == 200, http.text
    code, out, err = run(capsys, "recommend", model_dir, "--watched", watched, "--k", "3",
                         "--json")
    assert code == 0, err
    assert '"score":0.000015' in http.text
    assert out == http.content.decode() + "\n"


def test_a_report_over_one_second(client: TestClient, store: str, model_dir: Path,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``GET /campaigns/{plan_id}/report?window_days=<one second>`` answered
    ``"window_days":1.1574074074074073e-05`` (json.dumps, since the route declared its schema
    with ``response_model=None``) where ``campaign report --json`` and the route before wrote
    ``0.000011574074074074073``."""
    plan = client.post("/campaigns/plan", json={"films": [{"film_id": "00000", "budget": 5}]})
    assert plan.status_code == 200, plan.text
    plan_id = plan.json()["plan_id"]
    # one report time for the bodies compared (their as_of differed across a second)
    monkeypatch.setattr(report_module, "report_now", lambda: 2_000_000_000)
    second = repr(1 / 86400)
    http = client.get(f"/campaigns/{plan_id}/report", params={"window_days": second})
    assert http.status_code == 200, http.text
    assert '"window_days":0.000011574074074074073' in http.text
    code, out, err = run(capsys, "campaign", "report", plan_id, "--store", store,
                         "--window-days", second, "--json", "--model", model_dir)
    assert code == 0, err
    assert out == http.content.decode() + "\n"
