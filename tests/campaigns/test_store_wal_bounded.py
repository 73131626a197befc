"""A SQLite store's write-ahead log is truncated back to a bound after a checkpoint: SQLite
reuses the log but never shrinks it, and one burst of writes left a -wal of 1.2 GB beside a
140 MB store for the service's life (``journal_size_limit`` was -1).

Oracle: the -wal file's size as the system reads it (``os.path.getsize``), and the pragma as a
store connection reads it back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from recommender.campaigns import store as store_mod
from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.store import open_store

LIMIT = 64 * 1024  # bytes: a small bound patched in, so that a few writes pass it


def _batch(start: int, n: int) -> EventBatch:
    ids = [f"event-{i:06d}-" + "x" * 200 for i in range(start, start + n)]  # pages fill fast
    return EventBatch(ids, [f"user-{i}" for i in range(start, start + n)], ["00002"] * n,
                      [1_700_000_000 + i for i in range(start, start + n)], [1.0] * n)


def test_every_store_connection_bounds_its_write_ahead_log(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "store.db"))
    try:
        with store.engine.connect() as conn:
            said = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
        assert said == store_mod.SQLITE_WAL_LIMIT == 64 * 2**20
    finally:
        store.close()
    reader = open_store(str(tmp_path / "store.db"), read_only=True)
    try:
        with reader.engine.connect() as conn:
            said = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
        assert said == store_mod.SQLITE_WAL_LIMIT
    finally:
        reader.close()


def test_the_write_ahead_log_is_truncated_after_a_checkpoint(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "SQLITE_WAL_LIMIT", LIMIT)
    db = tmp_path / "store.db"
    store = open_store(str(db))
    wal = Path(f"{db}-wal")
    try:
        record_events(store, _batch(0, 3000))  # one transaction: no checkpoint inside it
        grown = os.path.getsize(wal)
        assert grown > 4 * LIMIT, grown  # the burst grew the log past the bound
        with store.engine.connect() as conn:
            busy, frames, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert busy == 0 and done == frames > 0  # every frame copied into the store
        record_events(store, _batch(3000, 1))  # the next write starts the log again
        assert os.path.getsize(wal) <= LIMIT, os.path.getsize(wal)
    finally:
        store.close()
