"""A store that ``campaign copy`` moved: marked, so that it records nothing more until reopened.

A copy keeps the store's id (``copy_store``), so the old store and its copy answer to one id:
an event the old store recorded after the copy would bear a sequence number the copy also gives
to one of its own, and a model trained with the old store's events would take the copy's event
for one it has seen (or the reverse). So once the copy is committed, the CLI marks the source
(``mark_moved``: a ``moved_to`` row in ``campaign_store_info``, naming the copy, passwords
hidden, and the time), and every writer refuses a marked store inside its own transaction
(``refuse_if_moved``: the events writer under its lock, so no event slips in after the mark;
a plan as it is saved): ``StoreMovedError``, exit 2 in the CLI and 409 over HTTP, naming the
copy. Reading (reports, ``train --events``, a served model's events) goes on. ``reopen``
removes the mark, for a copy that was dropped.

The mark is written in the writers' transaction of the source (SQLite's write lock, the
writers' advisory lock on PostgreSQL, and ``MARK_LOCK``, which each plan holds shared while it
is stored: ``check_plan``), which also counts what the source recorded after the copy read it:
those events and plans are not in the copy, and with the mark none can follow. A plan looked
for the mark outside any lock (SQLite: before its transaction began; PostgreSQL: under no lock
the mark takes), so a mark committed just then was followed by the plan, uncounted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.store import CampaignStore, open_store, plans, store_info
from recommender.errors import InvalidParameterError, StoreLockedError
from recommender.io.text import iso_shown, iso_utc

MOVED_KEY = "moved_to"
#: PostgreSQL's advisory lock between the mark (exclusive) and the plans being stored (shared:
#: plans wait neither for each other nor for events, which the writers' lock holds off)
MARK_LOCK = 0x6D6F7665  # "move"


class StoreMovedError(InvalidParameterError):
    """A write to a store ``campaign copy`` moved (the CLI exits 2; the service answers 409,
    saying ``at``, when it was moved, and ``what`` was refused, but neither store's URL)."""

    def __init__(self, message: str, at: str = "", what: str = "") -> None:
        super().__init__(message)
        self.at, self.what = at, what


@dataclass(frozen=True)
class Moved:
    """Where a store was moved (``to``, passwords hidden), when (``at``, UTC), and the events
    and plans it recorded while the copy was made (``missed``: not in the copy)."""

    to: str
    at: str
    missed: tuple[int, int] = (0, 0)


def moved_to(conn: Connection) -> Moved | None:
    """The store's mark, read in ``conn``'s transaction; None when it was not moved."""
    found = conn.execute(sa.select(store_info.c.value).where(
        store_info.c.key == MOVED_KEY)).scalar_one_or_none()
    if found is None:
        return None
    try:
        value: Any = json.loads(str(found))
        missed = value.get("missed") or (0, 0)
        return Moved(str(value["to"]), iso_shown(str(value["at"])),
                     (int(missed[0]), int(missed[1])))
    except (ValueError, KeyError, TypeError):  # written by hand: still a mark
        return Moved(str(found), "an unknown time")


def refuse_if_moved(conn: Connection, url: str, what: str) -> None:
    """Raise ``StoreMovedError`` when the store at ``url`` is marked as moved; ``what`` is
    what was refused ("this batch", "this plan"), said as not stored."""
    mark = moved_to(conn)
    if mark is not None:
        raise StoreMovedError(
            f"the campaign store {url} was moved to {mark.to} by `recommender campaign copy` "
            f"({mark.at}) and records nothing more (both carry one store id, so an event in "
            f"each would be taken for the other): record in {mark.to} (RECOMMENDER_STORE, "
            f"--store); if that copy was dropped, `recommender campaign reopen --store "
            f"{url}` opens this one again. Nothing of {what} was stored", mark.at, what)


def copy_refused(url: str, mark: Moved) -> str:
    """Why a copy of the store at ``url``, marked as moved (``mark``), is refused: copy the
    copy, unless it lacks what this store recorded while it was made (it said "it holds all
    this one had", and a copy of it lost them)."""
    if any(mark.missed):
        return (f"the source {url} was moved to {mark.to} ({mark.at}), which lacks the "
                f"{mark.missed[0]:,} event(s) and {mark.missed[1]:,} plan(s) this one recorded "
                f"while it was copied: `recommender campaign reopen --store {url}`, then copy "
                f"this one again (and drop {mark.to}); nothing was written to the target")
    return (f"the source {url} was moved to {mark.to} ({mark.at}): copy that one (it holds all "
            "this one had, and what came since), or `recommender campaign reopen` this one if "
            "it was dropped; nothing was written to the target")


def check_plan(conn: Connection, store: CampaignStore, what: str = "this plan") -> None:
    """``refuse_if_moved`` first in a plan's transaction (or a withdrawal's: ``what``), under a
    lock the mark waits for (SQLite's write lock; on PostgreSQL ``MARK_LOCK``, shared)."""
    if store.dialect == "postgresql":
        _share_mark_lock(conn, store.url, what)
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    refuse_if_moved(conn, store.url, what)


def _share_mark_lock(conn: Connection, url: str, what: str) -> None:
    """``MARK_LOCK`` shared, waiting at most ``events.LOCK_WAIT`` seconds (or the session's own
    ``lock_timeout``), as event writers wait for theirs; the plan's own statements then wait
    as before. It waited for ever: a mark or reopen stopped mid-transaction (a suspended
    ``campaign copy``, a client cut off) hung every plan, each holding a pooled connection.
    Past the wait, ``StoreLockedError`` with its cause, as ``controls.take_plans_lock``: the
    CLI says it as SQLite's "database is locked" (the store, the cause, run the command
    again), the service's 503 says the store is locked (it said "down, locked or out of
    connections", the CLI a sentence of its own without the store's name or advice)."""
    from recommender.campaigns.connection import advisory_lock_within
    from recommender.campaigns.events import LOCK_WAIT

    waited = advisory_lock_within(conn, MARK_LOCK, LOCK_WAIT, shared=True)
    if waited is not None:
        cause = (f"its mark lock, PostgreSQL advisory lock {MARK_LOCK}, was held for more than "
                 f"{waited} by a `campaign copy` marking it as moved or a `campaign reopen`, "
                 "or one stopped midway, which holds it until its connection ends")
        raise StoreLockedError(f"the campaign store {url} did not store {what}: {cause} "
                               "(pg_locks names the holder, pg_terminate_backend ends it); "
                               f"nothing of {what} was stored, and the same request again is "
                               "safe", cause)


def check_store(store: CampaignStore, what: str) -> None:
    """``refuse_if_moved`` before the work (a plan), not only as it is stored."""
    with store.engine.connect() as conn:
        refuse_if_moved(conn, store.url, what)


@dataclass(frozen=True)
class MarkResult:
    """What the source recorded after the copy read it (``events``, ``plans``), counted in
    the transaction that marked it, so final; ``earlier``: the mark another copy of the same
    source, made at the same time, wrote first, which stays (this one wrote nothing)."""

    events: int
    plans: int
    earlier: Moved | None


def _writers_transaction(conn: Connection, store: CampaignStore) -> None:
    from recommender.campaigns.events import take_writers_lock

    if store.dialect == "postgresql":  # events, then the plans being stored
        take_writers_lock(conn)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MARK_LOCK})
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def recorded_since(conn: Connection, last_seq: int, plans_copied: int) -> tuple[int, int]:
    """The events (past sequence ``last_seq``) and plans the store holds beyond what a copy
    read from its snapshot (``plans_copied`` plans), read in ``conn``."""
    from recommender.campaigns.events import events

    count = sa.select(sa.func.count())
    n_events = int(conn.execute(count.select_from(events).where(
        events.c.seq > last_seq)).scalar_one())
    n_plans = int(conn.execute(count.select_from(plans)).scalar_one()) - plans_copied
    return n_events, max(0, n_plans)


def mark_moved(source: str, target_shown: str, last_seq: int, plans_copied: int,
               now: float | None = None) -> MarkResult:
    """Mark the store at ``source`` as moved to ``target_shown`` (a copy that read it through
    event ``last_seq`` and ``plans_copied`` plans); database errors are raised as they are."""

    at = iso_utc(time.time() if now is None else now)
    store = open_store(source)
    try:
        with store.engine.begin() as conn:
            _writers_transaction(conn, store)
            earlier = moved_to(conn)
            if earlier is not None:  # its operator was told to use that copy: it stays
                return MarkResult(0, 0, earlier)
            missed = recorded_since(conn, last_seq, plans_copied)  # ``copy_refused`` says them
            conn.execute(store_info.delete().where(store_info.c.key == MOVED_KEY))
            conn.execute(store_info.insert().values(key=MOVED_KEY, value=json.dumps(
                {"to": target_shown, "at": at, "missed": missed}, ensure_ascii=False)))
        return MarkResult(*missed, None)
    finally:
        store.close()


def reopen(source: str) -> tuple[str, Moved | None]:
    """Remove the store's mark (it records again): its URL (password hidden) and the mark
    removed (None when it had none). Opened as a reader: a database that holds no store, or an
    older one (no copy marked it), is refused as it is, where it was migrated into a store."""
    store = open_store(source, read_only=True)  # the mark's delete needs no migration
    try:
        with store.engine.begin() as conn:
            _writers_transaction(conn, store)
            mark = moved_to(conn)
            conn.execute(store_info.delete().where(store_info.c.key == MOVED_KEY))
        return store.url, mark
    finally:
        store.close()
