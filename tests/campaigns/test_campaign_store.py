"""The campaign store on SQLite and PostgreSQL: migrations, round trips, streaming, errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from recommender.campaigns import store as store_mod
from recommender.campaigns.export import csv_chunks, write_plan
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import CampaignStore, UnknownPlanError, open_store, store_url
from recommender.errors import InvalidParameterError, StoreUnavailableError


def fake_rows(plan_id: str, n: int, seed: int = 0) -> pa.Table:
    """Rows with awkward ids (leading zeros, unicode, commas, quotes) and exact floats."""
    rng = np.random.default_rng(seed)
    users = [f"0{i}é,\"x\"" for i in range(n)]
    return pa.Table.from_arrays([
        pa.array([plan_id] * n), pa.array([f"00{i % 3}" for i in range(n)]),
        pa.array(users), pa.array((np.arange(n) % 3 + 1).astype(np.int16)),
        pa.array(["target" if i % 5 else "control" for i in range(n)]),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(rng.random(n)),
        pa.array(rng.random(n) * 3.7)], schema=PLAN_SCHEMA)


def test_round_trip(store_target: str) -> None:
    st = open_store(store_target)
    try:
        assert st.version() == store_mod.MIGRATIONS[-1][0]
        rows = fake_rows("plan-a", 12_345)
        summary = {"created": "2026-01-01T00:00:00+00:00", "model_version": "m1",
                   "films": [{"film_id": "000"}], "totals": {"contacts": 9876}, "é": "ü"}
        st.save_plan("plan-a", summary, rows)
        st.save_plan("plan-b", {**summary, "created": "2026-02-01T00:00:00+00:00"},
                     fake_rows("plan-b", 0))
        # a time stored as +00:00 (as older code stored every plan's) is shown as ...Z, and
        # stays stored as it was
        shown = {**summary, "created": "2026-01-01T00:00:00Z"}
        assert st.summary("plan-a") == shown
        with st.engine.connect() as c:
            created, text = c.execute(sa.text("SELECT created, summary FROM campaign_plans "
                                              "WHERE plan_id = 'plan-a'")).one()
        assert created == summary["created"] and json.loads(text) == summary
        back = pa.concat_tables(list(st.iter_rows("plan-a", chunk=1000)))
        assert back.equals(rows)  # every value, byte for byte and bit for bit
        # a reader that stops between chunks holds no connection (a stalled plan.csv
        # download held one, and an open transaction, for as long as it stalled)
        stalled = st.iter_rows("plan-a", chunk=1000)
        next(stalled)
        assert st.engine.pool.checkedout() == 0
        assert pa.concat_tables([*stalled]).num_rows == 12_345 - 1000
        assert list(st.iter_rows("plan-b")) == []
        total, plans = st.list_plans()
        assert total == 2 and [p["plan_id"] for p in plans] == ["plan-b", "plan-a"]
        assert plans[1]["rows"] == 12_345 and plans[1]["totals"] == {"contacts": 9876}
        assert [p["created"] for p in plans] == ["2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"]
        assert st.list_plans(limit=1, offset=1)[1][0]["plan_id"] == "plan-a"
        with pytest.raises(UnknownPlanError, match="nope"):
            st.summary("nope")
        with pytest.raises(UnknownPlanError):
            st.iter_rows("nope")
        with pytest.raises(sa.exc.IntegrityError):  # a plan id is stored once
            st.save_plan("plan-a", summary, rows.slice(0, 3))
        assert st.summary("plan-a") == shown  # the failed save left nothing behind
        assert pa.concat_tables(list(st.iter_rows("plan-a"))).num_rows == 12_345
    finally:
        st.close()
    again = open_store(store_target)  # reopening migrates nothing and keeps the data
    try:
        assert again.version() == store_mod.MIGRATIONS[-1][0]
        assert again.list_plans()[0] == 2
        with again.engine.connect() as conn:
            steps = conn.execute(sa.select(store_mod.schema_version.c.version)).scalars().all()
        assert steps == [v for v, _, _ in store_mod.MIGRATIONS]
    finally:
        again.close()


def test_csv_from_the_store_equals_the_file(store_target: str, tmp_path: Path) -> None:
    rows = fake_rows("plan-c", 2_500, seed=3)
    st = open_store(store_target)
    try:
        st.save_plan("plan-c", {"created": "x", "model_version": "m"}, rows)
        streamed = b"".join(csv_chunks(st.iter_rows("plan-c", chunk=999)))
    finally:
        st.close()
    write_plan(rows, tmp_path / "plan.csv")
    assert streamed == (tmp_path / "plan.csv").read_bytes()
    assert streamed.splitlines()[0] == b"plan_id,film_id,user_id,wave,group,rank,p,expected_value"


def test_a_later_migration_is_applied_once_in_order(store_target: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    st = open_store(store_target)
    st.save_plan("plan-d", {"created": "x", "model_version": "m"}, fake_rows("plan-d", 10))
    st.close()
    events = sa.Table("test_events", sa.MetaData(),
                      sa.Column("event_id", sa.String(64), primary_key=True))
    calls: list[int] = []

    def step(conn: sa.Connection) -> None:
        calls.append(1)
        events.create(conn)

    monkeypatch.setattr(store_mod, "MIGRATIONS", [*store_mod.MIGRATIONS,
                                                  (99, "test events", step)])
    st = CampaignStore(store_target)
    st2 = CampaignStore(store_target)  # a second opener finds the schema current
    try:
        assert calls == [1] and st.version() == 99 == st2.version()
        assert sa.inspect(st.engine).has_table("test_events")
        assert st.summary("plan-d")["model_version"] == "m"
    finally:
        st.close()
        st2.close()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "store.db"
    open_store(str(path)).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # every commit on disk before the 200, whatever the build's default (NORMAL may lose the
    # last commits at a power cut): the README and events.py said FULL and nothing set it
    store = open_store(str(path))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()


def test_urls() -> None:
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("sqlite:///x.db") == "sqlite:///x.db"
    assert store_url("rel/x.db").startswith("sqlite:////") and store_url("rel/x.db").endswith(
        "rel/x.db")
    with pytest.raises(InvalidParameterError, match="supports sqlite"):
        open_store("mysql://u@h/db")
    with pytest.raises(InvalidParameterError, match="URL or a file path"):
        open_store("  ")
    memory = open_store("sqlite://")  # in memory: one database shared by the pool
    try:
        memory.save_plan("p", {"created": "x", "model_version": "m"}, fake_rows("p", 3))
        assert memory.list_plans()[0] == 1
    finally:
        memory.close()


def test_a_tls_key_passphrase_in_the_url_is_never_shown() -> None:
    """libpq takes the passphrase of the client's TLS key as ``?sslpassword=``: the store's
    shown URL (every message, the moved mark, and the ``data.source`` that ``train --events``
    writes into a model, which ``/health`` shows to every read key) carried it as given."""
    from recommender.campaigns.connection import shown_url

    url = sa.engine.make_url(store_url(
        "postgresql://u:pw-in-userinfo@h/db?sslpassword=tls-secret&password=pw-in-query"
        "&sslmode=require"))
    shown = shown_url(url)
    for secret in ("tls-secret", "pw-in-userinfo", "pw-in-query"):
        assert secret not in shown, shown
    assert "sslpassword=***" in shown and "sslmode=require" in shown
    # a store that cannot be reached says so without it (port 1: refused at once)
    with pytest.raises(StoreUnavailableError) as caught:
        open_store("postgresql://u@127.0.0.1:1/db?sslpassword=tls-secret&connect_timeout=2")
    assert "tls-secret" not in str(caught.value) and "sslpassword=***" in str(caught.value)


@pytest.mark.parametrize("target", [" postgresql://u:pw-s3cret@h/db",  # a blank pasted in
                                    "postgres ql://u:pw-s3cret@h/db?sslpassword=tls-s3cret",
                                    "postgresql://u:pw-s3cret@h:54 32/db"])  # port not a number
def test_a_url_that_cannot_be_read_is_refused_without_its_password(
        target: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``not a database URL`` repeated the URL as given, password and all (to the terminal,
    and to the service's log from its events poller); a port that is not a number was a
    ValueError traceback from every command that takes --store."""
    from recommender.cli import main

    with pytest.raises(InvalidParameterError, match="not a database URL") as caught:
        open_store(target)
    assert "s3cret" not in str(caught.value) and "***" in str(caught.value)
    assert main(["campaign", "list", "--store", target]) == 2
    out, err = capsys.readouterr()
    assert "not a database URL" in err and "s3cret" not in out + err
    from service.server import check_at_start  # `serve` refuses it in one line, no traceback
    from service.settings import Settings

    with pytest.raises(InvalidParameterError, match="RECOMMENDER_STORE") as refused:
        check_at_start(Settings(store=target))
    assert "s3cret" not in str(refused.value)


def _open_version(path: str, out: Any) -> None:
    try:
        out.put(open_store(path).version())
    except Exception as e:  # reported to the parent
        out.put(repr(e))


def test_workers_opening_a_new_sqlite_store_together_migrate_once(tmp_path: Path) -> None:
    """Several service workers start on a store file that does not exist yet: every one opens
    it (none fails on a table another created in between), and the schema is applied once."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    for trial in range(3):
        path = str(tmp_path / f"race-{trial}.db")
        out = ctx.Queue()
        procs = [ctx.Process(target=_open_version, args=(path, out)) for _ in range(5)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        got = [out.get(timeout=10) for _ in procs]
        assert all(isinstance(v, int) and v == got[0] for v in got), got
        assert open_store(path).version() == got[0]


def test_opening_a_current_store_takes_no_write_lock(tmp_path: Path) -> None:
    """A service worker (uvicorn restarts one that crashed) opens the store while another
    process holds its write lock: it waited the busy timeout for a lock it did not need,
    failed to start, and uvicorn stopped every worker."""
    import time

    path = tmp_path / "store.db"
    open_store(str(path)).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        store = open_store(str(path))
        assert time.monotonic() - t0 < 10  # the busy timeout is 30 s
        assert store.version() == store_mod.MIGRATIONS[-1][0]
        store.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_plan_id_with_a_nul_byte_names_no_plan(store_target: str) -> None:
    """No plan id holds a NUL byte, and PostgreSQL refuses one in text: ``GET
    /campaigns/plan%00x`` (its report, its rows, its next wave) was a 500 with the driver's
    traceback there, where SQLite answered 404."""
    from recommender.campaigns.report import campaign_report

    st = open_store(store_target)
    try:
        st.save_plan("plan-a", {"created": "2026-01-01T00:00:00+00:00"}, fake_rows("plan-a", 3))
        for plan_id in ("plan-a\x00", "\x00"):
            with pytest.raises(UnknownPlanError):
                st.summary(plan_id)
            with pytest.raises(UnknownPlanError):
                st.iter_rows(plan_id)
            with pytest.raises(UnknownPlanError):
                campaign_report(st, plan_id)
        assert st.summary("plan-a")["created"].startswith("2026")
    finally:
        st.close()


@pytest.mark.parametrize("encoding", ["LATIN1", "SQL_ASCII"])
def test_a_postgresql_database_not_in_utf8_is_refused_saying_why(postgres_url: str,
                                                                 encoding: str) -> None:
    """Ids are any Unicode text. A LATIN1 database answered 500 to every event, plan or opt-out
    with a '中' id (psycopg's UntranslatableCharacter); an SQL_ASCII one (initdb's default under
    the C locale) handed SQLAlchemy bytes, and opening it was a TypeError traceback (the service
    did not start). Both are refused at open, naming the encoding and the remedy."""
    url = new_store_in(postgres_url, f"ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' "
                                     "TEMPLATE template0")
    for read_only in (False, True):
        with pytest.raises(InvalidParameterError,
                           match=f"in {encoding}, not UTF8.*ENCODING 'UTF8'"):
            open_store(url, read_only=read_only)


def test_a_driver_that_is_not_installed_is_a_sentence() -> None:
    """``postgresql+psycopg2://`` (a usual SQLAlchemy spelling; the engine installs psycopg 3)
    was an ImportError traceback from the CLI, and the service did not start."""
    import importlib.util

    if importlib.util.find_spec("psycopg2") is not None:
        pytest.skip("psycopg2 is installed here")
    with pytest.raises(InvalidParameterError, match="driver 'psycopg2', which is not "
                                                    "installed.*postgresql://") as caught:
        open_store("postgresql+psycopg2://u:secret@localhost/db")
    assert "secret" not in str(caught.value)


def test_postgresql_look_ups_are_planned_on_the_table_as_it_is(postgres_url: str) -> None:
    """psycopg prepared a query from its 6th run, and PostgreSQL kept a generic plan made on
    the statistics of that moment: the event_id look-up of ``record_events``, first run on an
    empty store, stayed a sequential scan as the store grew, and ``events import`` of 200,000
    events into a new store took 70-110 s (each batch scanned the table per 500 ids, holding
    the writers' lock) where planning each run took 20 s. No statement is prepared on the
    server, however often it runs."""
    from recommender.campaigns.events import EventBatch, record_events

    url = new_store_in(postgres_url)
    st = open_store(url, pool=store_mod.StorePool(size=1, overflow=0))
    try:
        for k in range(8):  # one pooled connection, the same look-up again and again
            record_events(st, EventBatch([f"e{k}-{i}" for i in range(20)], ["u"] * 20,
                                         ["f"] * 20, [1] * 20, [1.0] * 20))
        with st.engine.connect() as conn:
            prepared = conn.exec_driver_sql("SELECT name FROM pg_prepared_statements").all()
        assert prepared == []
    finally:
        st.close()


def new_store_in(postgres_url: str, options: str = "") -> str:
    """A new, empty database in the session's PostgreSQL (``options`` of CREATE DATABASE)."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} {options}")
    base, _, query = postgres_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def test_a_postgresql_server_that_stopped_answering_fails_in_bounded_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A database that accepts the connection and then says nothing (a partition, a proxy
    that stopped forwarding) held the opening, and a request on a pooled connection, for as
    long as the kernel retried (minutes): ``connect_timeout`` (10 s, or the URL's own) and
    TCP timeouts are set unless the URL sets them. The opening fails saying its timeout
    expired (no elapsed time is compared: the machine may be loaded; the join only keeps a
    hang from stopping the run)."""
    import socket
    import threading

    from recommender.campaigns.connection import POSTGRES_TIMEOUTS, postgres_connect

    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)  # else libpq's would apply
    monkeypatch.setitem(POSTGRES_TIMEOUTS, "connect_timeout", 1)  # the default's role, faster
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # takes each connection and never answers
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = silent.getsockname()[1]
    try:
        for query in ("", "?connect_timeout=1"):
            outcome: list[BaseException] = []

            def opening(query: str = query, outcome: list[BaseException] = outcome) -> None:
                try:
                    open_store(f"postgresql://u:pw@127.0.0.1:{port}/db{query}")
                except (StoreUnavailableError, InvalidParameterError) as e:
                    outcome.append(e)

            opener = threading.Thread(target=opening, daemon=True)
            opener.start()
            opener.join(timeout=60)
            assert not opener.is_alive(), f"opening {query or 'the default'} never gave up"
            assert outcome and "timeout expired" in str(outcome[0]), outcome
        url = sa.engine.make_url("postgresql+psycopg://u@h/db?connect_timeout=3")
        assert "connect_timeout" not in postgres_connect(url)  # the URL's own is kept
        assert postgres_connect(url)["tcp_user_timeout"] == 30_000
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        silent.close()


def test_libpq_environment_timeout_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """``PGCONNECT_TIMEOUT`` (libpq's own variable) was overridden by the store's 10 s, as any
    setting passed to the connection overrides libpq's environment: an operator's 30 s for a
    slow link became 10 s, and a 2 s one waited 10 s for a database that stopped answering."""
    from recommender.campaigns.connection import postgres_connect

    url = sa.engine.make_url("postgresql+psycopg://u@h/db")
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    assert postgres_connect(url)["connect_timeout"] == 10
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "30")
    given = postgres_connect(url)
    assert "connect_timeout" not in given and given["tcp_user_timeout"] == 30_000


def test_connection_keywords_follow_the_driver() -> None:
    """A driver that does not take libpq's keywords (``postgresql+pg8000://``) is refused by
    name; it was handed ``connect_timeout``, ``keepalives`` and the rest, and each connection
    failed with the driver's ``TypeError``. psycopg2 takes them (checked by hand with
    psycopg2-binary 2.9 against the test cluster: it connected before and after) and is not
    handed psycopg 3's own ``prepare_threshold`` (psycopg2 drops a keyword set to None)."""
    from recommender.campaigns.connection import postgres_connect

    three = postgres_connect(sa.engine.make_url("postgresql+psycopg://u@h/db"), environ={})
    two = postgres_connect(sa.engine.make_url("postgresql+psycopg2://u@h/db"), environ={})
    assert three["prepare_threshold"] is None
    assert "prepare_threshold" not in two
    assert two == {k: v for k, v in three.items() if k != "prepare_threshold"}
    with pytest.raises(InvalidParameterError, match="driver 'pg8000'.*name no driver"):
        postgres_connect(sa.engine.make_url("postgresql+pg8000://u:secret@h/db"), environ={})


def open_while_migration_locked(url: str) -> object:
    """What ``open_store(url)`` raises while another connection holds the migration lock
    (an ``AssertionError`` when it still waits after 20 s); the store opens once it is free."""
    import threading

    import psycopg

    holder = psycopg.connect(url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [store_mod.ADVISORY_LOCK])
    outcome: list[object] = []

    def opener() -> None:
        try:
            outcome.append(open_store(url))
        except Exception as e:  # noqa: BLE001 - what it raised is the assertion
            outcome.append(e)

    thread = threading.Thread(target=opener, daemon=True)
    thread.start()
    thread.join(timeout=20)
    try:
        assert not thread.is_alive(), "the opener still waits for the migration lock"
    finally:
        holder.close()  # releases the lock (an opener still waiting then finishes)
        thread.join(timeout=20)
    for o in outcome:
        if isinstance(o, CampaignStore):
            o.close()
    st = open_store(url)  # the lock free: it opens and migrates
    try:
        assert st.version() == store_mod.MIGRATIONS[-1][0]
    finally:
        st.close()
    return outcome[0]


def test_a_migration_lock_held_elsewhere_is_waited_for_a_bounded_time(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica stuck mid-migration (stopped, its connection open) holds the migration's
    advisory lock: every other replica's start waited for it for ever. The wait is bounded
    (``connection.MIGRATION_LOCK_WAIT``) and ends in a sentence saying what holds it."""
    from recommender.campaigns import connection

    monkeypatch.setattr(connection, "MIGRATION_LOCK_WAIT", 0.2, raising=False)
    raised = open_while_migration_locked(new_store_in(postgres_url))
    assert isinstance(raised, StoreUnavailableError), raised
    assert "migration lock for more than 0.2 s" in str(raised)
    assert "pg_terminate_backend" in str(raised) and str(store_mod.ADVISORY_LOCK) in str(raised)


def test_a_lock_timeout_the_session_has_bounds_the_migration_lock(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """As for the writers' lock: a ``lock_timeout`` the operator set (the URL's options,
    PGOPTIONS, ALTER ROLE) is kept, not replaced by ``MIGRATION_LOCK_WAIT``."""
    from recommender.campaigns import connection

    monkeypatch.setattr(connection, "MIGRATION_LOCK_WAIT", 600.0, raising=False)
    url = new_store_in(postgres_url)
    url += ("&" if "?" in url else "?") + "options=-c%20lock_timeout%3D200"
    raised = open_while_migration_locked(url)
    assert isinstance(raised, StoreUnavailableError), raised
    assert "migration lock for more than its lock_timeout, 200ms" in str(raised)


def test_a_database_that_cannot_be_reached_is_said_on_one_line(tmp_path: Path) -> None:
    """libpq's message for a socket with no server runs over two lines ('... failed: No such
    file or directory' then a tab and 'Is the server running locally ...?'): the CLI's
    one-line error and the log's line were broken in two."""
    url = f"postgresql://u@/db?host={tmp_path}/no-server-here"
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(url)
    said = str(caught.value)
    assert "\n" not in said and "\t" not in said
    assert "no-server-here" in said and "Is the server running" in said
