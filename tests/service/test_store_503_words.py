"""A store 503 names which trouble it is: locked, no connection free, or cannot connect.

It said "unavailable (down, locked or out of connections)" whatever the cause, where README
says the 503 says which, and the CLI and the log named it. Each trouble is made for real: a
SQLite file another connection holds locked, a gate full of requests holding the pool's
connections, a PostgreSQL port nothing listens on. Oracle: the trouble made, and the CLI's
classification of the same error (``store_trouble``)."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

import service.routes.events as event_routes
from recommender.cli.store_failure import store_failure
from recommender.errors import store_trouble
from service.app import create_app
from service.settings import Settings

EVENT = {"user_id": "u1", "film_id": "f1", "timestamp": 1_700_000_000, "weight": 1.0}


def _settings(root: Path, **kw: Any) -> Settings:
    return Settings(model_path=str(save_model(root / "model")), store=str(root / "store.db"),
                    warm_cache=False, watch_interval=0, events_poll=0, **kw)


def _post(client: TestClient, i: int) -> Any:
    film = client.get("/films", params={"limit": 1}).json()["films"][0]["film_id"]
    return client.post("/events", json={"events": [{**EVENT, "event_id": f"e{i}",
                                                    "film_id": film}]})


def test_a_locked_store_is_said_locked(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[BaseException] = []
    with TestClient(create_app(_settings(tmp_path)), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        # the same file, a busy wait of 50 ms (30 s in the service)
        store.engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}",
                                        connect_args={"timeout": 0.05})
        real = event_routes.record_events

        def kept(*args: Any, **kwargs: Any) -> Any:
            try:
                return real(*args, **kwargs)
            except Exception as e:
                seen.append(e)
                raise

        monkeypatch.setattr(event_routes, "record_events", kept)
        holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")  # another process's write lock
            r = _post(c, 1)
        finally:
            holder.close()
    assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
    assert "database is locked" in str(seen[0]) and store_trouble(seen[0]) == "locked"
    said = store_failure(seen[0], "store.db", "events import")
    assert said is not None and "another process holds it locked" in said  # the CLI's words
    assert "unavailable (locked: another process held its lock past this request's " \
           "wait)" in r.json()["detail"], r.text


def test_a_full_gate_is_said_no_connection_free(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = event_routes.record_events

    def queued(*args: Any, **kwargs: Any) -> Any:
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(event_routes, "record_events", queued)
    settings = _settings(tmp_path, store_pool_size=1, store_pool_overflow=1,
                         store_pool_timeout=0.5)
    with TestClient(create_app(settings)) as c, ThreadPoolExecutor(2) as pool:
        first = pool.submit(_post, c, 1)
        try:
            for _ in range(500):  # the gate's one place taken
                gate = getattr(c.app.state, "store_gate", None)
                if gate is not None and gate.value == 0:
                    break
                time.sleep(0.01)
            r = _post(c, 2)
        finally:
            release.set()
        assert first.result(timeout=30).status_code == 200
    assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
    assert "unavailable (no connection to it was free within 0.5 s " \
           "(RECOMMENDER_STORE_POOL_TIMEOUT))" in r.json()["detail"], r.text


def test_a_database_that_cannot_be_reached_is_said_so(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = sa.create_engine(f"postgresql+psycopg://u@127.0.0.1:{port}/x")
    with pytest.raises(sa.exc.OperationalError) as caught:
        down.connect()
    assert store_trouble(caught.value) == "unreachable", caught.value
    with TestClient(create_app(_settings(tmp_path)), raise_server_exceptions=False) as c:
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        store.engine = down
        r = c.get("/campaigns")
    assert r.status_code == 503 and r.headers["Retry-After"] == "5", r.text
    assert "unavailable (it cannot be connected to: the database is down or unreachable)" \
        in r.json()["detail"], r.text
    assert str(port) not in r.json()["detail"]  # the host and port go to the log only
