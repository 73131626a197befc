"""The events sequence of a copied store: the target's next event follows the source's last.

``copy_store`` reads how far the source's sequence went (``_used_up``, past a deleted or rolled
back event), sets the target's (``_set_sequence``) and puts PostgreSQL's back when the copy
is rolled back (``_restore_sequence``: ``setval`` is not undone by a rollback).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.events import events
from recommender.campaigns.store import CampaignStore


def _restore_sequence(dst: CampaignStore, before: tuple[int, bool]) -> None:
    """Put PostgreSQL's event sequence back as it was before a copy that was rolled back
    (best effort: a target that cannot be reached keeps the later value, which is harmless:
    sequence numbers are monotone, not dense)."""
    try:
        with dst.engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'seq'), :n, :c)"),
                         {"t": events.name, "n": before[0], "c": before[1]})
    except sa.exc.DBAPIError:
        pass


def _last_seq(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
               .scalar_one())


def _used_up(conn: Connection, dialect: str) -> int:
    """The last sequence number the source's events table has handed out (past its last
    event when a later one was deleted or, on PostgreSQL, rolled back); 0 when unknown."""
    if dialect == "sqlite":
        found = conn.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = ?",
                                     (events.name,)).scalar_one_or_none()
        return int(found or 0)
    try:  # a role without rights on the sequence: its events' last number will do
        with conn.begin_nested():
            found = conn.execute(sa.text(
                "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(:t, 'seq') "
                "AS regclass))"), {"t": events.name}).scalar_one_or_none()
    except sa.exc.DBAPIError:
        return 0
    return int(found or 0)


def _set_sequence(conn: Connection, dialect: str, last: int) -> tuple[int, bool] | None:
    """Make the target's next event get ``last + 1``; returns PostgreSQL's sequence state
    before (``setval`` is not undone by a rollback), None on SQLite or when nothing is set."""
    if last <= 0:
        return None
    if dialect == "postgresql":
        name = _sequence_name(conn)
        before = conn.execute(sa.text(f"SELECT last_value, is_called FROM {name}")).one()
        conn.execute(sa.text("SELECT setval(CAST(:s AS regclass), :n)"), {"s": name, "n": last})
        return int(before[0]), bool(before[1])
    if not conn.exec_driver_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                (last, events.name)).rowcount:
        conn.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                             (events.name, last))
    return None


def _next_seq(conn: Connection, dialect: str) -> int:
    """The sequence number the target's next event will get (read, not drawn)."""
    if dialect == "sqlite":
        return max(_used_up(conn, dialect), _last_seq(conn)) + 1
    row = conn.execute(sa.text(
        f"SELECT last_value, is_called FROM {_sequence_name(conn)}")).one()
    return int(row[0]) + 1 if row[1] else int(row[0])


def _sequence_name(conn: Connection) -> str:
    return str(conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'seq')"),
                            {"t": events.name}).scalar_one())
