"""An unknown film's 404 counts the store's events for it as the store routes read the store:
under the worker's store gate, within ``store_pool_timeout``. The count ran in the 404's own
thread, outside the gate: a store that failed, hung or was held by its routes kept each such
404 waiting (and a thread of the worker's pool with it). A store that fails, or hangs, now
leaves the plain 404 answered."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

import service.events_sync as events_sync
import service.routes.events as event_routes
from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.store import open_store
from recommender.errors import StoreUnavailableError
from service.app import create_app
from service.settings import Settings

FILM = "zz"  # a film the model lacks, three events of which the store holds
HELD = "the campaign store holds 3 events for it"


@pytest.fixture
def served(tmp_path: Path) -> tuple[Path, Path]:
    model = save_model(tmp_path / "served", seed=1)
    store = tmp_path / "s.db"
    st = open_store(str(store))
    try:
        record_events(st, EventBatch([f"e{i}" for i in range(3)], ["u1", "u2", "u3"],
                                     [FILM] * 3, [int(time.time()) - 60] * 3, [1.0] * 3))
    finally:
        st.close()
    return model, store


def client_of(served: tuple[Path, Path], **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(
        model_path=str(served[0]), store=str(served[1]), warm_cache=False, watch_interval=0,
        events_poll=0, store_pool_timeout=1.0, **settings)))


def plain(detail: str) -> bool:
    """A 404's detail naming the film, saying nothing of the store."""
    return repr(FILM) in detail and "campaign store" not in detail


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The films whose events the service counted in its store."""
    asked: list[str] = []
    real = events_sync.film_event_count

    def spy(store: Any, film_id: str, after: int = 0, writer: str | None = None) -> int:
        asked.append(film_id)
        return real(store, film_id, after, writer)

    monkeypatch.setattr(events_sync, "film_event_count", spy)
    yield asked


def test_the_count_is_said_and_a_failure_leaves_the_plain_404(
        served: tuple[Path, Path], counts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with client_of(served) as client:
        r = client.get(f"/films/{FILM}/audience")
        assert r.status_code == 404 and HELD in r.json()["detail"], r.text
        assert counts == [FILM]
        gate = client.app.state.store_gate  # type: ignore[attr-defined]
        full = gate.value  # every place free again

        def down(*_: Any) -> int:
            raise StoreUnavailableError("the campaign store is down")

        monkeypatch.setattr(events_sync, "film_event_count", down)
        r = client.get(f"/films/{FILM}/audience")
        assert r.status_code == 404 and plain(r.json()["detail"]), r.text
        assert gate.value == full  # its place given back


def test_a_store_its_routes_hold_leaves_the_plain_404_uncounted(
        served: tuple[Path, Path], counts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's one place is held by a write waiting on the store: the 404 waits for it
    no longer than a store route would (``store_pool_timeout``), then answers uncounted,
    having asked nothing of the store."""
    entered, release = threading.Event(), threading.Event()
    real = event_routes.record_events

    def stuck(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(event_routes, "record_events", stuck)
    with client_of(served, store_pool_size=1, store_pool_overflow=0) as client, \
            ThreadPoolExecutor(2) as pool:
        body = {"events": [{"event_id": "w1", "user_id": "u1", "film_id": FILM,
                            "timestamp": int(time.time()) - 60}]}
        post = pool.submit(client.post, "/events", json=body)
        try:
            assert entered.wait(30), post.result(timeout=1).text  # the write holds the place
            r = pool.submit(client.get, f"/films/{FILM}/audience").result(timeout=30)
        finally:
            release.set()
        assert r.status_code == 404 and plain(r.json()["detail"]), r.text
        assert counts == []
        assert post.result(timeout=30).status_code == 200


def test_a_count_that_hangs_leaves_the_plain_404_and_keeps_its_place(
        served: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A count stuck in the store (a PostgreSQL server that stopped answering) kept its 404
    waiting; the 404 now goes on without it, and the count holds its place of the gate, as a
    store route's thread would, until it ends."""
    entered, release = threading.Event(), threading.Event()

    def hung(*_: Any) -> int:
        entered.set()
        release.wait(60)
        return 3

    monkeypatch.setattr(events_sync, "film_event_count", hung)
    with client_of(served) as client, ThreadPoolExecutor(1) as pool:
        assert client.get("/campaigns").status_code == 200  # a store route: the gate made
        gate = client.app.state.store_gate  # type: ignore[attr-defined]
        full = gate.value
        try:
            r = pool.submit(client.get, f"/films/{FILM}/audience").result(timeout=30)
            assert entered.is_set()
            assert gate.value == full - 1  # the hung count's place, still held
        finally:
            release.set()
        assert r.status_code == 404 and plain(r.json()["detail"]), r.text
        for _ in range(300):  # given back once the count ends (a bound, not a timing)
            if gate.value == full:
                break
            time.sleep(0.05)
        assert gate.value == full
