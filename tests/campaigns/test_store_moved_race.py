"""The mark of a moved store cannot slip in between a writer's look at it and its commit, on
SQLite and on PostgreSQL: each writer looks under a lock the mark waits for.

The race is made without timing: as the writer finishes looking, another connection tries to
write the mark without waiting (SQLite: ``BEGIN IMMEDIATE`` with no busy timeout; PostgreSQL:
``mark_moved`` with a 1 ms ``lock_timeout``). Oracle: that attempt finds the store locked, and
the mark written after the writer counts what it stored."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

import recommender.campaigns.events as events_module
import recommender.campaigns.moved as moved
from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.store import CampaignStore, open_store
from recommender.errors import StoreLockedError


def mark_now(target: str) -> str:
    """Try to mark the store at ``target`` without waiting: "locked", or "marked"."""
    if "://" not in target:
        conn = sqlite3.connect(target, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO campaign_store_info (key, value) VALUES (?, ?)",
                         (moved.MOVED_KEY, json.dumps({"to": "sqlite:////x.db", "at": "now"})))
            conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            assert "locked" in str(e)
            return "locked"
        finally:
            conn.close()
        return "marked"
    fast = target + ("&" if "?" in target else "?") + "options=-c%20lock_timeout%3D1"
    try:
        moved.mark_moved(fast, "sqlite:////x.db", 0, 0)
    except sa.exc.OperationalError as e:
        assert "lock timeout" in str(e)
        return "locked"
    return "marked"


def save(store: CampaignStore) -> None:
    store.save_plan("plan-1", {"created": "x", "model_version": "m"},
                    pa.Table.from_pylist([], schema=PLAN_SCHEMA))


def record(store: CampaignStore) -> None:
    record_events(store, EventBatch(["e1"], ["u"], ["f"], [1_700_000_000], [1.0]))


@pytest.mark.parametrize("write", [save, record], ids=["plan", "events"])
def test_a_mark_waits_for_a_writer_that_found_none(
        store_target: str, write: Callable[[CampaignStore], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan looked for the mark outside any lock (SQLite: before its transaction began;
    PostgreSQL: with no lock the mark takes): a copy marking the store just then committed
    its mark, and the plan was stored after it, in a store that had been moved, and uncounted
    by the copy's warning."""
    store = open_store(store_target)
    tried: list[str] = []
    looked = moved.refuse_if_moved

    def then_mark(conn: sa.Connection, url: str, what: str) -> None:
        looked(conn, url, what)
        tried.append(mark_now(store_target))

    monkeypatch.setattr(moved, "refuse_if_moved", then_mark)
    monkeypatch.setattr(events_module, "refuse_if_moved", then_mark)
    try:
        write(store)
    finally:
        monkeypatch.undo()
    try:
        assert tried == ["locked"]
        mark = moved.mark_moved(store_target, "sqlite:////y.db", 0, 0)
        assert (mark.events, mark.plans, mark.earlier) == \
            ((1, 0, None) if write is record else (0, 1, None))
    finally:
        store.close()


def test_a_plan_waits_for_a_held_mark_lock_as_event_writers_do(
        make_store: Callable[[str, Path], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan took ``MARK_LOCK`` with no bound on its wait: a mark or reopen stopped while it
    held the lock (a suspended ``campaign copy``, a client cut off) hung every plan for ever,
    where event writers give up after ``LOCK_WAIT``. Now the plan is refused (503 in the
    service) and nothing of it is stored. A 5 s ``statement_timeout`` stands in for "for
    ever" (it cancels the old wait, with another SQLSTATE)."""
    import psycopg

    target = make_store("postgresql", tmp_path)
    monkeypatch.setattr(events_module, "LOCK_WAIT", 0.05)
    store = open_store(target + "&options=-c%20statement_timeout%3D5000")
    holder = psycopg.connect(target, autocommit=True)  # a mark stopped midway
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (moved.MARK_LOCK,))
        with pytest.raises(StoreLockedError, match="its mark lock, PostgreSQL advisory "
                                                   "lock [0-9]+, was held for more than 0.05 s"):
            save(store)
        holder.execute("SELECT pg_advisory_unlock(%s)", (moved.MARK_LOCK,))
        save(store)
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM campaign_plans")).scalar() == 1
    finally:
        holder.close()
        store.close()
