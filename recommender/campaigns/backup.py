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

import errno
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from recommender.campaigns.connection import (
    in_memory_sqlite,
    parse_store_url,
    shown_url,
    unwritable_folder,
)
from recommender.errors import (
    InvalidParameterError,
    StoreDamagedError,
    StoreUnavailableError,
    damaged,
)
from recommender.io.atomic import not_in_a_model

#: what ``link`` says on a filesystem without hard links (``_give_name``)
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS,
             errno.EMLINK}


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


def _give_name(tmp: Path, dest: Path) -> None:
    """Give the checked backup ``tmp`` the name ``dest``, never over a file made there
    meanwhile: a hard link, or where the filesystem has none (FAT, some network and FUSE
    mounts refuse ``link``) the name taken first with an exclusive create, then the backup
    renamed over that empty file of its own."""
    try:
        os.link(tmp, dest)
        return
    except FileExistsError:
        raise _exists(dest) from None
    except OSError as e:
        if e.errno not in _NO_LINKS:
            raise
    try:
        os.close(os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        raise _exists(dest) from None
    try:
        os.replace(tmp, dest)
    except BaseException:
        dest.unlink(missing_ok=True)  # the empty file this took the name with
        raise


def _exists(dest: Path, itself: str = "") -> InvalidParameterError:
    return InvalidParameterError(f"the backup {dest} exists already{itself}: a backup never "
                                 "overwrites a file; name a new one (e.g. with the date)")


def backup_store(target: str, to: str | os.PathLike[str]) -> Backup:
    """Back the SQLite store ``target`` up into the new file ``to`` (module docstring).
    ``InvalidParameterError`` when ``to`` exists (a backup never overwrites), is the store or
    lies inside a model folder (``io.atomic.not_in_a_model``),
    for a PostgreSQL or in-memory store, or a file that holds no campaign store;
    ``StoreDamagedError`` for a file SQLite cannot read as a database (junk, cut, overwritten:
    restore it from a backup) or whose backup fails its check (a store fault, not the
    caller's), ``StoreUnavailableError`` when it cannot be read now (locked)."""
    shown, source = _source_file(target)
    dest = Path(to).expanduser().resolve()
    if dest.exists():
        itself = " (it is the store itself)" if dest == source.resolve() else ""
        raise _exists(dest, itself)
    not_in_a_model(dest)  # a file written there may replace one of the model's
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
                        raise StoreDamagedError(f"the backup of {shown} failed its check "
                                                f"({checked}): the store may be damaged")
                    version = int(out.execute("SELECT MAX(version) FROM schema_version")
                                  .fetchone()[0] or 0) if _count(out, "schema_version") else 0
                    plans, events = _count(out, "campaign_plans"), _count(out, "campaign_events")
                finally:
                    out.close()
            finally:
                src.close()
        except sqlite3.DatabaseError as e:
            why = " ".join(str(e).split())
            if damaged(e):  # a junk file, a file cut or overwritten: no retry helps
                raise StoreDamagedError(
                    f"cannot back up the campaign store {shown}: {why}: its database is "
                    "damaged (a SQLite file cut or overwritten) or is not a campaign store; "
                    "restore it from a backup (sqlite3's .recover may save its rows)") from None
            raise StoreUnavailableError(f"cannot back up the campaign store {shown}: "
                                        f"{why}{unwritable_folder(source, why)}") from None
        if not version:
            raise InvalidParameterError(f"{source} holds no campaign store (no schema_version "
                                        "table): nothing was backed up")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _give_name(tmp, dest)
        dir_fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)
    return Backup(shown, dest, dest.stat().st_size, version, plans, events)
