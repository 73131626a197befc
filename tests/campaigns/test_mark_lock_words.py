"""A PostgreSQL store whose mark lock (``moved.MARK_LOCK``, held by a ``campaign copy``
marking it or a ``campaign reopen``, or one stopped midway) another process holds past the
wait is said as a SQLite store whose write lock is: the store named, the cause, and whether
the same command is safe; the service's 503 says the store is locked.

It was a ``StoreUnavailableError`` of its own words: the CLI printed them without its advice,
and the 503 said "down, locked or out of connections". Oracle: the CLI's sentence for
SQLite's "database is locked" (``store_failure``), whose explanation and advice the
PostgreSQL one must end with, as ``test_plans_lock_words`` does for the plans lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from helpers import run_cli

import recommender.campaigns.events as events_module
from recommender.campaigns.moved import MARK_LOCK
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import open_store
from recommender.campaigns.withdraw import withdraw
from recommender.cli.store_failure import shown_store, store_failure
from recommender.errors import StoreLockedError, store_trouble


def _stored(target: str) -> None:
    store = open_store(target)
    try:
        store.save_plan("plan-1", {"created": "2026-01-01T00:00:00Z", "model_version": "m",
                                   "parameters": {"waves": 1}},
                        pa.Table.from_pylist([], schema=PLAN_SCHEMA))
    finally:
        store.close()


@pytest.mark.parametrize("argv,command", [
    (["campaign", "withdraw", "plan-1", "--sent-waves", "0"], "campaign withdraw"),
    (["campaign", "sent", "plan-1", "--wave", "1"], "campaign sent")])
def test_a_held_mark_lock_is_said_as_a_locked_store(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        argv: list[str], command: str) -> None:
    import psycopg

    target = make_store("postgresql", tmp_path)
    _stored(target)
    monkeypatch.setattr(events_module, "LOCK_WAIT", 0.05)
    holder = psycopg.connect(target, autocommit=True)  # a mark stopped midway
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (MARK_LOCK,))
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
                    f"mark lock, PostgreSQL advisory lock {MARK_LOCK}, was held for more than "
                    "0.05 s by a `campaign copy` marking it as moved or a `campaign reopen`, "
                    "or one stopped midway, which holds it until its connection ends)"
                    f"{advice}"), line
    assert line.endswith("the same command again is safe")


def test_a_held_mark_lock_is_a_locked_store_to_the_service(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The 503's words come from ``store_trouble``: "locked", not None ("down, locked or out
    of connections"); nothing of the withdrawal is stored."""
    import psycopg

    target = make_store("postgresql", tmp_path)
    _stored(target)
    monkeypatch.setattr(events_module, "LOCK_WAIT", 0.05)
    store = open_store(target)
    holder = psycopg.connect(target, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (MARK_LOCK,))
        with pytest.raises(StoreLockedError) as raised:
            withdraw(store, "plan-1", sent_waves=0)
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM campaign_plan_withdrawals")
                                ).scalar() == 0
    finally:
        holder.close()
        store.close()
    assert store_trouble(raised.value) == "locked"
    assert raised.value.cause in str(raised.value)
    assert "nothing of this withdrawal was stored" in str(raised.value)
