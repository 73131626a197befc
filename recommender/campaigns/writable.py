"""Whether the campaign store takes writes, probed without writing and without waiting on a lock.

``write_state`` is what a worker's background poller asks every few seconds, so that /health's
``campaign_store`` of every worker says "read_only" or "failing", not only that of the worker
whose write the store refused (it said "ok" in every other worker of ``serve --workers N``).
A SQLite store: its file, its ``-wal`` and ``-shm`` (or, where one does not exist yet, its
folder, where SQLite creates it) must be writable, as the system answers for this process
(``os.access``: a file mode, a read-only mount), and the disk under it must have a free block.
A PostgreSQL store: a pooled connection's ``transaction_read_only`` (a standby, whose
``pg_is_in_recovery()`` is true, or ``default_transaction_read_only``), one query that takes no
lock; a connection found read-only is dropped from the pool, so the next write opens a fresh one
(a failover back to the primary).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore


def sqlite_write_state(path: Path) -> str | None:
    """None when the SQLite store file ``path`` can be written, else "read_only" (a file,
    journal or folder this process cannot write, a read-only mount) or "failing" (no free
    block on its disk). A link is followed: SQLite makes its -wal and -shm beside the file
    linked to (the probe looked beside the link, in a folder SQLite does not write)."""
    path = Path(os.path.realpath(path))
    if not os.access(path, os.W_OK):
        return "read_only"
    for end in ("-wal", "-shm"):
        side = Path(f"{path}{end}")
        if not os.access(side if side.exists() else path.parent, os.W_OK):
            return "read_only"
    disk = os.statvfs(path)
    if disk.f_flag & os.ST_RDONLY:
        return "read_only"
    return "failing" if disk.f_bavail == 0 else None


def can_probe(store: CampaignStore) -> bool:
    """Whether ``write_state`` can see if ``store`` takes writes: not for a SQLite database in
    memory or a ``file:`` URI, which the driver resolves (its ``mode=ro`` refuses every write
    to a file that can be written), so a refused write stands until one succeeds."""
    database = store.engine.url.database
    return store.dialect != "sqlite" or not (
        database in (None, "", ":memory:") or database.startswith("file:"))


def write_state(store: CampaignStore) -> str | None:
    """None when ``store`` takes writes as far as can be seen without writing, else
    "read_only" or "failing" (the module docstring); raises when the store cannot be read.
    Only for a store ``can_probe`` sees."""
    if store.dialect == "sqlite":
        return sqlite_write_state(Path(str(store.engine.url.database)))
    with store.engine.connect() as conn:
        on = str(conn.exec_driver_sql("SHOW transaction_read_only").scalar()) == "on"
        conn.rollback()
        if on:  # a standby, or a database made read-only: the next write reconnects
            conn.invalidate()
    return "read_only" if on else None
