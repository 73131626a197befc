"""A slow or locked campaign store holds at most the store's share of a worker's threads."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

import service.routes.events as event_routes
from service.app import create_app
from service.settings import Settings

EVENT = {"user_id": "u1", "film_id": "f1", "timestamp": 1_700_000_000, "weight": 1.0}


def test_writes_waiting_on_the_store_leave_threads_to_the_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # each write waited for the store (SQLite's 30 s busy timeout, a PostgreSQL lock) in one
    # of the worker's 40 threads: 40 such writes left none to any synchronous route, and a
    # film's card, a summary or an admin reload waited for the store's lock too
    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0, store_pool_timeout=2.0)
    release = threading.Event()
    real = event_routes.record_events

    def stuck(*args: Any, **kwargs: Any) -> Any:
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(event_routes, "record_events", stuck)
    with TestClient(create_app(settings)) as client, ThreadPoolExecutor(60) as pool:
        film = client.get("/films", params={"limit": 1}).json()["films"][0]["film_id"]

        def post(i: int) -> int:
            body = {"events": [{**EVENT, "event_id": f"e{i}", "film_id": film}]}
            return client.post("/events", json=body).status_code

        posts = [pool.submit(post, i) for i in range(50)]
        time.sleep(0.5)
        read = pool.submit(client.get, f"/films/{film}")
        try:
            assert read.result(timeout=5).status_code == 200
        finally:
            release.set()
        codes = [p.result(timeout=30) for p in posts]
    # the ones past the store's connections waited for one, then were told to retry
    assert set(codes) <= {200, 503} and 200 in codes


def test_a_place_is_given_back_when_the_route_returns(tmp_path: Path) -> None:
    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0, store_pool_size=2,
                        store_pool_overflow=1)
    with TestClient(create_app(settings)) as client:
        for _ in range(5):  # more than the places: each request gave its own back
            assert client.get("/campaigns").status_code == 200
        gate = client.app.state.store_gate  # type: ignore[attr-defined]
        assert gate.value == 3
