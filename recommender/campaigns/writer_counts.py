"""A writer's own position in the events: how many it stored, told without the store's sequence.

Sequence numbers are drawn by every writer (``events.record_events``), so a key shown its
events' numbers, or the store's latest, learned how many events the other keys sent between
its batches (a partner read another's volumes). :func:`writer_position` counts a writer's
events instead (``event_writers.writer_id``): all of them, and those up to a sequence (what a
worker's model reflects), so a key tells that its own events have taken effect.

A writer's count up to a sequence the store has shown never changes (events are never
deleted, and sequence numbers become visible in order: a reader that has seen N has seen every
event up to N), so each store object remembers, per writer, a few counts and the sequences
they were taken at (the latest, and the one asked about: a worker's applied sequence only
grows), and counts only the events past the one below what is asked: a range of the primary
key, not the whole of a writer's events (750,000 of them took 0.3 s on SQLite per request).
Counts at sequences past the store's latest (a file restored from an older backup, seen
before it holds as many events again) are forgotten; the worker's overlay
(``service/events_sync.py``) makes the same assumption. A store restored in place and written
to again before a count was asked (``pg_restore --clean`` into the same database; rows past a
sequence deleted and new events stored under the same numbers) kept the old counts for the
life of the process: each store object also remembers the latest event it counted at (its
``seq``, ``writer`` and ``event_id``, :func:`_latest`), and a count finding that event gone or
another forgets every count of the store before counting (one primary-key look-up, made only
when events were stored since). :func:`remembered` reads nothing, so a worker's poller asks
its store's latest sequence through :func:`latest_sequence`, which makes the same check: a
model answer's count (``X-Events-Seq``) is counted again after a restore in place by the
next poll, not kept until a status or a post counted again. A count reads the latest
sequence and the writer's events in one connection and one read transaction (two
connections were opened for one answer, and a write between them read apart).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import sqlalchemy as sa

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore

_lock = threading.Lock()
_KEPT = 8  # counts remembered per writer
#: per store object, per writer: {sequence: the writer's events up to it}
_counted: WeakKeyDictionary[CampaignStore, dict[str, dict[int, int]]] = WeakKeyDictionary()
#: per store object, the latest event it counted at: (seq, writer, event_id)
_marks: WeakKeyDictionary[CampaignStore, tuple[int, str, str]] = WeakKeyDictionary()


def _latest(store: CampaignStore, conn: sa.Connection) -> int:
    """The store's latest sequence (0: no event), the counts ``store`` remembers forgotten
    first when the event they were last taken at is gone or is another (a restore in place),
    that event remembered for the next count."""
    from recommender.campaigns.events import events

    c = events.c
    row = conn.execute(sa.select(c.seq, c.writer, c.event_id).order_by(c.seq.desc())
                       .limit(1)).first()
    top = None if row is None else (int(row[0]), str(row[1]), str(row[2]))
    with _lock:
        mark = _marks.get(store)
    if mark is not None and top != mark:
        then = conn.execute(sa.select(c.writer, c.event_id).where(c.seq == mark[0])).first()
        if then is None or (str(then[0]), str(then[1])) != mark[1:]:
            with _lock:
                _counted.pop(store, None)
                _marks.pop(store, None)
    with _lock:
        now = _marks.get(store)
        if top is None:
            _marks.pop(store, None)
        elif now is None or top[0] >= now[0]:
            _marks[store] = top
    return 0 if top is None else top[0]


def latest_sequence(store: CampaignStore) -> int:
    """The store's latest sequence (0: no event), as ``events.max_sequence`` reads it, the
    counts ``store`` remembers forgotten when a restore in place replaced the event they
    were last taken at (:func:`_latest`)."""
    with store.engine.connect() as conn:
        return _latest(store, conn)


@contextmanager
def _one_read(store: CampaignStore) -> Iterator[sa.Connection]:
    """One connection of ``store`` in one read transaction: its reads see one moment (on
    SQLite the snapshot of the first read, WAL; on PostgreSQL ``REPEATABLE READ``)."""
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        else:  # the driver begins no transaction before a read: each read its own moment
            conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()  # it wrote nothing


def writer_position(store: CampaignStore, writer: str, through: int | None = None
                    ) -> tuple[int, int]:
    """(the events ``writer`` stored, those of them with ``seq`` at most ``through``; None:
    0), as of the store's latest sequence now."""
    with _one_read(store) as conn:  # the latest and the count of one moment, one connection
        latest = _latest(store, conn)
        return _position(store, conn, writer, latest, through)


def _position(store: CampaignStore, conn: sa.Connection, writer: str, latest: int,
              through: int | None) -> tuple[int, int]:
    """:func:`writer_position` on ``conn``, the store's latest sequence being ``latest``."""
    from recommender.campaigns.events import events

    upto = -1 if through is None else min(int(through), latest)
    with _lock:
        known = {s: n for s, n in _counted.setdefault(store, {}).get(writer, {}).items()
                 if s <= latest}
    bound = latest if through is None else upto
    since = max((s for s in known if s <= bound), default=0)
    before = known.get(since, 0)
    c = events.c
    # past a count remembered, the primary key's range (a function of the column keeps its
    # index unused, on SQLite and PostgreSQL alike: the writer's index was read whole); from
    # the start, the writer's index (on SQLite it holds ``seq``, the rowid)
    mine = c.writer == writer if since == 0 else sa.func.coalesce(c.writer, "") == writer
    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case(
        (c.seq <= upto, 1), else_=0)), 0)).where(mine, c.seq > since, c.seq <= latest)
    new, to_upto = (int(v) for v in conn.execute(query).one())
    asked = {upto: before + to_upto} if upto >= since else {}
    with _lock:
        kept = {**{s: n for s, n in _counted.setdefault(store, {}).get(writer, {}).items()
                   if s <= latest}, latest: before + new}
        # the highest, and the one just asked below them: the next ask (a worker's applied
        # sequence, which only grows) starts from it, however many batches came since
        _counted[store][writer] = {**dict(sorted(kept.items())[-_KEPT:]), **asked}
    return before + new, asked.get(upto, 0)


def remembered(store: CampaignStore, writer: str, through: int) -> int | None:
    """``writer``'s events with ``seq`` at most ``through`` when that count is remembered
    (asked before), else None; reads nothing from the store."""
    with _lock:
        return _counted.get(store, {}).get(writer, {}).get(int(through))


def writer_through(store: CampaignStore, writer: str, through: int) -> int:
    """``writer``'s events with ``seq`` at most ``through`` (a sequence the store has shown):
    remembered, else counted (:func:`writer_position`, which remembers it)."""
    known = remembered(store, writer, through)
    return known if known is not None else writer_position(store, writer, through)[1]
