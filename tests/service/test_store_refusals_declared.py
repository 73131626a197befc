"""Every campaign-store route's refusals are in the schema as it answers them: a store a newer
engine migrated is a 409 on each (the schema listed none on the read routes, GET /campaigns,
GET /campaigns/{plan_id}, /events/status ..., and named only the route's own conflicts where it
had a 409), and a damaged store's 503 carries no Retry-After (the schema said "seconds to wait
before trying again" on every store 503, and nothing of a damaged file).

The oracle of which routes are the store's is the code (an endpoint that calls
``campaign_store``), and of what they answer the answers themselves: each route is requested
against a newer store and against a damaged one.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model
from starlette.routing import compile_path

from recommender.campaigns import store as store_mod
from recommender.campaigns.store import open_store
from service.app import create_app
from service.auth import walk_routes
from service.settings import Settings

EVENT = {"event_id": "e1", "user_id": "u1", "film_id": "00003", "timestamp": 1_700_000_000}
#: one request per store route, with a body it takes (the store is reached after validation)
REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("/campaigns/plan", "post"): ("/campaigns/plan", {
        "films": [{"film_id": "00003", "budget": 2}], "cap": 1, "holdout": 0.2, "seed": 1}),
    ("/campaigns", "get"): ("/campaigns", None),
    ("/campaigns/{plan_id}", "get"): ("/campaigns/p1", None),
    ("/campaigns/{plan_id}/plan.csv", "get"): ("/campaigns/p1/plan.csv", None),
    ("/campaigns/{plan_id}/withdraw", "post"): ("/campaigns/p1/withdraw", {"sent_waves": 1}),
    ("/campaigns/{plan_id}/waves/{wave}/sent", "post"): ("/campaigns/p1/waves/1/sent", {}),
    ("/campaigns/{plan_id}/waves/{wave}/sent", "delete"): ("/campaigns/p1/waves/1/sent", None),
    ("/campaigns/{plan_id}/report", "get"): ("/campaigns/p1/report", None),
    ("/campaigns/{plan_id}/next", "post"): ("/campaigns/p1/next", {}),
    ("/events", "post"): ("/events", {"events": [EVENT]}),
    ("/events/status", "get"): ("/events/status", None),
    ("/admin/forget", "post"): ("/admin/forget", {"user_ids": ["u1"]}),
}
ADMIN = "admin-key-0123456789abcdef"


def future_store(path: Path) -> None:
    """A store this engine made, then marked as migrated by a newer engine."""
    open_store(str(path)).close()
    engine = sa.create_engine(store_mod.store_url(str(path)))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"insert into schema_version values("
                             f"{store_mod.MIGRATIONS[-1][0] + 1}, 'future', '2027-01-01')")
    engine.dispose()


def damaged_store(path: Path) -> None:
    """A store whose every page after SQLite's header is overwritten."""
    open_store(str(path)).close()
    with open(path, "r+b") as f:
        size = f.seek(0, 2)
        f.seek(100)
        f.write(b"\xff" * (size - 100))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-refusals") / "model")


def store_routes(client: TestClient) -> set[tuple[str, str]]:
    """(path, method) of every route whose endpoint opens the campaign store."""
    return {(compile_path(path)[1], m.lower())
            for path, r in walk_routes(client.app.routes)  # type: ignore[attr-defined]
            if "campaign_store(" in inspect.getsource(inspect.unwrap(r.endpoint))
            for m in r.methods if m != "HEAD"}


def answers(client: TestClient) -> dict[tuple[str, str], Any]:
    return {op: client.request(op[1].upper(), url, json=body, headers={
                "Authorization": f"Bearer {ADMIN}"} if url.startswith("/admin/") else None)
            for op, (url, body) in REQUESTS.items()}


def test_each_store_route_declares_the_newer_schema_409(model_dir: Path, tmp_path: Path
                                                       ) -> None:
    db = tmp_path / "store.db"
    future_store(db)
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False, admin_key=ADMIN)
    with TestClient(create_app(settings)) as c:
        assert store_routes(c) == set(REQUESTS), "a store route this test does not request"
        paths = c.get("/openapi.json").json()["paths"]
        for (path, method), r in answers(c).items():
            assert r.status_code == 409 and "upgrade the engine" in r.json()["detail"], \
                (path, r.text)
            declared = paths[path][method]["responses"]
            assert "409" in declared, (path, method, sorted(declared))
            said = declared["409"]["description"]
            assert "schema version newer than this engine's" in said, (path, said)
            assert "upgrade the engine" in said, (path, said)


def test_a_damaged_stores_503_is_declared_without_retry_after(model_dir: Path,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    damaged_store(db)
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False, admin_key=ADMIN)
    with TestClient(create_app(settings)) as c:
        paths = c.get("/openapi.json").json()["paths"]
        for (path, method), r in answers(c).items():
            assert r.status_code == 503 and "retry-after" not in r.headers, (path, r.headers)
            declared = paths[path][method]["responses"]["503"]
            assert "damaged" in declared["description"], (path, declared["description"])
            header = declared["headers"]["Retry-After"]
            assert not header.get("required"), (path, header)
            assert "absent when the store's file is damaged" in header["description"], \
                (path, header)
