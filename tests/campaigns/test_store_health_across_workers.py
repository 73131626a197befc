"""Every worker's /health says whether the campaign store takes writes, not only the worker whose
write the store refused, and /health answers from what the poller saw without waiting on the
store."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.store import open_store
from service import store_health
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-health") / "model")


def _event(i: int) -> dict[str, Any]:
    return {"event_id": f"e-{i}", "user_id": "u1", "film_id": "00002",
            "timestamp": 1_700_000_000 + i}


def _health(client: TestClient) -> dict[str, Any]:
    r = client.get("/health")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _until(client: TestClient, state: str, tries: int = 400) -> str:
    """The worker's campaign_store once it says ``state``, or what it says after ``tries`` of
    its poller's polls (each woken at once)."""
    sync = client.app.state.events_sync  # type: ignore[attr-defined]
    said = ""
    for _ in range(tries):
        said = str(_health(client)["campaign_store"])
        if said == state:
            return said
        sync.wake()
        time.sleep(0.025)
    return said


def _read_only_cluster(url: str, on: bool) -> None:
    """Make every session of the cluster read-only by default (or not), as a standby's or a
    database's ``default_transaction_read_only``, and wait until a new session sees it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        conn.execute("ALTER SYSTEM SET default_transaction_read_only = on" if on else
                     "ALTER SYSTEM RESET default_transaction_read_only")
        conn.execute("SELECT pg_reload_conf()")
    for _ in range(400):
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SHOW default_transaction_read_only").fetchone()
        if row is not None and (row[0] == "on") == on:
            return
        time.sleep(0.025)
    raise AssertionError("the server did not reload its configuration")


@pytest.fixture
def read_only_cluster(postgres_url: str) -> Iterator[Callable[[bool], None]]:
    yield lambda on: _read_only_cluster(postgres_url, on)
    _read_only_cluster(postgres_url, False)


def test_every_worker_says_a_postgresql_store_refuses_writes(
        make_store: Callable[[str, Path], str], model_dir: Path, tmp_path: Path,
        read_only_cluster: Callable[[bool], None], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers of one store (two apps: neither sees the other's memory). The store turned
    read-only: the worker whose write was refused said "read_only", the other "ok" while
    its every write would be refused too. Both say "read_only" now, from their poller's probe,
    and "ok" again once the store takes writes."""
    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)  # the probe at every poll
    url = make_store("postgresql", tmp_path)
    settings = Settings(model_path=str(model_dir), store=url, warm_cache=False,
                        events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as first, \
            TestClient(create_app(settings), raise_server_exceptions=False) as second:
        assert first.post("/events", json={"events": [_event(1)]}).status_code == 200
        assert _health(first)["campaign_store"] == _health(second)["campaign_store"] == "ok"
        read_only_cluster(True)
        r = first.post("/events", json={"events": [_event(2)]})
        assert r.status_code == 503 and "refuses writes" in r.json()["detail"], r.text
        assert _health(first)["campaign_store"] == "read_only"
        assert _until(second, "read_only") == "read_only"  # it said "ok"
        # the truth: the other worker's write is refused as well
        r = second.post("/events", json={"events": [_event(3)]})
        assert r.status_code == 503 and "refuses writes" in r.json()["detail"], r.text
        checked = _health(second)["campaign_store_checked_s"]
        assert isinstance(checked, float) and checked >= 0
        read_only_cluster(False)
        third = TestClient(create_app(settings), raise_server_exceptions=False)
        with third:  # a worker started now probes at its start
            assert _health(third)["campaign_store"] == "ok"
        # each worker's probe finds the store writable again, its refused write before it
        assert _until(second, "ok") == "ok" and _until(first, "ok") == "ok"
        for n, client in enumerate((first, second)):
            r = client.post("/events", json={"events": [_event(4 + n)]})
            assert r.status_code == 200, r.text


def test_health_never_waits_on_the_store(model_dir: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A store whose probe hangs (a lock, a host cut off): /health answers at once from what
    the poller saw last, taking no store connection."""
    from recommender.campaigns import writable

    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)
    store = tmp_path / "store.db"
    settings = Settings(model_path=str(model_dir), store=str(store), warm_cache=False,
                        events_poll=0.05)
    hang, entered = threading.Event(), threading.Event()
    real = writable.write_state

    def hung(s: Any) -> str | None:
        entered.set()
        hang.wait(30)
        return real(s)

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine: sa.engine.Engine = client.app.state.campaign_store.engine  # type: ignore[attr-defined]
        checkouts: list[int] = []
        sa.event.listen(engine, "checkout", lambda *_: checkouts.append(1))
        monkeypatch.setattr(writable, "write_state", hung)
        client.app.state.events_sync.wake()  # type: ignore[attr-defined]
        assert entered.wait(30), "the poller did not probe the store"
        try:
            before = len(checkouts)
            for _ in range(5):
                body = _health(client)
                assert body["campaign_store"] == "ok"
                assert isinstance(body["campaign_store_checked_s"], float)
            assert len(checkouts) == before  # no store connection taken by /health
        finally:
            hang.set()


def test_a_refused_write_to_a_store_the_probe_cannot_see_stands(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``file:`` URI store opened ``mode=ro``: SQLite refuses every write to its writable
    file. The probe, which cannot look at a URI, said "ok" and cleared the refusal at the next
    poll: /health said "ok" while every write was refused. Oracle: a second write, refused."""
    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)  # the probe at every poll
    db = tmp_path / "store.db"
    open_store(str(db)).close()  # a current schema: the read-only open migrates nothing
    settings = Settings(model_path=str(model_dir), store=f"sqlite:///file:{db}?mode=ro&uri=true",
                        warm_cache=False, events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post("/events", json={"events": [_event(1)]})
        assert r.status_code == 503 and "refuses writes" in r.json()["detail"], r.text
        assert _until(client, "ok", tries=40) == "read_only"  # 40 polls, each woken at once
        assert _health(client)["campaign_store_checked_s"] is None  # never probed
        r = client.post("/events", json={"events": [_event(2)]})
        assert r.status_code == 503 and "refuses writes" in r.json()["detail"], r.text


def test_a_full_disk_that_takes_writes_is_not_said_failing_at_each_probe(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk with no free block still takes the writes that fit in the store's own free
    pages (its write-ahead log is reused: 30 writes in a row on a full tmpfs). The probe said
    "failing", each write "ok" and the next probe "failing" again, while every write
    succeeded. The disk's free blocks are read as none (``os.statvfs``); oracle: the writes,
    each taken (200), the store's sequence at 3."""
    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)  # the probe at every poll
    real = os.statvfs

    def full(path: Any) -> os.statvfs_result:
        seen = real(path)  # f_bfree and f_bavail: no free block
        return os.statvfs_result((*seen[:3], 0, 0, *seen[5:]))

    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False, events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        monkeypatch.setattr(os, "statvfs", full)
        assert _until(client, "failing") == "failing"  # before any write: a warning
        for i in range(3):
            r = client.post("/events", json={"events": [_event(i)]})
            assert r.status_code == 200, r.text
            assert _until(client, "failing", tries=40) == "ok"  # it said "failing" again
        monkeypatch.undo()
        assert client.get("/events/status").json()["sequence"] == 3  # the 3 taken


def test_a_store_the_probe_finds_read_only_refuses_writes_before_writing(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/health said "read_only" (the probe: the store file became unwritable) while POST
    /events stored the events (200): the pooled SQLite connections wrote through the handles
    they opened before. The write routes now answer the read-only store's 503 while the probe
    says so, and reads still answer. The probe is read as "read_only" (root writes any file);
    oracle: the store's sequence, unmoved by the refused writes, and the writes taken again
    once the probe finds the store writable."""
    from recommender.campaigns import writable

    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)  # the probe at every poll
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        warm_cache=False, events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/events", json={"events": [_event(1)]}).status_code == 200
        with monkeypatch.context() as m:
            m.setattr(writable, "write_state", lambda store: "read_only")
            assert _until(client, "read_only") == "read_only"
            for path, body in (("/events", {"events": [_event(2)]}),
                               ("/campaigns/plan", {"films": [{"film_id": "00002",
                                                              "budget": 5}]})):
                r = client.post(path, json=body)
                assert r.status_code == 503, r.text
                assert "unavailable (it refuses writes: read-only" in r.json()["detail"]
                assert r.headers["retry-after"] == "5"
            status = client.get("/events/status")  # a read still answers
            assert status.status_code == 200 and status.json()["sequence"] == 1, status.text
            assert client.get("/campaigns").json()["plans"] == []
        assert _until(client, "ok") == "ok"
        r = client.post("/events", json={"events": [_event(2)]})
        assert r.status_code == 200 and r.json()["sequence"] == 2, r.text


def _fail_writes(monkeypatch: pytest.MonkeyPatch, client: TestClient, cause: Exception) -> None:
    """Every write of ``client``'s store fails with ``cause`` (a driver's error, wrapped by
    SQLAlchemy as a failed INSERT) until ``monkeypatch.undo``."""
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    error = sa.exc.OperationalError("INSERT ...", {}, cause)

    def fail(*_args: Any, **_kw: Any) -> Any:
        raise error

    monkeypatch.setattr(store.engine, "begin", fail)


def test_a_worker_no_write_reached_says_ok_once_the_disk_is_freed(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk failed a write (503) and was freed, and the write went to another worker:
    this worker's /health said "failing" for ever (40 s and its probes after) while its reads
    and writes answered 200. Its probe now writes a page beside the store while it says
    "failing", and "ok" follows once the disk takes it; a disk that fails the page (an I/O
    error at its sync) keeps "failing". The disk is read as full (``os.statvfs``) and the
    page's sync fails (``os.fsync``); oracle: the store's sequence, unmoved (no write reached
    this worker), and no probe file left beside the store."""
    import errno
    import sqlite3

    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)  # the probe at every poll
    real = os.statvfs

    def full(path: Any) -> os.statvfs_result:
        seen = real(path)  # f_bfree and f_bavail: no free block
        return os.statvfs_result((*seen[:3], 0, 0, *seen[5:]))

    def broken(_fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    no_room = sqlite3.OperationalError("database or disk is full")
    no_room.sqlite_errorcode = 13  # type: ignore[attr-defined]
    db = tmp_path / "store.db"
    settings = Settings(model_path=str(model_dir), store=str(db), warm_cache=False,
                        events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/events", json={"events": [_event(1)]}).status_code == 200
        with monkeypatch.context() as m:
            m.setattr(os, "statvfs", full)
            _fail_writes(m, client, no_room)
            r = client.post("/events", json={"events": [_event(2)]})
            assert r.status_code == 503 and "disk under it is full" in r.json()["detail"]
            assert _until(client, "failing") == "failing"
        with monkeypatch.context() as m:  # the disk has room, but fails the probe's page
            m.setattr(os, "fsync", broken)
            assert _until(client, "ok", tries=40) == "failing"
        assert _until(client, "ok") == "ok"  # the disk takes the page: no write needed
        assert client.get("/events/status").json()["sequence"] == 1
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith("-probe")) == []


def test_a_postgresql_worker_no_write_reached_says_ok_once_the_disk_takes_writes(
        make_store: Callable[[str, Path], str], model_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As for SQLite: a PostgreSQL server's full disk (SQLSTATE 53100) failed a write, and
    this worker said "failing" until a write reached it. Its probe's row, written to a
    temporary table and rolled back, ends it; oracle: the store's sequence, unmoved."""
    import psycopg.errors

    monkeypatch.setattr(store_health, "MOVED_EVERY", 0.0)  # the probe at every poll
    settings = Settings(model_path=str(model_dir), store=make_store("postgresql", tmp_path),
                        warm_cache=False, events_poll=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/events", json={"events": [_event(1)]}).status_code == 200
        with monkeypatch.context() as m:
            _fail_writes(m, client, psycopg.errors.DiskFull("could not extend file"))
            r = client.post("/events", json={"events": [_event(2)]})
            assert r.status_code == 503 and "disk under it is full" in r.json()["detail"]
            assert _health(client)["campaign_store"] == "failing"
        assert _until(client, "ok") == "ok"
        assert client.get("/events/status").json()["sequence"] == 1
