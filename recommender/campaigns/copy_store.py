"""Copy a campaign store into a new, empty database: SQLite to PostgreSQL, or any way round.

``copy_store(source, target)`` copies every table of the store's schema (``store.metadata``: plans,
their rows, opt-outs, next-wave links, idempotency keys, events, withdrawals, wave send times, the
store's own id; all but ``schema_version``, which records the target's own migrations) from the
database at ``source`` to the one at ``target`` (URLs or SQLite file paths), value for value: ids
byte for byte, floats bit for bit, each event under its sequence number. A table copied by hand
left PostgreSQL's sequence of ``campaign_events.seq`` at 1, and the next ``POST /events`` or
``events import`` failed on a sequence number already taken (IntegrityError); so the target's
sequence (PostgreSQL's, or SQLite's ``sqlite_sequence``) is set to the source's: past the last
event copied, and past any number the source had used up (a deleted event, a batch rolled back on
PostgreSQL), so that no number is ever given twice.

The store's own id (migration 4) is kept: a model trained with ``--events`` records it with the
last sequence it folded in (``events.trained_through``), so it takes only the copy's later events
as new. The copy is a move: the CLI then marks the source as moved (``moved.py``: both answer to
one id), and a source so marked is refused, before the target is opened (copy its copy). A service
on the target sees the id change at its next poll and reads the events again for its model; a model
trained before stores had an id knows its store by the URL, which the copy changes: its events
count as new once more.

How it is made: the source is opened read-only (no migration, no write lock) and read in one
read-only transaction (a snapshot: a source still in use is copied as it was at one moment, each
table in primary-key order as a stream of ``chunk`` rows, never a whole table in memory). The
target must be empty (no row in any table but its own id): one holding anything is refused, saying
what it holds, before it is opened as a store (which creates or migrates its schema). Everything is
written in one transaction on the target (PostgreSQL: by COPY, a million events in about 12 s on
two cores), with its writers shut out (SQLite's write lock; on PostgreSQL the writers' advisory
lock and an EXCLUSIVE lock on each table, readers go on), and committed only once each table's
count, the last sequence number and the store id read back from the target equal the source's; any
failure or interrupt before that rolls it all back (a SQLite file the copy created is removed). The
database needs room for the whole copy in one transaction (PostgreSQL's WAL, SQLite's ``-wal``
file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.connection import (
    create_engine,
    in_memory_sqlite,
    new_sqlite_file,
    postgres_connect,
    shown_url,
    store_url,
)
from recommender.campaigns.copy_sequence import (
    _last_seq,
    _next_seq,
    _restore_sequence,
    _set_sequence,
    _used_up,
)
from recommender.campaigns.events import LOCK_WAIT, events, take_writers_lock
from recommender.campaigns.moved import copy_refused, moved_to
from recommender.campaigns.store import (
    CampaignStore,
    idempotency,
    metadata,
    open_store,
    plan_exclusions,
    plan_rows,
    plans,
    schema_version,
    store_info,
    withdrawals,
)
from recommender.campaigns.store_schema import StoreSchemaNewerError
from recommender.errors import InvalidParameterError, StoreUnavailableError, disk_full, sqlstate

COPY_CHUNK = 10_000  # rows read and written at a time

#: how each table is named to a person (a table a later migration adds: by its own name)
NAMES = {plans.name: "plans", plan_rows.name: "plan rows", plan_exclusions.name: "opt-outs",
         "campaign_plan_links": "next-wave links", idempotency.name: "idempotency keys",
         events.name: "events", store_info.name: "store id", withdrawals.name: "withdrawals"}

#: ``progress(table, rows copied, rows in the table)``: called after each chunk written
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CopyResult:
    """What a copy wrote: the two stores (passwords hidden), the store id both now carry,
    the rows of each table (by table name, in the order copied), the last event's sequence
    number (0: none) and the one the target's next event gets."""

    source: str
    target: str
    store_id: str
    rows: dict[str, int]
    last_seq: int
    next_seq: int


def copied_tables() -> list[sa.Table]:
    """Every table of the store's schema but ``schema_version``, each after those it refers to
    (one a later migration adds is copied as it is; one with a sequence would need it set)."""
    from recommender.campaigns import erasure, wave_sends  # noqa: F401 (tables on ``metadata``)
    return [t for t in metadata.sorted_tables if t.name != schema_version.name]


def copy_store(source: str, target: str, chunk: int = COPY_CHUNK,
               progress: Progress | None = None,
               before_commit: Callable[[], None] | None = None) -> CopyResult:
    """Copy the store at ``source`` into the new, empty store at ``target`` (the module
    docstring); ``before_commit`` is called once everything is written and checked, just
    before the commit (the CLI holds Ctrl-C from there). Refusals and failures are
    ``InvalidParameterError`` (``StoreUnavailableError`` when a database fails or is busy),
    each saying that nothing was written to the target."""
    if chunk < 1:
        raise InvalidParameterError(f"chunk must be at least 1, got {chunk}")
    if (missing := new_sqlite_file(source)) is not None:  # a read-only open would create it
        raise InvalidParameterError(f"no campaign store at {missing}: the file does not exist")
    if in_memory_sqlite(target):  # and a URI's (mode=memory): the source was marked moved
        raise InvalidParameterError("the target is an in-memory SQLite database, which is "
                                    "gone when the copy ends: give a file or a PostgreSQL URL")
    src = _opened("source", source, read_only=True)  # a newer schema: before the target
    created = new_sqlite_file(target)
    dst: CampaignStore | None = None
    state = _State()
    try:
        if created is None:  # opening migrates it: a refusal must leave it as it was
            _look_first(src, target)
        with src.engine.connect() as read:  # before the target is opened, which creates the
            _refuse_source(read, src)  # tables in a new database: a refusal left them
        dst = _opened("target", target)
        return _copy(src, dst, chunk, progress, before_commit, state)
    except BaseException:
        if dst is not None and state.committed is None:  # failed as it committed: look
            state.committed = _holds(dst, state.source_id)
        if dst is not None and state.restore is not None and state.committed is False:
            _restore_sequence(dst, state.restore)
        raise
    finally:
        if dst is not None:
            dst.close()
        src.close()
        if created is not None and state.committed is False:  # as it was: no file
            for path in (created, Path(f"{created}-wal"), Path(f"{created}-shm")):
                path.unlink(missing_ok=True)


@dataclass
class _State:
    """How far a copy went: ``where`` it is (said when it fails), whether the target's
    transaction was ``committed`` (None: the commit was under way, unknown), the PostgreSQL
    sequence state to ``restore`` (``setval`` is not undone by a rollback)."""

    where: str = "reading the source"
    committed: bool | None = False
    restore: tuple[int, bool] | None = None
    source_id: str = ""


def _holds(dst: CampaignStore, source_id: str) -> bool | None:
    """Whether the target holds the copy (it carries the source's id), read afresh; None: unread."""
    try:
        with dst.engine.connect() as conn:
            return _store_id(conn) == source_id
    except sa.exc.DBAPIError:
        return None


def _opened(role: str, target: str, read_only: bool = False) -> CampaignStore:
    """``open_store``; a store at a newer schema (``store_schema``), whose tables this engine
    may not know, is refused naming its ``role`` and that the target was left as it was."""
    try:
        return open_store(target, read_only=read_only)
    except StoreSchemaNewerError as e:
        raise InvalidParameterError(
            f"the {role} {e.shown} is at store schema {e.version}; this engine knows up to "
            f"{e.latest}: copy it with a build whose `recommender --version` says store "
            f"schema {e.version} or later; nothing was written to the target") from None


@contextmanager
def _snapshot(store: CampaignStore) -> Iterator[Connection]:
    """One read-only transaction on ``store``: every read sees the same moment."""
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
            return
        conn.exec_driver_sql("PRAGMA query_only = ON")  # this connection writes nothing
        conn.exec_driver_sql("BEGIN")  # WAL: the snapshot of the first read holds to the end
        try:
            yield conn
        finally:
            conn.rollback()


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _store_id(conn: Connection) -> str | None:
    found = conn.execute(sa.select(store_info.c.value).where(
        store_info.c.key == "store_id")).scalar_one_or_none()
    return None if found is None else str(found)


def _shut_out_writers(conn: Connection, dst: CampaignStore, tables: list[sa.Table]) -> None:
    """Hold the target's writers off until the commit (each waits as it does for another
    writer); readers go on, and see the copy whole once it is committed."""
    if dst.dialect != "postgresql":
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # SQLite's write lock (busy timeout 30 s)
        return
    take_writers_lock(conn)  # as writers wait for it: LOCK_WAIT, or the session's own
    quote = conn.dialect.identifier_preparer.format_table
    conn.exec_driver_sql(f"LOCK TABLE {', '.join(quote(t) for t in tables)} IN EXCLUSIVE MODE")


def _refuse_source(read: Connection, src: CampaignStore) -> str:
    """The source's store id, or the refusal of a source without one or marked as moved (two
    live copies would share one id); checked before the target is opened, and in the copy's
    snapshot."""
    source_id = _store_id(read)
    if source_id is None:
        raise InvalidParameterError(f"the source {src.url} has no store id (migration 4): it "
                                    "is no campaign store")
    if (mark := moved_to(read)) is not None:
        raise InvalidParameterError(copy_refused(src.url, mark))
    return source_id


def _look_first(src: CampaignStore, target: str) -> None:
    """Refuse a target holding rows before opening it as a store (which migrated one at an
    older schema, then refused it); one unread here is ``open_store``'s to explain."""
    try:
        url = sa.engine.make_url(store_url(target))
        pg = url.get_backend_name() == "postgresql"
        engine = create_engine(url, connect_args=postgres_connect(url) if pg else {})
    except (sa.exc.ArgumentError, ValueError, InvalidParameterError):  # a driver not installed...
        return
    try:
        with src.engine.connect() as read, engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            _refuse_unless_empty(conn, shown_url(url), [
                t for t in copied_tables() if t.name in present], _store_id(read) or "")
    except sa.exc.DBAPIError:
        return
    finally:
        engine.dispose()


def _refuse_unless_empty(conn: Connection, shown: str, tables: list[sa.Table],
                         source_id: str) -> None:
    if store_info in tables and _store_id(conn) == source_id:
        raise InvalidParameterError(
            f"the target {shown} already is the store {source_id} (the source itself, or a "
            "copy of it): nothing was written to it")
    held = [(t, _count(conn, t)) for t in tables if t is not store_info and
            conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first()]
    if held:
        raise InvalidParameterError(
            f"the target {shown} is not empty ("
            + ", ".join(f"{NAMES.get(t.name, t.name)}: {n:,}" for t, n in held)
            + "): a store is copied into a new one only (a SQLite file that does not exist "
              "yet, or an empty PostgreSQL database), so that no plan id, event id or "
              "sequence number can meet another; nothing was written to it")


def _copy_table(read: Connection, write: Connection, table: sa.Table, total: int,
                chunk: int, progress: Progress | None, state: _State) -> None:
    """Stream ``table`` from ``read`` into ``write``, ``chunk`` rows at a time."""
    name = NAMES.get(table.name, table.name)
    query = sa.select(table).order_by(*table.primary_key.columns).execution_options(
        stream_results=True, yield_per=chunk)
    result = read.execute(query)
    done = 0
    state.where = f"copying the {name} (none of its {total:,} rows written)"
    for part in result.partitions(chunk):
        _insert(write, table, part)
        done += len(part)
        state.where = f"copying the {name} (after {done:,} of its {total:,} rows)"
        if progress is not None:
            progress(table.name, done, total)
    if total == 0 and progress is not None:
        progress(table.name, 0, 0)


def _insert(write: Connection, table: sa.Table, part: Sequence[sa.Row[Any]]) -> None:
    """Write rows of ``table`` (all its columns, in order): by COPY through psycopg 3, else
    (SQLite, psycopg2, which has no ``cursor.copy``) by one prepared INSERT run for each row."""
    quote = write.dialect.identifier_preparer.quote
    cols = ", ".join(quote(c.name) for c in table.columns)
    if write.dialect.driver != "psycopg":
        marks = ", ".join(["?" if write.dialect.paramstyle == "qmark" else "%s"] * len(part[0]))
        write.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({cols}) VALUES ({marks})",
                              [tuple(r) for r in part])
        return
    import psycopg

    statement = f"COPY {quote(table.name)} ({cols}) FROM STDIN"
    driver: Any = write.connection.driver_connection  # psycopg's, in this transaction
    cursor = driver.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in part:
                copy.write_row(tuple(row))
    except psycopg.Error as e:  # as SQLAlchemy raises it (DataError for a NUL byte...)
        raise sa.exc.DBAPIError.instance(statement, None, e, psycopg.Error) from None
    finally:
        cursor.close()


def _verify(write: Connection, tables: list[sa.Table], totals: dict[str, int], last: int,
            source_id: str) -> None:
    """Each count, the last sequence number and the store id as read back from the target
    (inside the copy's transaction): any difference rolls the copy back."""
    wrong = [f"{NAMES.get(t.name, t.name)}: {n:,} in the target, {totals[t.name]:,} in the "
             "source" for t in tables if (n := _count(write, t)) != totals[t.name]]
    if _last_seq(write) != last:
        wrong.append(f"last event sequence {_last_seq(write):,} in the target, {last:,} in "
                     "the source")
    if _store_id(write) != source_id:
        wrong.append("the store id differs")
    if wrong:  # the source changed under a snapshot, or a driver lost rows: never committed
        raise InvalidParameterError("the copy did not match its source (" + "; ".join(wrong)
                                    + "): nothing was written to the target")


def _copy(src: CampaignStore, dst: CampaignStore, chunk: int, progress: Progress | None,
          before_commit: Callable[[], None] | None, state: _State) -> CopyResult:
    tables = copied_tables()
    try:
        with _snapshot(src) as read:
            totals = {t.name: _count(read, t) for t in tables}
            last = _last_seq(read)
            used = max(last, _used_up(read, src.dialect))
            source_id = _refuse_source(read, src)
            state.source_id, state.where = source_id, "locking the target"
            with dst.engine.begin() as write:
                _shut_out_writers(write, dst, tables)
                _refuse_unless_empty(write, dst.url, tables, source_id)
                for table in tables:
                    if table is store_info:  # the target's own id gives way to the source's
                        write.execute(store_info.delete())
                    _copy_table(read, write, table, totals[table.name], chunk, progress,
                                state)
                state.where = "checking the copy"
                _verify(write, tables, totals, last, source_id)
                if dst.dialect == "postgresql":  # the planner's statistics, bulk-loaded
                    quote = write.dialect.identifier_preparer.format_table
                    for table in tables:
                        write.exec_driver_sql(f"ANALYZE {quote(table)}")
                if before_commit is not None:
                    before_commit()
                state.where = "setting the target's event sequence"
                state.restore = _set_sequence(write, dst.dialect, used)  # last: not undone
                next_seq = _next_seq(write, dst.dialect)
                state.where, state.committed = "committing", None
            state.committed = True
    except sa.exc.DBAPIError as e:
        if state.committed:  # the source's read transaction failed to end: the copy is made
            return CopyResult(src.url, dst.url, state.source_id, totals, last, next_seq)
        raise _failed(e, state.where, src, dst) from None
    return CopyResult(src.url, dst.url, source_id, totals, last, next_seq)


def _failed(e: sa.exc.DBAPIError, where: str, src: CampaignStore, dst: CampaignStore
            ) -> InvalidParameterError:
    """The one sentence of a database error met while copying."""
    orig = getattr(e, "orig", None) or e
    cause = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]
    if sqlstate(orig) == "55P03":  # lock_not_available: someone writes
        return StoreUnavailableError(
            f"the copy into {dst.url} gave up waiting for another process that holds the "
            f"target ({cause}; {LOCK_WAIT:g} s, or the session's own lock_timeout): the target "
            "must be a new store that nothing uses yet (stop the service or import writing to "
            "it); nothing was written to it")
    if where == "committing" and isinstance(e, sa.exc.OperationalError):
        return StoreUnavailableError(
            f"the copy into {dst.url} failed as it was being committed ({cause}): it is there "
            "whole or not at all; the same copy again says which (it is refused, saying the "
            "target already is the store, when the copy is there)")
    full = "; the disk that holds it is full" if disk_full(e) else ""
    kind = StoreUnavailableError if isinstance(e, sa.exc.OperationalError) else \
        InvalidParameterError
    return kind(f"the copy from {src.url} into {dst.url} failed {where} ({cause}{full}): "
                "nothing was written to the target (the copy is one transaction, rolled back)")
