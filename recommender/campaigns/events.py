"""Events in the campaign store: what users did after a plan went out (tickets, views).

An event is ``(event_id, user_id, film_id, timestamp, weight)``: ``timestamp`` in unix
seconds, ``0 < weight <= MAX_WEIGHT`` (1 = one ticket or view). ``record_events`` writes a
checked batch in one transaction, committed before it returns (SQLite in WAL mode with
``synchronous=FULL``, PostgreSQL's own commit), so an acknowledged event survives a crash of
the process. Each new event gets the next ``seq`` (monotone); ``event_id`` is unique per
writer (``event_writers``: a fingerprint of the caller's key; the CLI's is its own), so a
retried batch stores nothing twice, and its events already stored are left out of the insert
under the writers' lock, so a retry uses up no sequence number (a key's batch stored before
store step 10 and retried after it too: ``event_writers.legacy_duplicates``); an
``event_id`` the same writer reuses with a different payload (user, film, timestamp or
weight) is an ``EventConflictError`` and the whole batch is rolled back (another writer's
event of the same id is another event, neither looked at nor told of). The writers' lock is
SQLite's write lock (``BEGIN IMMEDIATE``) or, on PostgreSQL, a transaction-level advisory
lock, so sequence numbers become visible in their order and a reader that has seen ``seq`` N
has seen every event up to N (the service's overlay relies on it). An event of a user
``forget`` erased is not stored, only counted (``record_events``, ``erasure.erased_among``).

The tables are defined on the store's ``metadata`` and created by the store's migration step
2 (``recommender.campaigns.store.MIGRATIONS``), which imports ``create_tables`` from here when
it runs (so neither module imports the other at import time); step 10 gives the events their
``writer`` (``event_writers.create_tables``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

from recommender.campaigns.connection import bound_lock_wait, shown_url
from recommender.campaigns.event_checks import (  # noqa: F401 (re-exported: imported from here)
    MAX_ID_LENGTH,
    MAX_TIMESTAMP,
    MAX_WEIGHT,
    EventBatch,
    _check_values,
    check_event_times,
    check_events,
    id_too_long,
)
from recommender.campaigns.event_conflict import EventConflictError
from recommender.campaigns.event_writers import (
    CLI_WRITER,
    WRITER_UNIQUE,
    create_legacy,
    legacy_duplicates,
)
from recommender.campaigns.moved import refuse_if_moved
from recommender.campaigns.store import CampaignStore, metadata

EVENTS_LOCK = 0x65766E74  # "evnt": one lock id for every writer of events
# seconds a writer waits for the writers' lock on PostgreSQL (its transaction's lock_timeout,
# unless the session has one of its own), as long as SQLite's busy timeout, then fails (503
# over HTTP, exit 2 in the CLI). It waited for ever: an events import stopped mid-batch
# (Ctrl-Z, a laptop asleep) hung every POST /events of every replica, each holding a pooled
# connection, where SQLite answered 503
LOCK_WAIT = 30.0
READ_CHUNK = 50_000

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: the rowid itself
events = sa.Table(
    "campaign_events", metadata,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(MAX_ID_LENGTH), nullable=False),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("film_id", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("weight", sa.Float(precision=53), nullable=False),
    # last, where PostgreSQL's ALTER TABLE (migration step 10) puts it
    sa.Column("writer", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_campaign_events_film_user", "film_id", "user_id"),
    sa.UniqueConstraint("writer", "event_id", name=WRITER_UNIQUE),
    sqlite_autoincrement=True,  # a sequence number is never reused, even after a delete
)

plan_links = sa.Table(
    "campaign_plan_links", metadata,
    sa.Column("plan_id", sa.String(64), sa.ForeignKey("campaign_plans.plan_id",
                                                      ondelete="CASCADE"), primary_key=True),
    sa.Column("previous_plan_id", sa.String(64), nullable=False, index=True),
    sa.Column("sent_waves", sa.Integer, nullable=False),
    sa.Column("events_seq", sa.BigInteger, nullable=False),
)


def create_tables(conn: Connection) -> None:
    """Migration step 2: the events table (as released: step 10 adds its writers) and the
    links between successive plans."""
    create_legacy(conn)
    plan_links.create(conn, checkfirst=True)


@dataclass
class EventColumns:
    """Stored events read back in ``seq`` order, as numpy columns."""

    seq: NDArray[np.int64]
    user_id: NDArray[np.str_]
    film_id: NDArray[np.str_]
    timestamp: NDArray[np.int64]
    weight: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.seq)

    @property
    def last_seq(self) -> int:
        return int(self.seq[-1]) if len(self.seq) else 0


def _payloads(batch: EventBatch) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for e, u, f, t, w in zip(batch.event_id, batch.user_id, batch.film_id, batch.timestamp,
                             batch.weight, strict=True):
        out.setdefault(e, []).append((u, f, int(t), float(w)))
    return out


def _conflict(conn: Connection, batch: EventBatch, ids: set[str], before: set[str] | None = None,
              writer: str = CLI_WRITER) -> None:
    """Raise ``EventConflictError`` for the first event of ``batch`` whose id is among ``ids``
    and whose payload differs from the one ``writer`` stored (or from its first copy in the
    batch); ``before``: the ids stored before this batch (default: those stored now)."""
    sent = _payloads(batch)
    stored: dict[str, tuple[Any, ...]] = {}
    wanted = sorted(ids)
    c = events.c
    for start in range(0, len(wanted), 500):
        for r in conn.execute(sa.select(c.event_id, c.user_id, c.film_id, c.timestamp,
                                        c.weight).where(c.writer == writer, c.event_id.in_(
                                            wanted[start:start + 500]))):
            stored[str(r[0])] = (str(r[1]), str(r[2]), int(r[3]), float(r[4]))
    for eid in dict.fromkeys(batch.event_id):  # each id once: its copies are all in sent
        if eid not in ids:
            continue
        first = stored.get(eid, sent[eid][0])
        for row in sent[eid]:
            if row != first:
                raise EventConflictError(eid, first, row, eid not in (
                    stored if before is None else before), writer)


def _stored_ids(conn: Connection, ids: Sequence[str], writer: str = CLI_WRITER) -> set[str]:
    """The ids among ``ids`` that ``writer`` stored already (one index look-up each)."""
    wanted, found = sorted(set(ids)), set[str]()
    for start in range(0, len(wanted), 500):
        found.update(str(e) for e in conn.execute(sa.select(events.c.event_id).where(
            events.c.writer == writer, events.c.event_id.in_(wanted[start:start + 500])
        )).scalars())
    return found


def find_conflicts(store: CampaignStore, batch: EventBatch, writer: str = CLI_WRITER) -> None:
    """``EventConflictError`` when an event of ``batch`` reuses an event_id ``writer`` stored
    (or one of the batch's own) with a different payload; writes nothing (an importer checks a
    whole file before its first committed chunk)."""
    with store.engine.connect() as conn:
        _conflict(conn, batch, set(batch.event_id), writer=writer)


class Recorded(tuple[int, int, int]):
    """What ``record_events`` did with a batch: (events ``stored``, ``duplicates`` skipped,
    the store's ``seq`` after the commit), a tuple of three as ever, and the ``erased``
    events not stored (their user was erased by ``forget``: ``erasure.erased_among``) and
    those users (``erased_users``: for the caller to leave out of what it names, never
    shown)."""

    erased: int
    erased_users: frozenset[str]

    def __new__(cls, stored: int, duplicates: int, seq: int, erased: int = 0,
                erased_users: frozenset[str] = frozenset()) -> Recorded:
        self = super().__new__(cls, (stored, duplicates, seq))
        self.erased, self.erased_users = erased, erased_users
        return self

    @property
    def stored(self) -> int:
        return self[0]

    @property
    def duplicates(self) -> int:
        return self[1]

    @property
    def seq(self) -> int:
        return self[2]


def record_events(store: CampaignStore, batch: EventBatch, writer: str = CLI_WRITER
                  ) -> Recorded:
    """Write ``batch`` in one committed transaction as ``writer``'s (``event_writers.writer_id``);
    returns ``Recorded``: events stored, duplicates skipped (identical copies of events
    ``writer`` stored already or repeated in the batch), the store's sequence after the commit,
    and the events of users ``forget`` erased, which are not stored (looked up under the lock,
    as ``forget`` takes it: an erasure committed before the batch is never undone by it). An
    event_id ``writer`` reused with a different payload raises ``EventConflictError`` and
    nothing of the batch is stored; a weight outside ``(0, MAX_WEIGHT]`` raises
    ``InvalidParameterError``."""
    if len(batch) == 0:
        return Recorded(0, 0, max_sequence(store))
    _check_values(batch)
    if store.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(events)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(events)
    stmt = stmt.on_conflict_do_nothing(index_elements=["writer", "event_id"]).returning(
        events.c.event_id)
    from recommender.campaigns.erasure import erased_among

    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            take_writers_lock(conn)
        else:  # the write lock before looking: what is looked up holds until the commit
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        gone = erased_among(conn, batch.user_id)
        whole, batch = len(batch), without_users(batch, gone)
        # each new event_id once (its first copy): an insert that ON CONFLICT skips still
        # draws a sequence number (SQLite's AUTOINCREMENT, PostgreSQL's sequence), and a
        # retried batch of 10,000 events used up 10,000 numbers
        before = _stored_ids(conn, batch.event_id, writer)
        # a key's batch stored before store step 10 (``CLI_WRITER``'s now), retried after it
        legacy = legacy_duplicates(conn, batch, set(batch.event_id) - before, writer)
        known, params = before | legacy, []
        for e, u, f, t, w in zip(batch.event_id, batch.user_id, batch.film_id,
                                 batch.timestamp, batch.weight, strict=True):
            if e not in known:
                known.add(e)
                params.append({"writer": writer, "event_id": e, "user_id": u, "film_id": f,
                               "timestamp": t, "weight": w})
        if params:  # under the lock ``mark_moved`` takes; a retried batch stored before: as ever
            refuse_if_moved(conn, store.url, "this batch")
        written = [str(r[0]) for r in conn.execute(stmt, params).all()] if params else []
        stored = len(written)
        if stored < len(batch):  # the writer's lock is held: the stored rows are final
            counts: dict[str, int] = {}
            for e in batch.event_id:
                counts[e] = counts.get(e, 0) + 1
            _conflict(conn, batch, {e for e, k in counts.items() if k > 1} |
                      (set(counts) - set(written)), before, writer)  # raises: rolls back
        seq = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
                  .scalar_one())
    return Recorded(stored, len(batch) - stored, seq, whole - len(batch), gone)


def without_users(batch: EventBatch, users: frozenset[str]) -> EventBatch:
    """``batch`` less the events of ``users`` (itself when none is among them)."""
    if not users:
        return batch
    keep = [i for i, u in enumerate(batch.user_id) if u not in users]
    return EventBatch(*([getattr(batch, k)[i] for i in keep] for k in
                        ("event_id", "user_id", "film_id", "timestamp", "weight")))


def take_writers_lock(conn: Connection) -> None:
    """Take PostgreSQL's writers' lock (``EVENTS_LOCK``) for this transaction, waiting at most
    ``LOCK_WAIT`` seconds unless the session has a ``lock_timeout`` of its own."""
    bound_lock_wait(conn, LOCK_WAIT)
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": EVENTS_LOCK})


def max_sequence(store: CampaignStore) -> int:
    """The sequence number of the latest stored event (0 when there is none): one index
    look-up, cheap enough to poll."""
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
                   .scalar_one())


def count_events(store: CampaignStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def film_event_count(store: CampaignStore, film_id: str, after: int = 0,
                     writer: str | None = None) -> int:
    """The events stored for ``film_id`` after sequence ``after`` (``writer``'s alone, or
    every writer's: None): one index range (film, user), counted on demand for the film an
    answer was asked of."""
    c = events.c
    mine = [c.writer == writer] if writer is not None else []
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(events).where(
            c.film_id == film_id, c.seq > after, *mine)).scalar_one())


def _columns(rows: list[Any]) -> EventColumns:
    if not rows:
        return EventColumns(np.zeros(0, np.int64), np.zeros(0, str), np.zeros(0, str),
                            np.zeros(0, np.int64), np.zeros(0, np.float64))
    seq, user, film, ts, w = zip(*rows, strict=True)
    return EventColumns(np.asarray(seq, np.int64), np.asarray(user, str),
                        np.asarray(film, str), np.asarray(ts, np.int64),
                        np.asarray(w, np.float64))


def iter_events(store: CampaignStore, after: int = 0, until: int | None = None,
                films: Sequence[str] | None = None, since_ts: int | None = None,
                chunk: int = READ_CHUNK) -> Iterator[EventColumns]:
    """Stored events with ``after < seq <= until`` (optionally only ``films``, only at or
    after ``since_ts``), in ``seq`` order, ``chunk`` at a time."""
    c = events.c
    query = sa.select(c.seq, c.user_id, c.film_id, c.timestamp, c.weight).where(c.seq > after)
    if until is not None:
        query = query.where(c.seq <= until)
    if films is not None:
        query = query.where(c.film_id.in_(list(films)))
    if since_ts is not None:
        query = query.where(c.timestamp >= since_ts)
    query = query.order_by(c.seq)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk).execute(query)
        for part in result.partitions(chunk):
            yield _columns(list(part))


def read_events(store: CampaignStore, after: int = 0, until: int | None = None,
                films: Sequence[str] | None = None, since_ts: int | None = None
                ) -> EventColumns:
    """``iter_events`` gathered into one ``EventColumns``."""
    parts = list(iter_events(store, after, until, films, since_ts))
    if not parts:
        return _columns([])
    return EventColumns(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                          ("seq", "user_id", "film_id", "timestamp", "weight")))


def events_table(cols: EventColumns) -> pa.Table:
    """Events as an arrow table (``seq,user_id,film_id,timestamp,weight``)."""
    return pa.table({"seq": pa.array(cols.seq, pa.int64()),
                     "user_id": pa.array(cols.user_id.tolist(), pa.string()),
                     "film_id": pa.array(cols.film_id.tolist(), pa.string()),
                     "timestamp": pa.array(cols.timestamp, pa.int64()),
                     "weight": pa.array(cols.weight, pa.float64())})


def trained_through(meta: dict[str, Any], store: CampaignStore) -> int:
    """The last sequence of ``store`` a model's training folded in (``meta["events"]``, from
    ``train --events``): 0 when it was trained without events or on another store's (their
    sequence numbers say nothing about this one, whose events are then all new), and 0 when
    the store no longer holds the events it was trained through (a restore from a backup
    followed by new events under the same numbers: ``trained_events``, which says why). The
    store is recognised by its own id (``CampaignStore.store_id``); a model trained before
    stores had one is matched by URL (``same_store``)."""
    from recommender.campaigns.trained_events import trained_events

    return trained_events(meta, store).through


def same_store(url: str, store: CampaignStore) -> bool:
    """Whether ``url`` (as a model recorded it) names ``store``: the same URL, or for SQLite
    the same file however the path was spelt. A URL recorded with its ``?password=`` shown
    (before ``shown_url`` hid it) is compared hidden: its model took every event as new."""
    if url == store.url:
        return True
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return False
    if shown_url(parsed) == store.url:
        return True
    if store.dialect != "sqlite" or parsed.get_backend_name() != "sqlite" or \
            not parsed.database or not store.engine.url.database:
        return False
    try:
        return Path(parsed.database).resolve() == Path(store.engine.url.database).resolve()
    except OSError:
        return False
