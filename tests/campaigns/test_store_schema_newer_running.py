"""A rolling upgrade: a newer engine migrates the campaign store while a worker of this one is
running. The worker checked the schema only when it opened the store, so it went on writing
events and plans into a schema it does not know (and reading its events). Now the poller's
look (every ``MOVED_EVERY`` seconds, driven directly here) reads the version again: the store
routes answer 409 naming both versions, ``/health`` says ``schema_newer``, nothing more is
written and no event of the newer schema is read."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns import store as store_mod
from service.app import create_app
from service.settings import Settings

LATEST = store_mod.MIGRATIONS[-1][0]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("schema-newer-running") / "model")


def event(event_id: str, user: str = "u1") -> dict[str, object]:
    return {"event_id": event_id, "user_id": user, "film_id": "00003",
            "timestamp": 1_700_000_000}


def run_sql(db: Path, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(store_mod.store_url(str(db)))
    with engine.begin() as conn:
        result = conn.exec_driver_sql(sql)
        rows = [tuple(r) for r in result] if result.returns_rows else []
    engine.dispose()
    return rows


def test_a_store_migrated_by_a_newer_engine_while_serving_is_refused(
        model_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        sync = c.app.state.events_sync  # type: ignore[attr-defined]
        assert c.post("/events", json={"events": [event("e1")]}).status_code == 200
        sync.look()  # the poller's look: still this engine's schema
        assert c.get("/health").json()["campaign_store"] == "ok"
        # the newer engine migrates the store, and records an event under its schema
        run_sql(db, f"insert into schema_version values({LATEST + 1}, 'future', '2027-01-01')")
        before = run_sql(db, "select count(*) from campaign_events")
        sync.look()
        assert c.get("/health").json()["campaign_store"] == "schema_newer"
        for r in (c.post("/events", json={"events": [event("e2")]}), c.get("/campaigns"),
                  c.get("/events/status"),
                  c.post("/campaigns/plan", json={"films": [{"film_id": "00003", "budget": 2}],
                                                  "cap": 1, "holdout": 0.2, "seed": 1})):
            assert r.status_code == 409, r.text
            detail = r.json()["detail"]
            assert f"store schema {LATEST + 1}; this engine knows up to {LATEST}" in detail \
                and f"says store schema {LATEST + 1} or later" in detail, detail
            assert "retry-after" not in r.headers
        assert run_sql(db, "select count(*) from campaign_events") == before, "nothing more written"
        applied = sync.applied
        run_sql(db, "insert into campaign_events (event_id, user_id, film_id, timestamp, weight) "
                    "values ('e3', 'u2', '00003', 1700000000, 1.0)")
        assert sync.poll() is False and sync.applied == applied, "a newer schema's events"
        assert c.get("/films/00003/audience", params={"k": 1}).status_code == 200
        # the store is this engine's again (the newer engine's migration rolled back)
        run_sql(db, f"delete from schema_version where version = {LATEST + 1}")
        sync.look()
        assert c.get("/health").json()["campaign_store"] == "ok"
        assert c.get("/campaigns").status_code == 200
