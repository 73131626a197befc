"""A read or write key is shown its own events' position, never the store's: ``POST /events``
answered the store's ``sequence`` and ``GET /events/status`` the store's latest and applied
sequence to any key, so a partner read how many events every other partner sent; and a quoted
id (``unquoted_ids``) was looked up in every key's events, which told a key whether an id was
in another key's events. The admin key and a server without read or write keys keep the
store's counts; a key still tells when its own events have taken effect (``caught_up``).

Oracles: the rows read back from the store's table (each event's ``writer`` and ``seq``), the
events each key sent, and the sequence the worker's poller says it applied. The poller is
driven by hand (``events_poll=0``), so nothing here waits on a clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from partner_keys import (
    ADMIN,
    KEY_A,
    KEY_B,
    READ_B,
    READ_C,
    keyed_model_and_client,
    own,
    poll,
    post,
    stored,
)

from recommender.campaigns.event_writers import writer_id
from recommender.campaigns.events import events
from recommender.campaigns.store import open_store
from service.app import create_app
from service.settings import Settings

PHONE = "+33612340001"  # a user neither the model nor any plan holds

# b's read key shares the id of b's write key: it reads the events b wrote
model_dir, client = keyed_model_and_client("counted-per-key", f"b:{READ_B},c:{READ_C}")


def status(client: TestClient, key: str) -> dict[str, Any]:
    r = client.get("/events/status", headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_a_key_s_counts_are_its_own_events(client: TestClient) -> None:
    first = post(client, KEY_B, [("b-1", "u5", "00003")])
    a = post(client, KEY_A, [(f"a-{i}", "u7", "00004") for i in range(5)])
    assert a["sequence"] == 5 == own(client, "a"), a  # the store's was 6
    assert (first["sequence"], first.get("counted")) == (1, "key")
    before = status(client, KEY_B)
    second = post(client, KEY_B, [("b-2", "u5", "00004")])
    # B's sequence moved by its own event alone: A's five told nothing (it was 1, 7)
    assert (first["sequence"], second["sequence"]) == (1, 2) == (own(client, "b") - 1,
                                                                 own(client, "b"))
    after = status(client, KEY_B)
    assert (before["sequence"], after["sequence"]) == (1, 2), (before, after)
    assert after["counted"] == "key" and after["overlay"] == {}  # the overlay counts all
    assert status(client, READ_B)["sequence"] == 2  # b's read key: the events b wrote
    c = status(client, READ_C)  # a read key of an id that wrote nothing
    assert (c["sequence"], c["applied"], c["caught_up"]) == (0, 0, True), c
    # the admin key: the store's, as before
    admin = status(client, ADMIN)
    last = max(s for s, _, _ in stored(client))
    assert (admin["sequence"], admin["counted"]) == (last, "store") and last >= 7, admin
    assert post(client, ADMIN, [("x-1", "u5", "00003")])["sequence"] == last + 1


def test_a_key_is_caught_up_once_its_own_events_are_applied(client: TestClient) -> None:
    b = post(client, KEY_B, [("b-1", "u5", "00003"), ("b-2", "u6", "00003")])
    assert b["sequence"] == 2
    post(client, ADMIN, [("x-1", "u7", "00003")])  # applied with B's, but not B's own
    seen = status(client, KEY_B)
    assert (seen["sequence"], seen["applied"], seen.get("caught_up")) == (2, 0, False), seen
    applied = poll(client)
    seen = status(client, KEY_B)
    assert (seen["sequence"], seen["applied"], seen["caught_up"]) == (2, 2, True), seen
    # caught up: the worker's model reflects every event b stored
    assert all(s <= applied for s, w, _ in stored(client) if w == writer_id("b"))
    post(client, KEY_A, [(f"a-{i}", "u7", "00004") for i in range(3)])  # not applied yet
    assert status(client, KEY_B) == seen  # A's events leave B caught up, and unmoved
    a = status(client, KEY_A)
    assert (a["sequence"], a["applied"], a["caught_up"]) == (3, 0, False), a
    admin = status(client, ADMIN)
    assert (admin["sequence"], admin["applied"], admin["caught_up"]) == (6, applied, False)
    applied = poll(client)
    a = status(client, KEY_A)
    assert (a["sequence"], a["applied"], a["caught_up"]) == (3, own(client, "a", applied),
                                                              True), a
    assert status(client, ADMIN)["caught_up"] is True


def test_a_quoted_id_is_looked_up_in_the_key_s_own_events(client: TestClient) -> None:
    # A's events are left unapplied: once the poller folds them in, the served model (every
    # key's) holds A's new user, and /users/{id} says so to any key, as the look-up does
    post(client, KEY_A, [("a-1", PHONE, "00003")])
    admin = post(client, ADMIN, [("x-1", "'" + PHONE, "00003")])  # the store's view: A's event
    assert admin["unquoted_user_ids"] == [{"user_id": "'" + PHONE, "read_as": PHONE}], admin
    b = post(client, KEY_B, [("b-1", "'" + PHONE, "00003")])
    # only other keys' events held the phone: B was told so by its id read as it (it was)
    assert (b["unquoted_events"], b["unquoted_user_ids"]) == (0, []), b
    # A's own event holds it (and B's event, of the quoted id, is not A's)
    a = post(client, KEY_A, [("a-2", "'" + PHONE, "00003")])
    assert a["unquoted_user_ids"] == [{"user_id": "'" + PHONE, "read_as": PHONE}], a
    assert [(w, u) for _, w, u in stored(client)] == [
        (writer_id("a"), PHONE), (writer_id("admin"), PHONE), (writer_id("b"), "'" + PHONE),
        (writer_id("a"), PHONE)]


def test_a_server_without_keys_counts_the_store(model_dir: Path, tmp_path: Path) -> None:
    url = str(tmp_path / "open.db")
    settings = Settings(model_path=str(model_dir), store=url, events_poll=0, warm_cache=False)
    st = open_store(url)  # an event some key stored before the keys were taken off
    try:
        from recommender.campaigns.events import EventBatch, record_events

        record_events(st, EventBatch(["k-1"], ["u5"], ["00003"], [1_700_000_000], [1.0]),
                      writer=writer_id("a"))
    finally:
        st.close()
    with TestClient(create_app(settings)) as client:
        r = client.post("/events", json={"events": [
            {"event_id": "e-1", "user_id": "u6", "film_id": "00003",
             "timestamp": 1_700_000_000}]}).json()
        assert (r["sequence"], r["counted"]) == (2, "store"), r
        seen = client.get("/events/status").json()
        # the event stored before the start is applied at the start; the new one is not yet
        assert (seen["sequence"], seen["applied"], seen["counted"]) == (2, 1, "store"), seen
        poll(client)
        seen = client.get("/events/status").json()
        assert (seen["applied"], seen["caught_up"]) == (2, True) and seen["overlay"], seen


def test_a_reader_without_a_key_on_a_server_of_write_keys_counts_none(
        model_dir: Path, tmp_path: Path) -> None:
    # write keys alone: reads are open, and a caller without a key wrote nothing
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "w.db"),
                        write_keys=f"a:{KEY_A}", events_poll=0, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        post(client, KEY_A, [("a-1", "u5", "00003"), ("a-2", "u6", "00003")])
        seen = client.get("/events/status").json()
        assert (seen["sequence"], seen["applied"], seen["overlay"], seen.get("counted")) == \
            (0, 0, {}, "key"), seen
        assert status(client, KEY_A)["sequence"] == 2


def test_writer_position_counts_a_writer_s_events_in_any_order_of_asking(
        tmp_path: Path) -> None:
    """The counts each store remembers (``writer_counts``) against the table counted whole,
    asked at sequences before, at and past those remembered, with other writers' events
    between, and after the store lost its last events (a file restored from a backup)."""
    import numpy as np

    from recommender.campaigns.events import EventBatch, record_events
    from recommender.campaigns.writer_counts import writer_position

    rng = np.random.default_rng(7)
    writers = [writer_id(n) for n in ("a", "b", "c")]
    st = open_store(str(tmp_path / "w.db"))

    def oracle(writer: str, through: int) -> int:
        with st.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(
                events.c.writer == writer, events.c.seq <= through)).scalar_one())

    def check() -> None:
        for writer in writers:
            for through in [None, *rng.integers(0, n + 3, 4).tolist(), n]:
                assert writer_position(st, writer, through) == (
                    oracle(writer, 10 ** 9), 0 if through is None else oracle(writer, through))

    try:
        n = 0
        for step in range(12):
            writer = writers[int(rng.integers(0, 3))]
            size = int(rng.integers(1, 6))
            ids = [f"e{step}-{i}" for i in range(size)]
            n = record_events(st, EventBatch(ids, ["u1"] * size, ["f1"] * size,
                                             [1_700_000_000] * size, [1.0] * size), writer)[2]
            check()
        with st.engine.begin() as conn:  # the last events lost (a file restored), seen so,
            conn.execute(sa.delete(events).where(events.c.seq > n - 6))  # then others stored
            conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                 (n - 6, "campaign_events"))
        n -= 6
        check()
        for step in range(3):
            n = record_events(st, EventBatch([f"r{step}"], ["u1"], ["f1"], [1_700_000_000],
                                             [1.0]), writers[step])[2]
            check()
    finally:
        st.close()


def test_writer_position_forgets_its_counts_after_a_restore_in_place(tmp_path: Path) -> None:
    """The same store object, its events past sequence 5 deleted and its sequence set back (a
    ``pg_restore --clean`` into the same database), then 6 more events stored before any
    count is asked: the counts remembered before the restore were kept for the life of the
    process; each writer's count now matches the table counted whole."""
    from recommender.campaigns.events import EventBatch, record_events
    from recommender.campaigns.writer_counts import writer_position

    a, b = writer_id("a"), writer_id("b")
    st = open_store(str(tmp_path / "r.db"))

    def oracle(writer: str, through: int) -> int:
        with st.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(
                events.c.writer == writer, events.c.seq <= through)).scalar_one())

    def store(prefix: str, writers: list[str]) -> int:
        seq = 0
        for i, writer in enumerate(writers):
            seq = record_events(st, EventBatch([f"{prefix}{i}"], ["u1"], ["f1"],
                                               [1_700_000_000], [1.0]), writer)[2]
        return seq

    try:
        n = store("e", [a] * 4 + [b] * 6)  # 1-4: a's, 5-10: b's
        for through in (None, 5, 8, n):  # remembered at 5, 8 and 10
            for writer in (a, b):
                assert writer_position(st, writer, through)[0] == oracle(writer, n)
        with st.engine.begin() as conn:
            conn.execute(sa.delete(events).where(events.c.seq > 5))
            conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = 5 WHERE name = ?",
                                 ("campaign_events",))
        n = store("r", [a] * 6)  # 6-11: a's now
        assert n == 11
        for through in (None, 5, 8, 10, n):
            for writer in (a, b):
                assert writer_position(st, writer, through) == (
                    oracle(writer, n), 0 if through is None else oracle(writer, through))
    finally:
        st.close()


def test_writer_position_reads_one_moment_through_one_connection(store_target: str) -> None:
    """A count opens one connection of the store (it opened two: the latest sequence, then
    the writer's events) and reads both in one transaction: a restore in place between them
    (a's four events deleted once the latest was read, by another connection) is not seen by
    the count, which stays that of the moment its latest was read (the table counted then);
    on SQLite and PostgreSQL alike."""
    from recommender.campaigns.events import EventBatch, record_events
    from recommender.campaigns.writer_counts import writer_position

    a, b = writer_id("a"), writer_id("b")
    st = open_store(store_target)
    taken: list[int] = []
    latest_read: list[bool] = []

    def checkout(*_: Any) -> None:
        taken.append(1)

    def interleave(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # once, right after the count read the latest event (ordered by seq, descending)
        if latest_read or "ORDER BY" not in statement.upper():
            return
        latest_read.append(True)
        with st.engine.begin() as other:
            other.execute(sa.delete(events).where(events.c.writer == a))

    def oracle(writer: str, through: int) -> int:
        with st.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(
                events.c.writer == writer, events.c.seq <= through)).scalar_one())

    try:
        for i, writer in enumerate([a] * 4 + [b] * 6):  # 1-4: a's, 5-10: b's
            record_events(st, EventBatch([f"e{i}"], ["u1"], ["f1"], [1_700_000_000], [1.0]),
                          writer)
        for writer, through in ((a, None), (b, 7), (a, 3), (b, None), (a, 10)):
            taken.clear()
            sa.event.listen(st.engine, "checkout", checkout)
            try:
                got = writer_position(st, writer, through)
            finally:
                sa.event.remove(st.engine, "checkout", checkout)
            assert taken == [1], (writer, through, taken)
            assert got == (oracle(writer, 10), 0 if through is None else oracle(writer, through))
        fresh = open_store(store_target)  # nothing remembered: counted whole
        st.close()
        st = fresh
        before = oracle(a, 10)
        assert before == 4
        sa.event.listen(st.engine, "after_cursor_execute", interleave)
        try:
            got = writer_position(st, a, 10)
        finally:
            sa.event.remove(st.engine, "after_cursor_execute", interleave)
        assert latest_read == [True]
        assert oracle(a, 10) == 0  # the deletion was committed between the two reads
        assert got == (before, before), got
    finally:
        st.close()
