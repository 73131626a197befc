"""Whose events a request is shown is decided once (``event_views.shown_writer``), and the two
readers of it on a model route agree: the writer an unknown film's hint counts
(``film_events.HINT_WRITER``, set by ``deps.get_engine``) and the answer's ``X-Events-Seq``
(``service/metrics.py``). Both decided it apart, from the key rings and the keys sent.

Oracles: the rows read back from the store's table (each event's ``writer`` and ``seq``), the
sequence the worker's poller says it applied, and the rule written out here: the admin key
and every caller of a server with no read or write key are shown every writer's events (the
store's sequence), a read or write key its key id's own, a caller without a key on a server
of write keys none (no header). The poller is driven by hand (``events_poll=0``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import Token
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_fixtures import save_model

import service.deps as deps
import service.event_views as event_views
from recommender.campaigns.event_writers import writer_id
from recommender.campaigns.events import events
from service.app import create_app
from service.film_events import EVERY, HINT_WRITER
from service.settings import Settings

KEY_A, KEY_B = "writer-once-a-key-0123456789", "writer-once-b-key-0123456789"
READ_B, READ_C = "writer-once-b-read-0123456789", "writer-once-c-read-0123456789"
ADMIN = "writer-once-admin-key-0123456789"
ROUTED = "/users/u5/recommendations?k=05"  # a parameter spelled otherwise: the route answers


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("writer-once") / "model")


class Recorded:
    """Stands for ``deps.HINT_WRITER``: records each writer ``get_engine`` sets."""

    def __init__(self) -> None:
        self.set_to: list[str | None] = []

    def set(self, value: str | None) -> Token[str | None]:
        self.set_to.append(value)
        return HINT_WRITER.set(value)


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Counts of the two functions the decision reads, and the writers hints were given."""
    counted: dict[str, Any] = {"sees_store": 0, "caller_writer": 0, "hint": Recorded()}
    for name in ("sees_store", "caller_writer"):
        real = getattr(event_views, name)

        def counting(request: Any, _real: Any = real, _name: str = name) -> Any:
            counted[_name] += 1
            return _real(request)
        monkeypatch.setattr(event_views, name, counting)
    monkeypatch.setattr(deps, "HINT_WRITER", counted["hint"])
    return counted


def client_of(model_dir: Path, tmp_path: Path, **keys: str) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "store.db"),
                        events_poll=0, warm_cache=False, **keys)
    with TestClient(create_app(settings)) as c:
        yield c


def fill(client: TestClient, writers: dict[str, int]) -> int:
    """Each key's events (key: how many), stored and applied: the sequence applied."""
    for key, n in writers.items():
        r = client.post("/events", headers={"X-API-Key": key} if key else {}, json={
            "events": [{"event_id": f"{key[:12]}-{i}", "user_id": "u7", "film_id": "00003",
                        "timestamp": 1_700_000_000} for i in range(n)]})
        assert r.status_code == 200, r.text
    sync = client.app.state.events_sync  # type: ignore[attr-defined]
    sync.poll()
    applied: int = sync.applied
    return applied


def own(client: TestClient, writer: str, through: int) -> int:
    with client.app.state.campaign_store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.select(sa.func.count()).where(
            events.c.writer == writer, events.c.seq <= through)).scalar_one())


def check(client: TestClient, calls: dict[str, Any], key: str, shown: str | None,
          applied: int) -> None:
    """A routed model answer to ``key`` ("" for none): the decision read once, the hint
    given ``shown``, the header the count of the same writer's events (none for None)."""
    calls.update(sees_store=0, caller_writer=0)
    calls["hint"].set_to.clear()
    r = client.get(ROUTED, headers={"X-API-Key": key} if key else {})
    assert r.status_code == 200, r.text
    assert calls["sees_store"] == 1, (key, calls)  # the rule read once, not by each reader
    assert calls["caller_writer"] == (0 if shown == EVERY else 1), (key, calls)
    assert calls["hint"].set_to == [shown], (key, calls["hint"].set_to)
    expected = (None if shown is None else
                str(applied) if shown == EVERY else str(own(client, shown, applied)))
    assert r.headers.get("X-Events-Seq") == expected, (key, dict(r.headers))


def test_each_caller_s_writer_is_decided_once_and_read_alike(
        model_dir: Path, tmp_path: Path, calls: dict[str, Any]) -> None:
    # b's read key shares the id of b's write key: it reads the events b wrote
    for c in client_of(model_dir, tmp_path, write_keys=f"a:{KEY_A},b:{KEY_B}",
                       read_keys=f"b:{READ_B},c:{READ_C}", admin_key=ADMIN):
        applied = fill(c, {KEY_A: 3, KEY_B: 2, ADMIN: 1})
        assert applied == 6
        check(c, calls, ADMIN, EVERY, applied)
        check(c, calls, KEY_A, writer_id("a"), applied)
        check(c, calls, KEY_B, writer_id("b"), applied)
        check(c, calls, READ_B, writer_id("b"), applied)
        check(c, calls, READ_C, writer_id("c"), applied)  # wrote none: 0


def test_write_keys_alone_and_no_keys(model_dir: Path, tmp_path: Path,
                                      calls: dict[str, Any]) -> None:
    """Write keys and no read key: reads are open, and a caller without a key writes no
    events and is not shown the store's (it read ``X-Events-Seq: 0``); a server with no key
    at all shows every caller the store's."""
    for c in client_of(model_dir, tmp_path / "w", write_keys=f"a:{KEY_A}"):
        applied = fill(c, {KEY_A: 4})
        check(c, calls, KEY_A, writer_id("a"), applied)
        check(c, calls, "", None, applied)
        health = c.get("/health")  # its own events, as its status counts them: none
        assert health.json()["model"]["store_events"] == {"through_seq": 0, "counted": "key"}
        assert "X-Events-Seq" not in health.headers and "X-Model-Version" in health.headers
        seen = c.get("/events/status").json()
        assert (seen["sequence"], seen["applied"], seen["counted"]) == (0, 0, "key"), seen
    for c in client_of(model_dir, tmp_path / "open"):
        applied = fill(c, {"": 2})
        assert applied == 2
        check(c, calls, "", EVERY, applied)
