"""A backup of a SQLite campaign store while it is in use: ``campaign backup``, not ``copy``.

``campaign copy`` moves a store (its source is marked as moved and refuses events and plans
from then on), so as a nightly backup it cut off every writer. ``backup_store`` copies a
SQLite store with SQLite's online backup API (``sqlite3.Connection.backup``) in one step, as
one read transaction: in WAL mode writers go on committing meanwhile (the backup holds the
store as it was when that read began, every committed transaction whole), and nothing is
written to the store. The backup is made under a temporary name beside the target, checked
(``PRAGMA quick_check``), flushed to disk and only then given its name; it is readable by its
owner only, as the store is. A PostgreSQL store is backed up with ``pg_dump``, which reads
one consistent snapshot without stopping writers (refused here, saying so).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from recommender.campaigns.connection import in_memory_sqlite, parse_store_url, shown_url
from recommender.errors import InvalidParameterError, StoreUnavailableError


@dataclass(frozen=True)
class Backup:
    """What ``backup_store`` wrote: the store shown, the backup's path and size, its schema
    version, and its number of plans and events (0 where a table is not there)."""

    source: str
    path: Path
    size: int
    schema_version: int
    plans: int
    events: int


def _source_file(target: str) -> tuple[str, Path]:
    """(the store as shown, its SQLite file), or why it cannot be backed up here."""
    url = parse_store_url(target)
    shown = shown_url(url)
    if url.get_backend_name() == "postgresql":
        raise InvalidParameterError(
            f"the campaign store {shown} is a PostgreSQL database: back it up with pg_dump "
            "(pg_dump -Fc -f store.dump DBNAME; pg_restore -d NEWDB store.dump restores it), "
            "which reads one consistent snapshot without stopping writers")
    if url.get_backend_name() != "sqlite":
        raise InvalidParameterError(f"the campaign store supports sqlite:// and postgresql:// "
                                    f"URLs, got {url.get_backend_name()}://")
    name = url.database or ""
    if in_memory_sqlite(target) or name.startswith("file:"):
        raise InvalidParameterError(f"campaign backup takes a SQLite file path or sqlite:///"
                                    f"PATH URL, got {shown}")
    path = Path(name)
    if not path.is_file():
        raise InvalidParameterError(f"no campaign store at {path}: the file does not exist")
    return shown, path


def _count(conn: sqlite3.Connection, table: str) -> int:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                         (table,)).fetchone()
    return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]) if found else 0


def backup_store(target: str, to: str | os.PathLike[str]) -> Backup:
    """Back the SQLite store ``target`` up into the new file ``to`` (module docstring).
    ``InvalidParameterError`` when ``to`` exists (a backup never overwrites) or is the store,
    for a PostgreSQL or in-memory store, or a file that holds no campaign store;
    ``StoreUnavailableError`` when the store cannot be read (locked, damaged)."""
    shown, source = _source_file(target)
    dest = Path(to).expanduser().resolve()
    if dest.exists():
        itself = " (it is the store itself)" if dest == source.resolve() else ""
        raise InvalidParameterError(f"the backup {dest} exists already{itself}: a backup never "
                                    "overwrites a file; name a new one (e.g. with the date)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".backup", dir=dest.parent)
    os.close(fd)  # made 0600: the store's user ids and events, the owner's only
    tmp = Path(name)
    try:
        try:
            src = sqlite3.connect(source, timeout=30)
            try:
                out = sqlite3.connect(tmp)
                try:
                    src.backup(out)  # one step: one read transaction, writers go on
                    checked = str(out.execute("PRAGMA quick_check").fetchone()[0])
                    if checked != "ok":
                        raise InvalidParameterError(f"the backup of {shown} failed its check "
                                                    f"({checked}): the store may be damaged")
                    version = int(out.execute("SELECT MAX(version) FROM schema_version")
                                  .fetchone()[0] or 0) if _count(out, "schema_version") else 0
                    plans, events = _count(out, "campaign_plans"), _count(out, "campaign_events")
                finally:
                    out.close()
            finally:
                src.close()
        except sqlite3.DatabaseError as e:
            raise StoreUnavailableError(f"cannot back up the campaign store {shown}: "
                                        f"{' '.join(str(e).split())}") from None
        if not version:
            raise InvalidParameterError(f"{source} holds no campaign store (no schema_version "
                                        "table): nothing was backed up")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.link(tmp, dest)  # never over a file made meanwhile
        dir_fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)
    return Backup(shown, dest, dest.stat().st_size, version, plans, events)
