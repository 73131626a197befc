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

``takes_a_write`` is the one probe that writes, asked only while a worker's write failed on a
full disk or an I/O error ("failing"): what failed there, the disk taking a block, cannot be
seen without writing one (a disk freed said "failing" until a write reached that worker).
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


#: the probe file written beside a SQLite store by ``takes_a_write`` (and removed at once)
PROBE_END = "-probe"


def takes_a_write(store: CampaignStore) -> bool:
    """Whether the disk under ``store`` takes a block written and synced, and gives it back:
    what a write failed on when the disk was full or failing (SQLITE_FULL, SQLSTATE 53100; an
    I/O error). A SQLite store: one page written to ``<file>-probe`` beside it (where its
    write-ahead log grows), synced and removed. A PostgreSQL store: a temporary table made and
    one row written to it, in a transaction rolled back (the server extends its file by a
    block on its own disk). Only while a worker says "failing" (``StoreHealth.probe``): at
    most every ``MOVED_EVERY`` seconds, a block each."""
    if store.dialect != "sqlite":
        try:
            with store.engine.connect() as conn:
                conn.exec_driver_sql("CREATE TEMPORARY TABLE recommender_probe (n integer)")
                conn.exec_driver_sql("INSERT INTO recommender_probe VALUES (1)")
                conn.rollback()
        except Exception:  # noqa: BLE001 - any failure: the store still fails a write
            return False
        return True
    path = Path(f"{os.path.realpath(str(store.engine.url.database))}{PROBE_END}")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, bytes(4096))  # one page, as SQLite's default page size
            os.fsync(fd)
        finally:
            os.close(fd)
            path.unlink(missing_ok=True)
    except OSError:  # no free block, or the disk failed the write or its sync
        return False
    return True
