"""Crash safety: a `recommender serve` killed with SIGKILL while events are being posted loses
no acknowledged event and stores none twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from servers import start_server
from service_fixtures import save_model

from recommender.campaigns.events import events, read_events
from recommender.campaigns.store import open_store

BATCH = 40


def _serve(model_dir: Path, store: str) -> tuple[subprocess.Popen[bytes], str]:
    return start_server(model_dir, clean=True, env={
        "RECOMMENDER_STORE": store, "RECOMMENDER_EVENTS_POLL": "0.1",
        "RECOMMENDER_WARM_CACHE": "false"})


def _batch(k: int) -> dict[str, Any]:
    return {"events": [{"event_id": f"crash-{k}-{i}", "user_id": f"u{(k + i) % 240}",
                        "film_id": f"{(k * 7 + i) % 60:05d}" if (k * 7 + i) % 60 != 1
                        else "00000", "timestamp": 1_700_000_000 + k}
                       for i in range(BATCH)]}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("crash") / "model")


def test_sigkill_while_posting_loses_no_acknowledged_event(model_dir: Path,
                                                           store_target: str) -> None:
    open_store(store_target).close()  # created and migrated before the server starts
    proc, base = _serve(model_dir, store_target)
    acked: list[int] = []
    attempted: list[int] = []
    stop = threading.Event()

    def post() -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            k = 0
            while not stop.is_set():
                attempted.append(k)
                try:
                    r = client.post("/events", json=_batch(k))
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 200:
                    acked.append(k)
                k += 1

    thread = threading.Thread(target=post)
    thread.start()
    deadline = time.monotonic() + 60
    while len(acked) < 12 and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # while the poster is mid-request
    proc.wait()
    stop.set()
    thread.join(timeout=30)
    assert len(acked) >= 12
    proc, base = _serve(model_dir, store_target)
    try:
        store = open_store(store_target)
        ids = read_events(store)
        with store.engine.connect() as conn:
            stored_ids = [r[0] for r in conn.execute(sa.select(events.c.event_id))]
        assert len(stored_ids) == len(set(stored_ids)) == len(ids)
        for k in acked:  # every acknowledged event, exactly once
            assert {f"crash-{k}-{i}" for i in range(BATCH)} <= set(stored_ids)
        batches = {s.rsplit("-", 1)[0] for s in stored_ids}
        for b in batches:  # all or nothing: a batch is whole or absent
            assert sum(1 for s in stored_ids if s.startswith(b + "-")) == BATCH
        # the client retries what it did not see acknowledged: stored once, never twice
        with httpx.Client(base_url=base, timeout=10) as client:
            for k in sorted(set(attempted) - set(acked)):
                assert client.post("/events", json=_batch(k)).status_code == 200
            for k in acked[:3]:
                assert client.post("/events", json=_batch(k)).json()["stored"] == 0
            seq = client.get("/events/status").json()["sequence"]
            deadline = time.monotonic() + 30
            while client.get("/events/status").json()["applied"] < seq and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            assert client.get("/events/status").json()["applied"] >= seq
        again = read_events(store)
        assert len(again) == BATCH * len(set(attempted))
        store.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
