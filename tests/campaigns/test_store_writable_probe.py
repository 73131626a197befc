"""The poller's probe of a SQLite store (``writable.sqlite_write_state``) agrees with SQLite.

Oracle: a write by a fresh SQLite connection to the same file, made after the probe, with the
file or its folder made unwritable (as root both are still written, and the probe must say
so)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from recommender.campaigns.writable import sqlite_write_state


def _sqlite_writes(path: Path) -> bool:
    try:
        conn = sqlite3.connect(path, timeout=5)
    except sqlite3.Error:
        return False
    try:
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


@pytest.mark.parametrize(("file_mode", "folder_mode", "wal_open"), [
    (0o600, 0o700, True), (0o400, 0o700, True), (0o600, 0o500, True), (0o600, 0o500, False),
    (0o400, 0o500, False)])
def test_the_probe_says_what_sqlite_does(tmp_path: Path, file_mode: int, folder_mode: int,
                                         wal_open: bool) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    path = folder / "store.db"
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    if not wal_open:  # the last connection closed: its -wal and -shm are gone
        holder.close()
        assert sorted(p.name for p in folder.iterdir()) == ["store.db"]
    try:
        os.chmod(path, file_mode)
        os.chmod(folder, folder_mode)
        said = sqlite_write_state(path)
        assert said in (None, "read_only")
        assert (said is None) == _sqlite_writes(path), said
    finally:
        os.chmod(folder, 0o700)
        os.chmod(path, 0o600)
        holder.close()
