"""The set-up of the lock-wording tests (``test_plans_lock_words``, ``test_mark_lock_words``):
a PostgreSQL store holding an empty ``plan-1`` whose lock wait is 0.05 s, another session
holding one of its advisory locks, and the oracle: the CLI's words after "(database is
locked)" for a SQLite store whose write lock is held (the explanation and advice the
PostgreSQL sentence must end with)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

import recommender.campaigns.events as events_module
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
from recommender.cli.store_failure import store_failure

LOCK_WAIT_S = 0.05  # seconds a command waits for a lock here (``events.LOCK_WAIT``)


def plan_store(make_store: Callable[[str, Path], str], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> str:
    """A new PostgreSQL store's URL, holding an empty one-wave ``plan-1``; its commands wait
    ``LOCK_WAIT_S`` (0.05 s, the figure the tests' expected words name) for a lock."""
    target = make_store("postgresql", tmp_path)
    store = open_store(target)
    try:
        store.save_plan("plan-1", {"created": "2026-01-01T00:00:00Z", "model_version": "m",
                                   "parameters": {"waves": 1}},
                        pa.Table.from_pylist([], schema=PLAN_SCHEMA))
    finally:
        store.close()
    monkeypatch.setattr(events_module, "LOCK_WAIT", LOCK_WAIT_S)
    return target


@contextmanager
def lock_held(target: str, lock: int) -> Iterator[None]:
    """Another session holds the advisory lock ``lock`` of the store at ``target`` inside."""
    import psycopg

    holder = psycopg.connect(target, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock,))
        yield
    finally:
        holder.close()


def sqlite_advice(command: str) -> str:
    """What the CLI says of ``command`` after "(database is locked)" for a SQLite store whose
    write lock another process holds: ": another process holds..." to the end."""
    locked = sa.exc.OperationalError("BEGIN IMMEDIATE", {},
                                     sqlite3.OperationalError("database is locked"))
    said = store_failure(locked, "s.db", command)
    assert said is not None
    return said.split("(database is locked)", 1)[1]
