"""A PostgreSQL store whose plans lock another process holds past the wait is said as a SQLite
store whose write lock is: the store named, the cause, and whether the same command is safe.

It was "the campaign store did not store this withdrawal: a plan or a withdrawal was being
stored for too long; nothing was stored": no store named, no retry advice, and a cause
guessed (any process may hold the lock: here a session that took it by hand). Oracle: the
CLI's sentence for SQLite's "database is locked" (``store_failure``), whose explanation and
advice the PostgreSQL one must end with."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from helpers import run_cli

import recommender.campaigns.events as events_module
from recommender.campaigns.controls import PLANS_LOCK
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
from recommender.cli.store_failure import shown_store, store_failure


@pytest.mark.parametrize("argv,command", [
    (["campaign", "withdraw", "plan-1", "--sent-waves", "0"], "campaign withdraw"),
    (["campaign", "sent", "plan-1", "--wave", "1"], "campaign sent")])
def test_a_held_plans_lock_is_said_as_a_locked_store(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], command: str) -> None:
    import psycopg

    target = make_store("postgresql", tmp_path)
    store = open_store(target)
    try:
        store.save_plan("plan-1", {"created": "2026-01-01T00:00:00Z", "model_version": "m",
                                   "parameters": {"waves": 1}},
                        pa.Table.from_pylist([], schema=PLAN_SCHEMA))
    finally:
        store.close()
    monkeypatch.setattr(events_module, "LOCK_WAIT", 0.05)
    holder = psycopg.connect(target, autocommit=True)  # any process: a session by hand
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (PLANS_LOCK,))
        code, _, err = run_cli(capsys, *argv, "--store", target)
    finally:
        holder.close()
    locked = sa.exc.OperationalError("BEGIN IMMEDIATE", {},
                                     sqlite3.OperationalError("database is locked"))
    sqlite_said = store_failure(locked, "s.db", command)
    assert sqlite_said is not None
    advice = sqlite_said.split("(database is locked)", 1)[1]  # ": another process holds..."
    assert code == 2, err
    line = err.strip()
    assert line == (f"error: the campaign store {shown_store(target)} could not be used (its "
                    f"plans lock, PostgreSQL advisory lock {PLANS_LOCK}, was held by another "
                    f"process for more than 0.05 s){advice}"), line
    assert line.endswith("the same command again is safe") and "a plan or a withdrawal" \
        not in line
