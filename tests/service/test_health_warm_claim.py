"""/health while an events install's cache warm-up is being started."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


def test_health_answers_while_the_warm_up_is_claimed(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the events sync marked the cold engine's warm-up "starting" before its thread set
    # "running": a /health in between was a 500 (the schema knows no "starting"); seen on a
    # two-worker server a few seconds after a batch of events
    served = save_model(tmp_path / "served", seed=1)
    settings = Settings(model_path=str(served), store=str(tmp_path / "s.db"),
                        warm_cache=True, watch_interval=0, events_poll=0)
    with TestClient(create_app(settings)) as client:
        app = client.app
        sync = app.state.events_sync  # type: ignore[attr-defined]
        engine = app.state.service.engine  # type: ignore[attr-defined]
        deadline = time.monotonic() + 30
        # the start's own warm-up, over first: its thread may not have said "running" yet
        # (waiting while "running" only, it then ran after the claim and said "done")
        while engine.warm_status["state"] not in ("done", "full", "stopped") \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.warm_status["state"] == "done", engine.warm_status
        engine.warm_status["state"] = "off"  # as an events install leaves it
        sync._ours.add(engine.key)
        monkeypatch.setattr(engine, "start_warming", lambda: None)  # its thread not yet run
        sync._warm_when_quiet()
        assert engine.warm_status["state"] != "off"  # claimed: no second start
        r = client.get("/health")
        assert r.status_code == 200, r.text
        assert r.json()["audience_cache"]["state"] == "running"
