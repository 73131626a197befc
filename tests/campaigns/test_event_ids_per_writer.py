"""An ``event_id`` is its writer's own: a write key's reused id is a conflict (409) only against
the events that key stored, and the same id from another key is another event, stored. The
409 told a key that some other key had stored an id (ticket numbers run in order: a partner
learned another's volumes). ``events import`` (no key) is a writer of its own, and migration
step 10 gives every event stored before it that writer, keeping each event's ``seq``, the
sequence's high mark and the table's indexes.

Oracle: the rows read back from the store's table, the events each caller sent, and the
``seq`` numbers and index names read from the database before the migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import run_cli
from pydantic import SecretStr
from service_fixtures import save_model

from recommender.campaigns import store as store_mod
from recommender.campaigns.event_writers import CLI_WRITER, writer_id
from recommender.campaigns.events import EventBatch, events, record_events
from recommender.campaigns.store import open_store
from recommender.errors import InvalidParameterError
from service.app import create_app
from service.settings import Settings, from_environment

KEY_A, KEY_B = "partner-a-key-0123456789", "partner-b-key-0123456789"
TICKET = {"event_id": "T-1001", "user_id": "u7", "film_id": "00003", "timestamp": 1_700_000_123,
          "weight": 2.0}
OTHER = {**TICKET, "user_id": "u5", "timestamp": 1_700_000_456}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("ids-per-writer") / "model")


def rows(url: str) -> list[tuple[Any, ...]]:
    """(writer, event_id, user_id, timestamp) of every stored event, in ``seq`` order."""
    st = open_store(url)
    try:
        with st.engine.connect() as conn:
            c = events.c
            return [tuple(r) for r in conn.execute(sa.select(
                c.writer, c.event_id, c.user_id, c.timestamp).order_by(c.seq))]
    finally:
        st.close()


def test_a_key_s_event_id_conflicts_with_its_own_events_only(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = str(tmp_path / "store.db")
    settings = Settings(model_path=str(model_dir), store=url,
                        write_keys=f"a:{KEY_A},b:{KEY_B}", events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        def post(key: str, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            r = client.post("/events", json={"events": [event]}, headers={"X-API-Key": key})
            return r.status_code, r.json()

        assert post(KEY_A, TICKET)[1]["stored"] == 1
        # B's T-1001: another event, whatever its payload (it was a 409 naming the id)
        status, body = post(KEY_B, OTHER)
        assert status == 200 and body["stored"] == 1, body
        status, body = post(KEY_B, TICKET)
        assert status == 409, body  # B's own T-1001 is OTHER: B's conflict, with B's event
        status, body = post(KEY_B, OTHER)
        assert status == 200 and (body["stored"], body["duplicates"]) == (0, 1), body
        status, body = post(KEY_A, TICKET)  # A's retry: its own, recognised
        assert status == 200 and (body["stored"], body["duplicates"]) == (0, 1), body
        status, body = post(KEY_A, OTHER)
        assert status == 409 and "T-1001" in body["detail"], body
    stored = rows(url)
    assert [r[1:] for r in stored] == [("T-1001", "u7", 1_700_000_123),
                                       ("T-1001", "u5", 1_700_000_456)]
    writer_a, writer_b = stored[0][0], stored[1][0]
    assert writer_a != writer_b and "" not in (writer_a, writer_b)
    for key in (KEY_A, KEY_B):  # a fingerprint, never the key
        assert all(key not in w for w in (writer_a, writer_b))
    # events import, no key: its own writer, not A's nor B's
    path = tmp_path / "tickets.csv"
    path.write_text("event_id,user_id,film_id,timestamp,weight\nT-1001,u9,00003,1700000789,1\n")
    for stored_now, already in ((1, 0), (0, 1)):
        code, out, err = run_cli(capsys, "events", "import", "--store", url, path)
        assert code == 0 and f"stored {stored_now}, already stored {already}" in out, err
    assert [r[:3] for r in rows(url)][2] == ("", "T-1001", "u9")


def test_a_server_without_keys_writes_as_events_import(model_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    url = str(tmp_path / "open.db")
    settings = Settings(model_path=str(model_dir), store=url, events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        assert client.post("/events", json={"events": [TICKET]}).json()["stored"] == 1
    path = tmp_path / "tickets.csv"
    path.write_text("event_id,user_id,film_id,timestamp,weight\nT-1001,u5,00003,1700000456,2\n")
    code, _, err = run_cli(capsys, "events", "import", "--store", url, path)
    assert code == 2 and "event_id 'T-1001' is already recorded" in err, err
    assert rows(url) == [("", "T-1001", "u7", 1_700_000_123)]


@pytest.mark.parametrize("key_id", ["", "anonymous", "admin"])
def test_a_key_id_naming_another_caller_is_refused(key_id: str) -> None:
    # ':KEY' or 'anonymous:KEY' wrote as events import did (its 409s named the CLI's ids), and
    # 'admin:KEY' as the admin key did
    with pytest.raises(InvalidParameterError, match="RECOMMENDER_WRITE_KEYS gives a key"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RECOMMENDER_WRITE_KEYS", f"a:{KEY_A},{key_id}:{KEY_B}")
            from_environment()


def test_the_writer_follows_the_key_matched_not_its_id(model_dir: Path, tmp_path: Path) -> None:
    """A key whose id is ``anonymous`` (refused at start now; built here past the check) is
    still a key: its events are not the command line's."""
    url = str(tmp_path / "named.db")
    checked = Settings(model_path=str(model_dir), store=url, events_poll=0, warm_cache=False)
    settings = Settings.model_construct(**{**dict(checked), "write_keys": SecretStr(
        f"anonymous:{KEY_A}")})
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": [TICKET]}, headers={"X-API-Key": KEY_A})
        assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert rows(url) == [(writer_id("anonymous"), "T-1001", "u7", 1_700_000_123)]
    assert writer_id("anonymous") != CLI_WRITER


def indexes(conn: sa.Connection) -> set[str]:
    return {i["name"] for i in sa.inspect(conn).get_indexes("campaign_events")
            if str(i["name"]).startswith("ix_")}


def test_step_10_gives_earlier_events_the_import_s_writer(
        store_target: str, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    every = store_mod.MIGRATIONS[:10]  # up to step 10 (later steps apply when opened again)
    assert every[-1][0] == 10
    monkeypatch.setattr(store_mod, "MIGRATIONS", every[:9])
    st = open_store(store_target)
    with st.engine.begin() as conn:  # events as step 9's table holds them: no writer
        for n in range(1, 6):
            conn.execute(sa.text("INSERT INTO campaign_events (event_id, user_id, film_id, "
                                 "timestamp, weight) VALUES (:e, :u, '00003', :t, 1)"),
                         {"e": f"T-{n}", "u": f"u{n}", "t": 1_700_000_000 + n})
        conn.execute(sa.text("DELETE FROM campaign_events WHERE event_id = 'T-5'"))
        before = [tuple(r) for r in conn.execute(sa.text(
            "SELECT seq, event_id, user_id FROM campaign_events ORDER BY seq"))]
        indexed = indexes(conn)
    st.close()
    assert len(before) == 4 and {"ix_campaign_events_user",
                                 "ix_campaign_events_film_user"} <= indexed
    monkeypatch.setattr(store_mod, "MIGRATIONS", every)
    st = open_store(store_target)
    try:
        assert st.version() == every[-1][0]  # 10 and later steps
        with st.engine.connect() as conn:
            after = [tuple(r) for r in conn.execute(sa.select(
                events.c.seq, events.c.event_id, events.c.user_id, events.c.writer
            ).order_by(events.c.seq))]
            assert indexed <= indexes(conn)
        assert after == [(*r, "") for r in before]
        # the sequence goes on past the deleted fifth: a number is never reused
        _, _, seq = record_events(st, EventBatch(["N-1"], ["u1"], ["00003"], [1_700_000_100],
                                                 [1.0]), writer="k" * 64)
        assert seq > 5
    finally:
        st.close()
    # a file imported before the step is recognised by events import after it
    path = tmp_path / "again.csv"
    path.write_text("event_id,user_id,film_id,timestamp,weight\n"
                    "T-1,u1,00003,1700000001,1\nT-2,u2,00003,1700000002,1\n")
    code, out, err = run_cli(capsys, "events", "import", "--store", store_target, path)
    assert code == 0 and "stored 0, already stored 2" in out, err


def test_a_copy_keeps_each_event_s_writer(tmp_path: Path, store_target: str) -> None:
    from recommender.campaigns.copy_store import copy_store

    source = str(tmp_path / "source.db")
    st = open_store(source)
    try:
        for writer in ("", "a" * 64, "b" * 64):
            record_events(st, EventBatch(["T-1"], ["u1"], ["00003"], [1_700_000_000], [1.0]),
                          writer=writer)
    finally:
        st.close()
    copy_store(source, store_target)
    assert sorted(r[0] for r in rows(store_target)) == ["", "a" * 64, "b" * 64]


def test_the_writer_is_a_fingerprint_of_the_key_s_id() -> None:
    import hashlib

    from recommender.campaigns.event_writers import CLI_WRITER, writer_id

    assert writer_id(CLI_WRITER) == ""
    assert writer_id("crm") == hashlib.sha256(b"recommender event writer\0crm").hexdigest()
