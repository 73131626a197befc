"""Events scoped by their writer: an ``event_id`` is unique per writer, not in the whole store.

An ``event_id`` was unique across the store, so a write key's 409 for a reused one told it
that some other key had stored that id (ticket numbers run in order: a partner could learn
another's volumes). Each event now records its ``writer`` (:func:`writer_id`: a fingerprint,
never a key) and ``(writer, event_id)`` is what is unique: a retry is recognised, and a
conflict reported, only against the caller's own events; the same id from another writer is
another event. ``CLI_WRITER`` (``""``) is the writer of ``events import`` and of a server with
no read or write key (every caller is the same there), and the one every event stored before
this step is given, so re-importing a file stored before is still recognised.

``create_legacy`` is migration step 2's events table as released (an ``event_id`` unique in
the store); step 10 (``create_tables`` here) moves a store to the writer-scoped table: on
PostgreSQL by adding the column and swapping the constraint, on SQLite (whose constraints
cannot be dropped) by building the new table beside the old, copying every row with its
``seq``, keeping the sequence's high mark (a number is never reused) and the old table's
indexes. It records the largest ``seq`` it gave ``CLI_WRITER`` (``LEGACY_MARK`` in the
store's info): a write key's batch stored before the upgrade and retried after it (an
upgrade's restart is when clients retry) is recognised by ``legacy_duplicates`` (an event
whose id and whole payload equal such an event's; another payload under that id is the key's
own new event, not a conflict: that event may be anyone's), where it was stored again and
its weight counted twice.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.event_checks import MAX_ID_LENGTH, EventBatch
from recommender.campaigns.store_tables import store_info

CLI_WRITER = ""
TABLE = "campaign_events"
WRITER_UNIQUE = "uq_campaign_events_writer_event"
_OLD = "campaign_events_before_writers"
#: ``campaign_store_info`` key: the largest ``seq`` stored before step 10 (absent: none was)
LEGACY_MARK = "events_before_writers_through"

_legacy = sa.MetaData()
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_legacy_events = sa.Table(
    TABLE, _legacy,
    sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(MAX_ID_LENGTH), nullable=False, unique=True),
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("film_id", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("weight", sa.Float(precision=53), nullable=False),
    sa.Index("ix_campaign_events_film_user", "film_id", "user_id"),
    sqlite_autoincrement=True,
)


def writer_id(name: str) -> str:
    """The writer recorded for a caller named ``name`` (the service's key id; the CLI and a
    caller of a server without keys: ``CLI_WRITER``): 64 hex digits of a SHA-256, so neither
    a key nor its id is stored. A key id: a key rotated under the same id stays one writer."""
    if name == CLI_WRITER:
        return CLI_WRITER
    return hashlib.sha256(b"recommender event writer\0" + name.encode("utf-8",
                                                                      "surrogateescape")
                          ).hexdigest()


def create_legacy(conn: Connection) -> None:
    """Migration step 2's events table, as released (step 10 moves it to writers)."""
    _legacy_events.create(conn, checkfirst=True)


def create_tables(conn: Connection) -> None:
    """Migration step 10: the events table keyed by ``(writer, event_id)``, every event stored
    before given ``CLI_WRITER``."""
    from recommender.campaigns.events import events

    last = int(conn.exec_driver_sql(f"SELECT coalesce(max(seq), 0) FROM {TABLE}").scalar_one())
    if last:  # the events given ``CLI_WRITER`` here (``legacy_duplicates``)
        conn.execute(store_info.insert().values(key=LEGACY_MARK, value=str(last)))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ALTER TABLE {TABLE} ADD COLUMN writer VARCHAR(64) NOT NULL "
                             "DEFAULT ''")
        for found in sa.inspect(conn).get_unique_constraints(TABLE):
            if found["column_names"] == ["event_id"]:
                conn.exec_driver_sql(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{found["name"]}"')
        conn.exec_driver_sql(f"ALTER TABLE {TABLE} ADD CONSTRAINT {WRITER_UNIQUE} "
                             "UNIQUE (writer, event_id)")
        return
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS "
        "NOT NULL", (TABLE,)).all()
    mark = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?",
                                (TABLE,)).scalar()
    for name, _sql in indexes:  # their names are free for the new table's
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    conn.exec_driver_sql(f"ALTER TABLE {TABLE} RENAME TO {_OLD}")
    events.create(conn)
    columns = "seq, event_id, user_id, film_id, timestamp, weight"
    conn.exec_driver_sql(f"INSERT INTO {TABLE} (writer, {columns}) SELECT '', {columns} "
                         f"FROM {_OLD} ORDER BY seq")
    conn.exec_driver_sql(f"DROP TABLE {_OLD}")
    if mark is not None:  # the high mark of the sequence, past a deleted last event too
        conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?",
                             (int(mark), TABLE))
        conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT "
                             "EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                             (TABLE, int(mark), TABLE))
    for _name, sql in indexes:
        conn.exec_driver_sql(str(sql).replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))


def legacy_duplicates(conn: Connection, batch: EventBatch, ids: set[str], writer: str
                      ) -> set[str]:
    """The ids among ``ids`` (``batch``'s that ``writer`` has not stored) whose first copy in
    ``batch`` equals, payload and all (user, film, timestamp, weight), the event of that id
    stored before step 10 (``CLI_WRITER``'s, ``seq`` at most ``LEGACY_MARK``): a key's batch
    stored before the upgrade, retried after it, is a duplicate. One query per 500 ids."""
    if writer == CLI_WRITER or not ids:
        return set()
    from recommender.campaigns.events import events

    c = events.c
    mark = sa.select(sa.cast(store_info.c.value, sa.BigInteger)).where(
        store_info.c.key == LEGACY_MARK).scalar_subquery()
    stored: dict[str, tuple[str, str, int, float]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 500):
        for r in conn.execute(sa.select(c.event_id, c.user_id, c.film_id, c.timestamp,
                                        c.weight).where(
                c.writer == CLI_WRITER, c.event_id.in_(wanted[start:start + 500]),
                c.seq <= mark)):
            stored[str(r[0])] = (str(r[1]), str(r[2]), int(r[3]), float(r[4]))
    if not stored:
        return set()
    found: set[str] = set()
    for e, u, f, t, w in zip(batch.event_id, batch.user_id, batch.film_id, batch.timestamp,
                             batch.weight, strict=True):
        if e in stored and e not in found and e in ids:
            if stored.pop(e) == (str(u), str(f), int(t), float(w)):  # its first copy only
                found.add(e)
    return found
