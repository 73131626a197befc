"""A reload whose new model loads but whose stored events cannot be read (the campaign store
is briefly unreachable): the old model keeps serving, the failure is counted, and the next
check installs the new model, rather than this worker serving the old one until the folder
changes again.

Oracles: the served version against the folder's, and the reload counter.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

import service.events_sync as events_sync
import service.state as state
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def test_a_failed_event_read_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    served = save_model(tmp_path / "served", seed=1)
    other = save_model(tmp_path / "other", seed=2)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        first = service.engine.version
        artifact.publish(other, served)
        real = events_sync.iter_events
        calls = {"n": 0}

        def flaky(*args: object, **kwargs: object) -> object:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("the store is unreachable")
            return real(*args, **kwargs)

        monkeypatch.setattr(events_sync, "iter_events", flaky)
        assert service.check() is False
        assert service.engine.version == first  # nothing half-swapped
        errors = service.metrics.reloads.labels(result="error")._value.get()
        assert errors == 1
        # not at once (a store that is down is not hammered with full model loads)...
        assert service.check() is False and calls["n"] == 1
        # ...but after the back-off, and the store answers now
        later = time.monotonic() + 120
        monkeypatch.setattr(state.time, "monotonic", lambda: later)
        assert service.check() is True
        assert service.engine.version == artifact.load(other).version != first


def test_an_explicit_reload_says_retry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``POST /admin/reload`` when the store's events cannot be read: 503 with Retry-After
    (the model itself is fine: not the 409 of a model that cannot be loaded), the old model
    still serving, and no database internals in the detail."""
    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0, admin_key="k")
    with TestClient(create_app(settings)) as client:
        first = client.app.state.service.engine.version  # type: ignore[attr-defined]

        def down(*args: object, **kwargs: object) -> object:
            raise OSError("could not connect\n[SQL: SELECT secret]")

        monkeypatch.setattr(events_sync, "iter_events", down)
        r = client.post("/admin/reload", headers={"Authorization": "Bearer k"})
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        assert "still serving model " + first in r.json()["detail"]
        assert "SQL" not in r.json()["detail"]


def test_events_read_before_a_failure_are_installed_at_the_next_poll(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read that fails after applying part of what it read (the store's connection drops
    between two parts) must not leave those events applied in the overlay but served by no
    engine: the next poll installs them even when nothing newer has arrived."""
    from recommender.campaigns.events import EventBatch, record_events

    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=False,
                        watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        sync = client.app.state.events_sync  # type: ignore[attr-defined]
        store = client.app.state.campaign_store  # type: ignore[attr-defined]
        film = str(service.engine.model.films.ids[0])
        record_events(store, EventBatch(["e1"], ["newcomer"], [film], [1_700_000_000], [1.0]))
        real = events_sync.iter_events

        def drops(*args: object, **kwargs: object) -> object:
            yield from real(*args, **kwargs)
            raise OSError("the connection dropped")

        monkeypatch.setattr(events_sync, "iter_events", drops)
        with pytest.raises(OSError):
            sync.poll()
        assert "newcomer" not in service.engine.model.users
        monkeypatch.setattr(events_sync, "iter_events", real)
        assert sync.poll() is True  # nothing newer in the store, but the event is installed
        assert "newcomer" in service.engine.model.users and sync.applied == 1


def test_the_poller_logs_an_outage_once_and_polls_less_often(
        caplog: pytest.LogCaptureFixture) -> None:
    # a store down for 20 s wrote 7,594 traceback lines per worker (4 polls a second)
    import logging
    import threading

    waits: list[float | None] = []

    class Wake(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return True

    sync = events_sync.EventsSync.__new__(events_sync.EventsSync)
    sync.interval, sync._stop, sync._wake = 0.25, threading.Event(), Wake()
    outcomes = iter([OSError("store down")] * 5 + [None, OSError("down again"), None])

    def poll() -> None:
        outcome = next(outcomes, None)
        if outcome is None and not waits[8:]:
            return
        if outcome is None:
            sync._stop.set()
            return
        raise outcome

    sync.poll = poll  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        sync._run()
    lines = [r.getMessage() for r in caplog.records]
    assert sum("cannot be read" in m for m in lines) == 2  # once per outage
    assert sum("read again after 5 failed polls" in m for m in lines) == 1
    assert waits[:6] == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0]  # doubling while it lasts
    assert waits[6] == 0.25  # back to the interval once it reads again


def test_events_installs_warm_the_cache_only_after_a_quiet_poll(tmp_path: Path) -> None:
    """Each events install restarted the warm-up of every film's ranking, which the next
    install threw away: under 4 event batches a second reads fell from 257 to 167 a second.
    An events install leaves the engine cold; the first poll with no new event warms it."""
    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"), warm_cache=True,
                        watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        service = client.app.state.service  # type: ignore[attr-defined]
        sync = client.app.state.events_sync  # type: ignore[attr-defined]
        loaded = service.engine
        deadline = time.monotonic() + 30  # its warm-up thread marks it running when it runs
        while loaded.warm_status["state"] == "off" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert loaded.warm_status["state"] != "off"  # a model load warms at once, as before
        event = {"event_id": "e1", "user_id": "u3", "film_id": "00004",
                 "timestamp": 1_700_000_000, "weight": 1.0}
        assert client.post("/events", json={"events": [event]}).status_code == 200
        sync.poll()  # the event arrives: a new engine, left cold
        cold = service.engine
        assert cold is not loaded and cold.warm_status["state"] == "off"
        assert sync.poll() is False  # nothing new: now it warms
        deadline = time.monotonic() + 30
        while cold.warm_status["state"] != "done" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cold.warm_status["state"] == "done" and service.engine is cold


def test_a_model_with_segments_under_the_minimum_cell_is_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Training now merges segments smaller than the minimum cell; a model trained before,
    or served with a larger RECOMMENDER_MIN_CELL, still holds them, and the service does not
    hide them: it says so when it loads the model."""
    import logging

    import numpy as np

    served = save_model(tmp_path / "served", seed=1)
    sizes = np.bincount(np.asarray(artifact.load(served).segments.labels, np.int64))
    floor = int(sizes[sizes > 0].min()) + 1  # the smallest segment falls under it
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        for min_cell, said in ((floor, True), (int(sizes[sizes > 0].min()), False)):
            caplog.clear()
            settings = Settings(model_path=str(served), warm_cache=False, watch_interval=0,
                                events_poll=0, min_cell=min_cell)
            with TestClient(create_app(settings)):
                pass
            lines = [r.getMessage() for r in caplog.records if "segment(s) of fewer" in
                     r.getMessage()]
            assert bool(lines) is said, (min_cell, lines)
            assert not said or f"of fewer than {floor} users" in lines[0]
