"""A worker whose events poller backs off after failed polls looks again as soon as one of
its store requests is answered: the store was back, its routes answered, and the events
another replica stored still reached neither its audiences nor ``/events/status`` until
the back-off's wait (up to a minute) ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.store import open_store
from service.app import create_app
from service.events_sync import EventsSync
from service.settings import Settings


def _applied(client: TestClient, seq: int, tries: int = 1500) -> int:
    """The worker's applied sequence once it is ``seq``, or after ``tries`` looks."""
    applied = -1
    for _ in range(tries):
        applied = int(client.get("/events/status").json()["applied"])
        if applied == seq:
            break
        time.sleep(0.02)
    return applied


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_store_request_answered_ends_the_pollers_back_off(
        kind: str, make_store: Callable[[str, Path], str], tmp_path: Path) -> None:
    url = make_store(kind, tmp_path)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False, events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        sync: EventsSync = client.app.state.events_sync  # type: ignore[attr-defined]
        polls = {"failed": 0}
        poll = sync.poll

        def failing() -> None:  # the store down for the poller: its 10th failure, 51 s waits
            sync.failures = 9
            polls["failed"] += 1
            raise OSError("the store is down")

        sync.poll = failing  # type: ignore[method-assign]
        for _ in range(200):
            if polls["failed"]:
                break
            time.sleep(0.02)
        sync.poll = poll  # type: ignore[method-assign]
        assert polls["failed"] == 1 and sync.failures == 10
        other = open_store(url)  # another replica stores an event
        try:
            _, _, seq = record_events(other, EventBatch(["e1"], ["u1"], ["00002"],
                                                        [1_700_000_000], [1.0]))
        finally:
            other.close()
        assert client.get("/campaigns").status_code == 200  # the store answers this worker
        assert _applied(client, seq) == seq  # it was 0 until the poller's wait ended


def test_store_requests_answered_while_polls_fail_do_not_spin_the_poller(
        make_store: Callable[[str, Path], str], tmp_path: Path) -> None:
    """One early look per back-off wait: each request answered (and each batch of events
    stored) while the polls kept failing made a poll (131 polls for 200 requests)."""
    url = make_store("sqlite", tmp_path)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False, events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        sync: EventsSync = client.app.state.events_sync  # type: ignore[attr-defined]
        polls = {"failed": 0}

        def failing() -> None:  # failing on: from its 10th failure, 51 s waits
            sync.failures = max(sync.failures, 9)
            polls["failed"] += 1
            raise OSError("the poll fails")

        sync.poll = failing  # type: ignore[method-assign]
        for _ in range(500):
            if polls["failed"]:
                break
            time.sleep(0.02)
        assert polls["failed"] == 1
        for i in range(30):
            assert client.get("/campaigns").status_code == 200
            event = {"event_id": f"e{i}", "user_id": "u1", "film_id": "00002",
                     "timestamp": 1_700_000_000}
            assert client.post("/events", json={"events": [event]}).status_code == 200
            for _ in range(100):  # the poller took the wake, if any (a wait, not a timing)
                if not sync._wake.is_set():
                    break
                time.sleep(0.01)
        for _ in range(100):
            if polls["failed"] == 2 and not sync._wake.is_set():
                break
            time.sleep(0.02)
        assert polls["failed"] == 2  # the first failure's look, and one look a request asked
        assert sync.failures == 11 and sync.store_state == "unavailable"
