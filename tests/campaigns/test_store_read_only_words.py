"""One store fault is said one way by every worker: with a SQLite store's file and its ``-wal``
made unwritable (``chattr +i``), a worker whose pooled connection was opened before got
SQLite's "disk I/O error" (SQLITE_IOERR_WRITE) and its /health said "failing" (a full or
failing disk), while a worker opening a new connection got "attempt to write a readonly
database" and said "read_only". SQLite's readonly words given without a code (a hand-made or
wrapped driver error) were "failing" too. The fault here is the system's answer for the files
(``os.access``), not a flag set on them; oracles: SQLite's own words for a refused write, and
the same I/O error said "failing" while the files can be written."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.requests import Request

from recommender.campaigns import writable
from recommender.campaigns.store import open_store
from recommender.errors import io_error, read_only
from service.errors import store_unavailable
from service.store_health import StoreHealth

_WORDS = "attempt to write a readonly database"


def _sqlite_error(message: str, code: int | None) -> sqlite3.OperationalError:
    """A driver error as ``sqlite3`` raises it (``code``: its ``sqlite_errorcode``; None: a
    driver or wrapper that gives none), wrapped as SQLAlchemy wraps it."""
    error = sqlite3.OperationalError(message)
    if code is not None:
        error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


def test_sqlites_readonly_words_are_read_only_with_or_without_a_code(tmp_path: Path) -> None:
    # the oracle: the words SQLite itself says when a write is refused as read-only
    conn = sqlite3.connect(tmp_path / "words.db")
    conn.execute("PRAGMA query_only=ON")
    with pytest.raises(sqlite3.OperationalError) as real:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    assert _WORDS in str(real.value) and real.value.sqlite_errorcode & 0xFF == 8
    for said in (_WORDS, f"{_WORDS} (1032)", "Attempt to write a READONLY DATABASE"):
        bare = _sqlite_error(said, None)
        assert read_only(bare), said
        assert read_only(sa.exc.OperationalError("INSERT INTO events", None, bare)), said
    # not every store error: a full disk and an I/O error stay what they are
    for said, code in (("database or disk is full", 13), ("disk I/O error", 778),
                       ("database is locked", 5)):
        assert not read_only(sa.exc.OperationalError("INSERT", None, _sqlite_error(said, code)))


def _request(health: StoreHealth) -> Request:
    """A bare POST /events whose app's events sync is ``health``."""
    app = SimpleNamespace(state=SimpleNamespace(events_sync=health))
    return Request({"type": "http", "app": app, "method": "POST", "path": "/events",
                    "query_string": b"", "headers": [], "scheme": "http",
                    "server": ("testserver", 80)})


def _said(health: StoreHealth, error: BaseException) -> tuple[int, str]:
    """(status, /health's campaign_store) after the service's handler saw ``error``."""
    answer = asyncio.run(store_unavailable(_request(health), error))  # type: ignore[arg-type]
    return answer.status_code, health.store_state


def test_a_write_error_of_a_store_whose_files_cannot_be_written_is_read_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "store.db"
    store = open_store(str(db))
    try:
        health = StoreHealth(store, interval=1.0)  # a poller's: no look started by /health
        io = sa.exc.OperationalError("INSERT INTO events", None,
                                     _sqlite_error("disk I/O error", 778))
        assert io_error(io) and not read_only(io)
        # while the files can be written, an I/O error is a failing disk
        assert _said(health, io) == (503, "failing")
        health.wrote()
        assert health.store_state == "ok"
        files = {os.path.realpath(db), f"{os.path.realpath(db)}-wal"}
        real = os.access

        def refused(path: Any, mode: int, **kw: Any) -> bool:
            # the store's file and its write-ahead log cannot be written (chattr +i alike)
            if mode & os.W_OK and os.path.realpath(path) in files:
                return False
            return real(path, mode, **kw)

        monkeypatch.setattr(writable.os, "access", refused)
        assert writable.sqlite_write_state(db) == "read_only"  # what the probe says
        # the worker whose old connection got the I/O error says what the other says
        assert _said(health, io) == (503, "read_only")
        health.wrote()
        bare = sa.exc.OperationalError("INSERT INTO events", None, _sqlite_error(_WORDS, None))
        assert _said(health, bare) == (503, "read_only")
    finally:
        store.close()


def test_a_writes_503_says_what_health_says_of_a_store_whose_files_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """/health said "read_only" (its problems: the store refuses writes) while the 503 of the
    write whose pooled connection met SQLite's "disk I/O error" on those files said "an I/O
    error (a file the system refuses to write, or a failing disk)": an operator read two
    faults. Both say now that the store refuses writes, and what to make writable. The files
    are made unwritable as the system answers for them (``os.access``: root writes any file),
    the pooled connection's error as ``sqlite3`` raises it (SQLITE_IOERR_WRITE)."""
    from fastapi.testclient import TestClient
    from service_fixtures import save_model

    from service import store_health
    from service.app import create_app
    from service.settings import Settings

    monkeypatch.setattr(store_health, "MOVED_EVERY", 1e9)  # only the start's probe: writable
    db = tmp_path / "store.db"
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=str(db),
                        warm_cache=False)
    event = {"event_id": "e-1", "user_id": "u1", "film_id": "00002",
             "timestamp": 1_700_000_000}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/events", json={"events": [event]}).status_code == 200
        files = {os.path.realpath(db), f"{os.path.realpath(db)}-wal"}
        real = os.access
        monkeypatch.setattr(writable.os, "access", lambda path, mode, **kw: False if (
            mode & os.W_OK and os.path.realpath(path) in files) else real(path, mode, **kw))
        io = sa.exc.OperationalError("INSERT ...", None, _sqlite_error("disk I/O error", 778))

        def fail(*_args: Any, **_kw: Any) -> Any:
            raise io

        store = client.app.state.campaign_store  # type: ignore[attr-defined]
        monkeypatch.setattr(store.engine, "begin", fail)
        for path, body in (("/events", {"events": [{**event, "event_id": "e-2"}]}),
                           ("/campaigns/plan", {"films": [{"film_id": "00002",
                                                           "budget": 5}]})):
            r = client.post(path, json=body)
            assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
            detail = r.json()["detail"]
            health = client.get("/health").json()
            assert health["campaign_store"] == "read_only", health
            # /health's problem, in its own words: "the campaign store <what>: writes ..."
            (problem,) = health["problems"]
            said = problem.removeprefix("the campaign store ").split(": writes answer 503")[0]
            assert said.startswith("refuses writes: read-only") and said != problem, problem
            assert f"unavailable (it {said})" in detail, (detail, problem)
            assert "I/O error" not in detail and "failing disk" not in detail, detail
            # the remedy names what to make writable: the files /health's probe looks at
            assert "make the store file, its -wal and -shm files and its folder writable" \
                in detail, detail
