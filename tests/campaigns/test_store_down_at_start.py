"""A worker whose campaign store cannot be opened or read at its start still starts: reads are
served from the model, the store's routes answer 503 with Retry-After, and once the store can be
read its events are applied and its routes answer, without a restart."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.events import EventBatch, iter_events, record_events
from recommender.campaigns.store import open_store
from service import errors as service_errors
from service import events_sync
from service.app import create_app
from service.settings import Settings

FILM = "00004"
STORE_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("post", "/events", {"events": [{"event_id": "x", "user_id": "u1", "film_id": "00002",
                                     "timestamp": 1_700_000_000}]}),
    ("get", "/events/status", None),
    ("get", "/campaigns", None),
    ("post", "/campaigns/plan", {"films": [{"film_id": "00002", "budget": 5}]}),
    ("get", "/campaigns/p-1", None),
    ("get", "/campaigns/p-1/report", None),
    ("post", "/campaigns/p-1/next", None),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-down") / "model")


def top_user(client: TestClient) -> str:
    r = client.get(f"/films/{FILM}/audience", params={"k": 1})
    assert r.status_code == 200, r.text
    return str(r.json()["users"][0]["user_id"])


def good_store(path: Path, user: str) -> None:
    """A store at ``path`` holding one event: ``user`` watched FILM."""
    path.parent.mkdir(parents=True, exist_ok=True)
    store = open_store(str(path))
    try:
        record_events(store, EventBatch(["e-1"], [user], [FILM], [1_700_000_000], [1.0]))
    finally:
        store.close()
    assert not any(path.parent.glob(path.name + "-*")), "the WAL was checkpointed on close"


def eventually(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 30  # a liveness bound, not a timing assertion
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def assert_store_routes_down(c: TestClient, damaged: bool = False) -> None:
    """503 on every store route: with Retry-After, or (a damaged file, which a retry reads
    again) without it, saying the file is damaged."""
    for method, path, body in STORE_ROUTES:
        r = c.request(method, path, json=body)
        assert r.status_code == 503, (path, r.status_code, r.text)
        assert "unavailable" in r.json()["detail"]
        if damaged:
            assert "retry-after" not in r.headers and "damaged" in r.json()["detail"], r.text
        else:
            assert r.headers["retry-after"] == "5"


@pytest.mark.parametrize("how", ["garbage", "directory"])
def test_a_store_that_cannot_be_opened_at_start_is_retried(
        model_dir: Path, tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture) -> None:
    # the worker failed to start with a traceback (uvicorn then stops every worker)
    db = tmp_path / "store.db"
    if how == "garbage":  # SQLite: "file is not a database"
        db.write_bytes(os.urandom(8192))
    else:  # "unable to open database file": a link to a folder, so that the restore below
        # swaps it in one rename (a folder removed, then a file moved in, left a moment with
        # no file, where the poller's open created an empty store: the restore then read as
        # the file replaced under the open store)
        (tmp_path / "a-folder").mkdir()
        db.symlink_to(tmp_path / "a-folder")
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0.05,
                        warm_cache=False)
    with caplog.at_level("WARNING", logger="recommender.service"), \
            TestClient(create_app(settings)) as c:
        started = [r.getMessage() for r in caplog.records]
        assert sum("cannot be opened" in m for m in started) == 1, started
        health = c.get("/health")
        assert health.status_code == 200 and health.json()["campaign_store"] == (
            "damaged" if how == "garbage" else "unavailable")
        user = top_user(c)
        assert c.get(f"/users/{quote(user, safe='')}/recommendations").status_code == 200
        assert c.get("/films", params={"query": "film"}).status_code == 200
        assert c.get(f"/films/{FILM}").status_code == 200
        assert_store_routes_down(c, damaged=how == "garbage")
        assert c.app.state.service.events.waiting  # type: ignore[attr-defined]

        # the store comes back (a restored file): its event is applied, its routes answer
        good = tmp_path / "restored" / "store.db"
        good_store(good, user)
        if how == "directory":
            (tmp_path / "link").symlink_to(good)
            good = tmp_path / "link"
        os.replace(good, db)
        assert eventually(lambda: c.get("/events/status").status_code == 200)
        assert eventually(lambda: c.get("/events/status").json()["applied"] == 1)
        assert user not in [u["user_id"] for u in c.get(
            f"/films/{FILM}/audience", params={"k": 5}).json()["users"]]
        assert c.get("/health").json()["campaign_store"] == "ok"
        assert c.get("/campaigns").status_code == 200
        r = c.post("/events", json=STORE_ROUTES[0][2])
        assert r.status_code == 200 and r.json()["sequence"] == 2, r.text
        assert eventually(lambda: c.get("/events/status").json()["applied"] == 2)
    messages = [r.getMessage() for r in caplog.records]
    assert any("read again" in m for m in messages), messages


def test_a_store_that_cannot_be_read_at_start_is_read_later(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the store opens, but reading its events fails (locked past the busy timeout)
    db = tmp_path / "store.db"
    probe = TestClient(create_app(Settings(model_path=str(model_dir), store=str(tmp_path / "p"),
                                           events_poll=0, warm_cache=False)))
    with probe:
        user = top_user(probe)
    good_store(db, user)
    locked = {"on": True}

    def reading(store: Any, after: int = 0) -> Any:
        if locked["on"]:
            raise sa.exc.OperationalError("SELECT", None, Exception("database is locked"))
        return iter_events(store, after=after)

    monkeypatch.setattr(events_sync, "iter_events", reading)
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        assert c.get("/health").json()["campaign_store"] == "unavailable"
        assert user in [u["user_id"] for u in c.get(
            f"/films/{FILM}/audience", params={"k": 1}).json()["users"]]
        status = c.get("/events/status").json()
        assert (status["sequence"], status["applied"]) == (1, 0)
        r = c.post("/campaigns/plan", json=STORE_ROUTES[3][2])  # never on a stale model
        assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
        locked["on"] = False
        assert eventually(lambda: c.get("/events/status").json()["applied"] == 1)
        assert user not in [u["user_id"] for u in c.get(
            f"/films/{FILM}/audience", params={"k": 5}).json()["users"]]
        assert c.get("/health").json()["campaign_store"] == "ok"
        r = c.post("/campaigns/plan", json=STORE_ROUTES[3][2])
        assert r.status_code == 200, r.text


def test_events_poll_zero_still_retries_a_store_down_at_start(model_dir: Path,
                                                              tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    db.mkdir()
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0,
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        user = top_user(c)
        assert c.get("/events/status").status_code == 503
        shutil.rmtree(db)
        good_store(db, user)
        assert eventually(lambda: c.get("/events/status").status_code == 200)
        assert eventually(lambda: c.get("/events/status").json()["applied"] == 1)


def test_a_store_whose_folder_cannot_be_written_is_said_so_at_start_and_in_its_503s(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A store whose folder cannot be written (a read-only mount, ``chattr +i``): SQLite cannot
    create its write-ahead log, so it is not opened at the start. The start's warning cut the
    reason at 300 characters, mid-word, before its remedy; the store routes answered "down,
    locked or out of connections" though the worker knew the folder cannot be written. The
    folder is read as unwritable (``os.access``: root writes any folder) and SQLite's own
    refusal is real (a folder where its -wal goes: "unable to open database file")."""
    folder = tmp_path / "frozen"
    folder.mkdir()
    db = folder / "store.db"
    open_store(str(db)).close()
    Path(f"{db}-wal").mkdir()
    real = os.access
    frozen = str(folder.resolve())
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == frozen
                        else real(p, mode, **kw))
    monkeypatch.setitem(service_errors._refusals, "next", 0.0)  # its 503 is logged now
    settings = Settings(model_path=str(model_dir), store=str(db), events_poll=0.05,
                        warm_cache=False)
    with caplog.at_level("WARNING", logger="recommender.service"), \
            TestClient(create_app(settings)) as c:
        said = [r.getMessage() for r in caplog.records if "cannot be opened" in r.getMessage()]
        assert len(said) == 1, said
        assert f"the store's folder {frozen} cannot be written" in said[0]
        # the remedy, whole, and the rest of the line after it
        assert ("make the folder writable, or copy the store file (with any -wal and -shm "
                "file beside it) into a folder that can be written and name the copy); "
                "serving model") in said[0], said[0]
        for method, path, body in STORE_ROUTES[:2]:  # POST /events, GET /events/status
            r = c.request(method, path, json=body)
            assert r.status_code == 503 and r.headers["retry-after"] == "5", r.text
            detail = r.json()["detail"]
            assert "unavailable (it refuses writes: read-only" in detail, detail
            assert "down, locked" not in detail and frozen not in detail, detail
        logged = [r.getMessage() for r in caplog.records if "unavailable for" in r.getMessage()]
        assert logged and f"the store's folder {frozen} cannot be written" in logged[0]
        assert "name the copy" in logged[0], logged


def test_a_reason_past_the_log_limit_keeps_its_start_and_its_remedy() -> None:
    """``reason_line``: a reason longer than the limit (a store under a long path) keeps its
    first sentence and its end, the remedy, whole words each side of " ... "."""
    from recommender.errors import reason_line

    long = "x" * 300
    text = (f"cannot open the campaign store /{long}/store.db. The folder /{long}/{long} "
            "cannot be written: make the folder writable\nsecond line")
    said = reason_line(text, most=800)
    assert said.startswith(f"cannot open the campaign store /{long}/store.db. ... ")
    assert said.endswith(" cannot be written: make the folder writable"), said
    assert len(said) <= 800 + len(" ... ")
    assert reason_line("short: said whole\nnot this line") == "short: said whole"


def test_a_reason_with_a_long_path_keeps_part_of_the_path_and_its_remedy() -> None:
    """``reason_line``: a 3,000-character path of no spaces was dropped whole (the head cut at
    the first ": ", the tail trimmed to its first space): a prefix of it and the remedy stay."""
    from recommender.errors import REASON_CHARS, reason_line

    path = "/data/" + "a" * 1500 + "/" + "b" * 1493
    assert len(path) == 3000
    remedy = "make the folder writable or name a store elsewhere"
    said = reason_line(f"store: cannot write {path}: {remedy}\nsecond line")
    head, _, tail = said.partition(" ... ")
    assert head.startswith("store: cannot write /data/aaaa") and len(head) > REASON_CHARS // 4
    assert f"store: cannot write {path}".startswith(head)
    kept = tail[:-len(remedy) - 2]
    assert tail.endswith(f": {remedy}") and kept.endswith("b" * 10)
    assert len(kept) > REASON_CHARS // 4 and path.endswith(kept)  # the path's end, mid-name
    assert len(said) <= REASON_CHARS + len(" ... ")
