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
from service.store_gate import gate_size

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
        assert gate.value == 2  # the pool's 3 connections but the reload's


def test_a_reload_reads_the_events_while_the_gate_is_full(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writers queued on a locked store hold every place of the gate, each with a pooled
    connection: a reload's read of the store's events still gets one (the gate admitted
    every connection, and the reload waited out the pool's timeout: a 503 "no campaign-store
    connection was free"). Oracle: the pool's size, the gate's free places, the reload's
    status."""
    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0, store_pool_size=2,
                        store_pool_overflow=1, store_pool_timeout=3.0, admin_key="k")
    assert gate_size(settings, 40) == 2  # 2 + 1 connections, one kept for the reload
    assert gate_size(settings, 2) == 1  # at most half the threads
    assert gate_size(Settings(model_path=str(served), store_pool_size=1,
                              store_pool_overflow=0), 40) == 1  # a pool of one: the gate's
    release, held, lock = threading.Event(), [0], threading.Lock()
    real = event_routes.record_events

    def queued(store: Any, *args: Any, **kwargs: Any) -> Any:
        with store.engine.connect():  # a writer waiting on the lock holds its connection
            with lock:
                held[0] += 1
            release.wait(20)
        return real(store, *args, **kwargs)

    monkeypatch.setattr(event_routes, "record_events", queued)
    with TestClient(create_app(settings)) as client, ThreadPoolExecutor(8) as pool:
        film = client.get("/films", params={"limit": 1}).json()["films"][0]["film_id"]

        def post(i: int) -> int:
            body = {"events": [{**EVENT, "event_id": f"e{i}", "film_id": film}]}
            return client.post("/events", json=body).status_code

        posts = [pool.submit(post, i) for i in range(3)]  # one per pooled connection
        try:
            for _ in range(400):  # the gate full, each admitted writer holding a connection
                gate = getattr(client.app.state, "store_gate", None)
                if gate is not None and gate.value == 0 and held[0] == gate_size(settings, 40):
                    break
                time.sleep(0.01)
            assert held[0] == 2 and client.app.state.store_gate.value == 0  # type: ignore[attr-defined]
            r = client.post("/admin/reload", headers={"Authorization": "Bearer k"})
            assert r.status_code == 200, r.text
        finally:
            release.set()
        codes = [p.result(timeout=30) for p in posts]
    assert set(codes) <= {200, 503} and 200 in codes
