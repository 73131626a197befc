"""Copying a campaign store into a new database (SQLite to SQLite, SQLite to PostgreSQL and
back): every row, the store id and the event sequence kept, all or nothing.

The oracle reads both databases back with plain SQL (``sqlite3``, ``psycopg``), listing their
tables from the database's own catalogue, not from the engine's schema."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from recommender.campaigns import copy_store as copy_mod
from recommender.campaigns.copy_store import copy_store
from recommender.campaigns.events import EventBatch, record_events, trained_through
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
from recommender.campaigns.trained_events import store_fingerprint
from recommender.errors import InvalidParameterError

MakeStore = Callable[[str, Path], str]
AWKWARD = ["中文", "🎬", "a,\"b\"", " lead", "trail ", "0042", "x" * 300, "é\u0301", "\\n"]


def plan_rows(plan_id: str, n: int) -> pa.Table:
    """Rows with awkward user ids and floats that a decimal rendering could round (the
    smallest subnormal, the largest double, thirds)."""
    rng = np.random.default_rng(len(plan_id) + n)
    extremes = np.resize([5e-324, 2.2250738585072014e-308, 1 / 3, 1.7976931348623157e308,
                          0.1 + 0.2], n)
    return pa.Table.from_arrays([
        pa.array([plan_id] * n), pa.array([f"f{i % 4}" for i in range(n)]),
        pa.array([f"{AWKWARD[i % len(AWKWARD)]}{i}" for i in range(n)]),
        pa.array((np.arange(n) % 3 + 1).astype(np.int16)),
        pa.array(["target" if i % 5 else "control" for i in range(n)]),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(rng.random(n) / 3),
        pa.array(np.where(np.arange(n) % 2 == 0, extremes, rng.random(n) * 7e5))],
        schema=PLAN_SCHEMA)


def fill(url: str, events: int = 1_234) -> str:
    """A store holding two plans (a next wave linked to the first), opt-outs, an idempotency
    key and ``events`` events, the last of them deleted (so the store has used up a number
    past its last event); returns its store id."""
    st = open_store(url)
    try:
        st.save_plan("plan-a", {"created": "2026-01-01", "model_version": "m1", "é": "ü"},
                     plan_rows("plan-a", 2_345), excluded=["u中", "0x", "u 1"],
                     key=("key-1", "a" * 64))
        st.save_plan("plan-b", {"created": "2026-01-02", "model_version": "m1"},
                     plan_rows("plan-b", 17), excluded=["u中"],
                     link={"previous_plan_id": "plan-a", "sent_waves": 1, "events_seq": 40})
        for start in range(0, events, 500):
            ids = range(start, min(events, start + 500))
            record_events(st, EventBatch(
                [f"e{AWKWARD[i % len(AWKWARD)][:200]}{i}" for i in ids],
                [f"{AWKWARD[i % 5]}u{i % 97}" for i in ids], [f"f{i % 4}" for i in ids],
                [1_700_000_000 + 37 * i for i in ids], [0.1 * (1 + i % 7) for i in ids]))
        with st.engine.begin() as conn:  # an event deleted: its number is never given again
            conn.exec_driver_sql(f"DELETE FROM campaign_events WHERE seq = {events}")
        return st.store_id()
    finally:
        st.close()


def connect(url: str) -> Any:
    if "://" not in url:
        return sqlite3.connect(url)
    import psycopg

    return psycopg.connect(url)


def dump(url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every table but schema_version, read with plain SQL: its columns and its rows, sorted."""
    conn = connect(url)
    try:
        if isinstance(conn, sqlite3.Connection):
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                "'sqlite_%'")]
        else:
            names = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "'public' AND table_type = 'BASE TABLE'")]
        out = {}
        for name in sorted(set(names) - {"schema_version"}):
            cur = conn.execute(f"SELECT * FROM {name}")
            cols = [d[0] for d in cur.description]
            out[name] = (cols, sorted(tuple(r) for r in cur.fetchall()))
        return out
    finally:
        conn.close()


def used_up(url: str) -> int:
    """The last sequence number the events table handed out, read with plain SQL."""
    conn = connect(url)
    try:
        if isinstance(conn, sqlite3.Connection):
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = "
                               "'campaign_events'").fetchone()
            return int(row[0]) if row else 0
        value, called = conn.execute("SELECT last_value, is_called FROM "
                                     "campaign_events_seq_seq").fetchone()
        return int(value) if called else 0
    finally:
        conn.close()


def one_event(event_id: str) -> EventBatch:
    return EventBatch([event_id], ["u"], ["f0"], [1_700_000_000], [1.0])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_copy_keeps_every_row_the_store_id_and_the_sequence(
        kind: str, make_store: MakeStore, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = str(tmp_path / "a" / "store.db")
    store_id = fill(source)
    before, source_sha = dump(source), sha(Path(source))
    target = make_store(kind, tmp_path / "b")
    if kind == "postgresql":  # a database migrated by a replica that started first
        open_store(target).close()
    seen: list[tuple[str, int, int]] = []
    result = copy_store(source, target, chunk=500,
                        progress=lambda t, d, n: seen.append((t, d, n)))
    after = dump(target)
    assert set(after) == set(before) and after == before  # every table, value for value
    assert after["campaign_store_info"] == before["campaign_store_info"]
    assert len(after["campaign_events"][1]) == 1_233 and len(after["campaign_plan_rows"][1]) \
        == 2_362 and after["campaign_plan_links"][1] and after["campaign_idempotency"][1]
    assert dump(source) == before and sha(Path(source)) == source_sha  # read, never written
    assert result.store_id == store_id and result.last_seq == 1_233
    assert result.rows["campaign_events"] == 1_233 and result.next_seq == 1_235
    assert ("campaign_events", 500, 1_233) in seen and ("campaign_events", 1_233, 1_233) in seen
    assert used_up(target) == used_up(source) == 1_234  # the deleted event's number too
    st = open_store(target)
    try:
        assert st.store_id() == store_id  # a model trained with the old store's events...
        meta = {"events": {"store_id": store_id, "through_seq": 1_000, "store": source}}
        assert trained_through(meta, st) == 1_000  # ...knows the copy is that store
        src = open_store(source)
        try:  # and its events: the fingerprint train --events records reads the same
            assert store_fingerprint(st, 1_000) == store_fingerprint(src, 1_000)
        finally:
            src.close()
        assert record_events(st, one_event("after-the-copy")) == (1, 0, 1_235)
        assert record_events(st, one_event("and-the-next")) == (1, 0, 1_236)
    finally:
        st.close()
    if kind == "postgresql":  # and back: PostgreSQL to a new SQLite file
        back = tmp_path / "back.db"
        result = copy_store(target, str(back))
        assert result.next_seq == 1_237 and dump(str(back)) == dump(target)
        assert used_up(str(back)) == 1_236


def test_a_table_copied_by_hand_collides_on_postgresql(make_store: MakeStore,
                                                       tmp_path: Path) -> None:
    """What the copy avoids: the rows inserted as they are leave PostgreSQL's sequence at 1,
    and the next event takes a number already stored (IntegrityError)."""
    source = str(tmp_path / "store.db")
    fill(source, events=30)
    target = make_store("postgresql", tmp_path)
    st = open_store(target)
    try:
        src = open_store(source, read_only=True)
        with src.engine.connect() as read, st.engine.begin() as write:
            from recommender.campaigns.events import events

            write.execute(events.insert(), [dict(r._mapping) for r in
                                            read.execute(sa.select(events))])
        src.close()
        with pytest.raises(sa.exc.IntegrityError):
            record_events(st, one_event("after-a-plain-copy"))
    finally:
        st.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_target_that_is_not_empty_is_refused_and_left_as_it_was(
        kind: str, make_store: MakeStore, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = str(tmp_path / "a" / "store.db")
    fill(source, events=20)
    target = make_store(kind, tmp_path / "b")
    st = open_store(target)
    st.save_plan("own", {"created": "x", "model_version": "m"}, plan_rows("own", 3))
    record_events(st, one_event("own-event"))
    own_id = st.store_id()
    st.close()
    before, seq = dump(target), used_up(target)
    with pytest.raises(InvalidParameterError, match=r"is not empty \(events: 1, plans: 1, plan "
                                                    r"rows: 3\).*nothing was written"):
        copy_store(source, target)
    assert dump(target) == before and used_up(target) == seq
    assert ("store_id", own_id) in before["campaign_store_info"][1]
    with pytest.raises(InvalidParameterError, match="already is the store"):
        copy_store(source, source)  # the same store, however named
    empty = str(tmp_path / "empty.db")  # a copy of an empty store is refused a second time
    open_store(empty).close()
    again = make_store(kind, tmp_path / "a") if kind == "postgresql" else \
        str(tmp_path / "again.db")
    assert copy_store(empty, again).next_seq == 1
    with pytest.raises(InvalidParameterError, match="already is the store"):
        copy_store(empty, again)


def schema_versions(url: str) -> list[int]:
    conn = connect(url)
    try:
        return sorted(int(r[0]) for r in conn.execute("SELECT version FROM schema_version"))
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_target_at_an_older_schema_holding_rows_is_refused_unmigrated(
        kind: str, make_store: MakeStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A studio's old store named as the target (or --store and --to swapped) is refused as
    not empty before it is opened as a store: opening it migrated it to this engine's schema
    first (tables and a store id added, which the engine that wrote it cannot open), and the
    refusal said that nothing was written to it."""
    from recommender.campaigns import store as store_mod
    from recommender.campaigns.store import plans

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    source = str(tmp_path / "a" / "store.db")
    fill(source, events=20)
    target = make_store(kind, tmp_path / "b")
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:3])
    old = open_store(target)
    with old.engine.begin() as conn:
        conn.execute(plans.insert().values(plan_id="old", created="x", model_version="m",
                                           n_rows=0, summary="{}"))
    old.close()
    monkeypatch.undo()
    before = dump(target)
    assert schema_versions(target) == [1, 2, 3] and "campaign_store_info" not in before
    with pytest.raises(InvalidParameterError, match=r"is not empty \(plans: 1\).*nothing was "
                                                    r"written"):
        copy_store(source, target)
    assert dump(target) == before and schema_versions(target) == [1, 2, 3]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_copy_that_fails_leaves_the_target_as_it_was(
        kind: str, make_store: MakeStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted mid-table, failing on a row the target refuses, or failing once the
    sequence is set: the target is as it was (a new SQLite file: no file; PostgreSQL: empty,
    its own id, its sequence unmoved, though ``setval`` is not undone by a rollback)."""
    source = str(tmp_path / "store.db")
    fill(source, events=700)
    (tmp_path / "b").mkdir()
    target = make_store(kind, tmp_path / "b")
    if kind == "postgresql":
        open_store(target).close()
    before = dump(target) if kind == "postgresql" else None

    def as_it_was() -> None:
        if kind == "sqlite":
            assert not list((tmp_path / "b").iterdir())  # the file it created is gone
        else:
            assert dump(target) == before and used_up(target) == 0

    def stop(table: str, done: int, total: int) -> None:
        if table == "campaign_events" and done == 200:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_store(source, target, chunk=100, progress=stop)
    as_it_was()

    def fail(*args: object) -> int:
        raise RuntimeError("failed after the sequence was set")

    monkeypatch.setattr(copy_mod, "_next_seq", fail)
    with pytest.raises(RuntimeError):
        copy_store(source, target, chunk=100)
    as_it_was()
    monkeypatch.undo()
    if kind == "postgresql":  # a user id PostgreSQL's text cannot hold (a NUL byte)
        conn = sqlite3.connect(source)
        with conn:
            old = conn.execute("SELECT user_id FROM campaign_events WHERE seq = 650").fetchone()
            conn.execute("UPDATE campaign_events SET user_id = ? WHERE seq = 650", ("u\x00v",))
        with pytest.raises(InvalidParameterError, match=r"copying the events \(after 600 of "
                                                        r"its 699 rows\).*NUL.*nothing was "
                                                        r"written to the target"):
            copy_store(source, target, chunk=100)
        as_it_was()
        with conn:
            conn.execute("UPDATE campaign_events SET user_id = ? WHERE seq = 650", old)
        conn.close()
    assert copy_store(source, target, chunk=100).rows["campaign_events"] == 699


def test_the_source_is_copied_as_it_was_at_one_moment(tmp_path: Path) -> None:
    """A source still written to during the copy (a live SQLite store) is read in one snapshot:
    what is recorded after the copy began (an event, a plan stored while the events are
    copied, before the plans are) is in neither the copy nor its counts."""
    source = str(tmp_path / "store.db")
    fill(source, events=300)
    writer = open_store(source)
    wrote: list[int] = []

    def write_meanwhile(table: str, done: int, total: int) -> None:
        if not wrote:
            wrote.append(record_events(writer, one_event("during-the-copy"))[2])
            writer.save_plan("plan-late", {"created": "x", "model_version": "m"},
                             plan_rows("plan-late", 5))

    try:
        result = copy_store(source, str(tmp_path / "copy.db"), chunk=50,
                            progress=write_meanwhile)
    finally:
        writer.close()
    assert wrote == [301] and result.rows["campaign_events"] == 299
    assert result.rows["campaign_plans"] == 2 and result.rows["campaign_plan_rows"] == 2_362
    assert result.last_seq == 299 and result.next_seq == 301
    copied = dump(str(tmp_path / "copy.db"))
    assert len(copied["campaign_events"][1]) == 299
    assert "during-the-copy" not in {r[1] for r in copied["campaign_events"][1]}
    assert "plan-late" not in {r[0] for r in copied["campaign_plans"][1]}
    assert len(dump(source)["campaign_plans"][1]) == 3  # the source has them


def test_a_missing_source_or_a_target_in_memory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="no campaign store at .*does not exist"):
        copy_store(str(tmp_path / "nope.db"), str(tmp_path / "new.db"))
    assert not list(tmp_path.iterdir())
    open_store(str(tmp_path / "s.db")).close()
    with pytest.raises(InvalidParameterError, match="in-memory"):
        copy_store(str(tmp_path / "s.db"), "sqlite://")


def test_every_table_is_copied_and_only_the_events_have_a_sequence() -> None:
    """A table a later migration adds is copied as it is; one with a sequence of its own
    would need it set after the copy, as the events' is: this says so when one appears."""
    from recommender.campaigns.copy_store import copied_tables
    from recommender.campaigns.store import metadata

    tables = copied_tables()
    assert {t.name for t in tables} == set(metadata.tables) - {"schema_version"}
    assert [t.name for t in tables for c in t.primary_key.columns
            if c.autoincrement is True] == ["campaign_events"]


def test_a_target_someone_writes_to_is_waited_for_a_bounded_time(
        make_store: MakeStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A target a service or an import already writes to (it holds the writers' lock) is not
    waited for without end: the copy gives up after ``LOCK_WAIT``, saying why, and writes
    nothing."""
    import psycopg

    from recommender.campaigns import events as events_mod
    from recommender.campaigns.events import EVENTS_LOCK

    # the wait (events' LOCK_WAIT) and the copy's message of it (its own name for the same
    # value): the wait was left at 30 s while the message said 0.2
    monkeypatch.setattr(events_mod, "LOCK_WAIT", 0.2)
    monkeypatch.setattr(copy_mod, "LOCK_WAIT", 0.2)
    source = str(tmp_path / "store.db")
    fill(source, events=10)
    target = make_store("postgresql", tmp_path)
    open_store(target).close()
    before = dump(target)
    holder = psycopg.connect(target, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", [EVENTS_LOCK])
        with pytest.raises(InvalidParameterError, match=r"gave up waiting for another "
                                                        r"process.*0.2 s.*nothing was written"):
            copy_store(source, target)
    finally:
        holder.close()
    assert dump(target) == before
    assert copy_store(source, target).rows["campaign_events"] == 9  # once it is free


def test_a_service_on_the_target_reads_the_copy_as_the_store_its_model_knows(
        tmp_path: Path) -> None:
    """A service started on the new, empty database before the copy (replicas set up first)
    had read its id once: after the copy it took every copied event as new and folded the
    ones its model was trained with in a second time (``since_seq`` 0, all applied) until it
    was restarted. Its poller now sees the id change and reads the events again for the
    model as trained: only the events after its training apply."""
    import time

    from fastapi.testclient import TestClient

    from recommender.cli import main
    from recommender.io import demo
    from service.app import create_app
    from service.settings import Settings

    folder = demo.generate(tmp_path / "data", seed=5, n_users=150, n_films=40,
                           n_interactions=1200)
    films = [line.split(",")[0] for line in (folder / "films.csv").read_text().splitlines()[1:5]]
    source, target = tmp_path / "old.db", tmp_path / "new.db"
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"fresh-user,{f},1700000000\n" for f in films[:3]))
    assert main(["events", "import", "--store", str(source), str(tmp_path / "ev.csv")]) == 0
    assert main(["train", "--data", str(folder), "--out", str(tmp_path / "m"), "--events",
                 str(source), "--no-tune", "--factors", "8", "--iterations", "3"]) == 0
    (tmp_path / "later.csv").write_text(f"user_id,film_id,timestamp\nlate-user,{films[3]},"
                                        "1700000100\n")
    assert main(["events", "import", "--store", str(source), str(tmp_path / "later.csv")]) == 0
    settings = Settings(model_path=str(tmp_path / "m"), store=str(target), events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/events/status").json()["sequence"] == 0
        copy_store(str(source), str(target))
        deadline = time.monotonic() + 30  # a liveness bound, not a timing assertion
        while client.get("/events/status").json()["applied"] < 4 and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        status = client.get("/events/status").json()
    assert status["sequence"] == 4 and status["applied"] == 4
    assert status["overlay"]["since_seq"] == 3 and status["overlay"]["events_applied"] == 1
    assert status["overlay"]["new_users"] == 1  # late-user; fresh-user is the model's own


@pytest.mark.parametrize("name", ["new?.db", "a?b=c.db", "n%41me.db", "100%.db", "x#1 y.db"])
def test_a_target_file_is_the_one_named_whatever_its_characters(tmp_path: Path,
                                                                 name: str) -> None:
    """A file path is not read as a URL: a "?" ended the path (``new?.db`` copied into a
    file ``new``) and a "%41" was decoded (``n%41me.db`` into ``nAme.db``); the store is the
    file named, and a copy into it holds the source."""
    source = str(tmp_path / "store.db")
    fill(source, events=10)
    (tmp_path / "b").mkdir()
    result = copy_store(source, str(tmp_path / "b" / name))
    assert [p.name for p in (tmp_path / "b").iterdir() if not p.name.endswith(("-wal", "-shm"))
            ] == [name]
    assert dump(str(tmp_path / "b" / name)) == dump(source)
    st = open_store(str(tmp_path / "b" / name), read_only=True)
    try:
        assert st.store_id() == result.store_id
    finally:
        st.close()


def test_a_target_named_with_psycopg2_is_copied_into(make_store: MakeStore,
                                                     tmp_path: Path) -> None:
    """``postgresql+psycopg2://`` (a driver the store takes, where it is installed): the rows
    are written by INSERT, psycopg2 having no ``cursor.copy``; the copy failed on the first
    table with an AttributeError (a traceback from the CLI)."""
    pytest.importorskip("psycopg2")
    source = str(tmp_path / "store.db")
    fill(source, events=30)
    target = make_store("postgresql", tmp_path)
    result = copy_store(source, target.replace("postgresql://", "postgresql+psycopg2://"))
    assert result.rows["campaign_events"] == 29 and result.next_seq == 31
    assert dump(target) == dump(source) and used_up(target) == 30


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_source_refused_leaves_a_new_target_without_tables(
        kind: str, make_store: MakeStore, tmp_path: Path) -> None:
    """A source marked as moved, or at a newer schema, is refused before the target is opened:
    opening a brand-new PostgreSQL database created the store's tables in it, which the
    refusal left there (a new SQLite file was removed)."""
    from recommender.campaigns.moved import mark_moved

    source = str(tmp_path / "store.db")
    fill(source, events=20)
    (tmp_path / "b").mkdir()
    target = make_store(kind, tmp_path / "b")

    def no_tables() -> None:
        if kind == "sqlite":
            assert not list((tmp_path / "b").iterdir())
        else:
            engine = sa.create_engine(target.replace("postgresql://", "postgresql+psycopg://"))
            with engine.connect() as conn:
                assert sa.inspect(conn).get_table_names() == []
            engine.dispose()

    conn = sqlite3.connect(source)
    with conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'later', 'now')")
    with pytest.raises(InvalidParameterError, match="the source .* is at store schema 99"):
        copy_store(source, target)
    no_tables()
    with conn:
        conn.execute("DELETE FROM schema_version WHERE version = 99")
    conn.close()
    mark_moved(source, "sqlite:///elsewhere.db", last_seq=19, plans_copied=2)
    with pytest.raises(InvalidParameterError, match="was moved to sqlite:///elsewhere.db"):
        copy_store(source, target)
    no_tables()
