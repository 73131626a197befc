"""What the CLI says when the campaign store, opened fine, fails in the middle of a command."""

from __future__ import annotations

import argparse
import os
import sys

from recommender.errors import StoreLockedError, disk_full, read_only, store_trouble


def shown_store(target: str) -> str:
    """The campaign store ``target`` (``--store``'s value) as a failure names it: a SQLite
    store by its file's path, any other by its URL as given, its password and secret query
    values hidden (``shown_target``: a password holding an unencoded "@" too)."""
    import sqlalchemy as sa

    from recommender.campaigns.connection import shown_target, store_url
    from recommender.errors import RecommenderError

    try:
        url = sa.engine.make_url(store_url(target))
    except (sa.exc.ArgumentError, ValueError, RecommenderError):
        return shown_target(target)
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return shown_target(target)


def failed_store(args: argparse.Namespace) -> str | None:
    """The campaign store ``args``' command used, as ``shown_store`` names it: ``train``'s
    ``--events``; else ``--store`` (``none``: no store), ``RECOMMENDER_STORE``, or the one
    beside the model that readers fold in when it exists; ``campaign copy`` and ``backup``
    name their copy (``--to``) too. None where there is none."""
    from recommender.cli.answer_store import no_store

    if getattr(args, "command", None) == "train":
        target = getattr(args, "events", None)
    elif not hasattr(args, "store") or no_store(args):
        target = None
    else:
        target = args.store or os.environ.get("RECOMMENDER_STORE")
        if not target and isinstance(getattr(args, "model", None), str):
            from recommender.campaigns.default_store import existing_default_store

            try:
                beside = existing_default_store(args.model)
            except (OSError, ValueError):  # a model "/" has no name to put a store beside
                beside = None
            target = str(beside) if beside is not None else None
    if not target:
        return None
    copy = getattr(args, "to", None)
    if getattr(args, "command", None) == "campaign" and isinstance(copy, str) and copy:
        return f"{shown_store(target)} (or its copy, {shown_store(copy)})"
    return shown_store(target)


def _after(command: str | None, removed: bool, when: str) -> str:
    """What of the store stays after the failure, and whether the same command again (``when``:
    "once there is room"...) is safe, in ``command``'s terms."""
    again = f"the same command again{when}"
    unwritten = "; no plan file was written" if command == "plan" else ""
    if removed:  # a new SQLite file, which NewStore removed as nothing was written to it
        return (f"this command had created it, and it was removed again (nothing was stored in "
                f"it){unwritten}; {again} creates it afresh")
    if command == "plan":  # one transaction, committed before the files are put in place
        return f"nothing of this plan was stored{unwritten}; run {again}"
    if command == "events import":
        return ("the events committed before this stay in it, and " + again + " skips them "
                "(events are recognised by event_id) and stores the rest")
    return f"what was committed before this stays, and {again} is safe"


def store_failure(e: BaseException, store: str | None = None, command: str | None = None,
                  removed: bool = False) -> str | None:
    """What to say when the campaign store, opened fine, fails in the middle of a command:
    another process held a SQLite store's write lock past the busy wait (30 s), or PostgreSQL's
    plans lock (``StoreLockedError``), PostgreSQL went away, no connection came free, the
    driver cannot read it (a damaged SQLite file: it was a traceback), its disk is full, it
    refuses writes; else None. ``store``: the store as ``failed_store`` names it;
    ``command``: the command (``stores.command_name``), whose terms say what stays and
    whether to run it again; ``removed``: the store was a new SQLite file this command
    created, removed again (``NewStore``)."""
    if isinstance(e, StoreLockedError):  # PostgreSQL's plans lock: said as SQLite's lock
        return _unusable(e, e.cause, store, command, removed)
    exc = sys.modules.get("sqlalchemy.exc")  # imported by whatever opened a store
    # a plain DatabaseError: a store the driver cannot read (SQLite's "database disk image is
    # malformed"; a traceback here, a 503 in the service); its other subclasses but
    # OperationalError (an integrity or programming error) are this engine's bugs: tracebacks
    damaged = exc is not None and (type(e) is exc.DatabaseError or (
        # text that is not UTF-8 (a page overwritten): an OperationalError, which was said
        # to be another process's lock or a database down
        isinstance(e, exc.OperationalError)
        and str(getattr(e, "orig", None) or e).startswith("Could not decode to UTF-8")))
    if exc is None or not (isinstance(e, exc.OperationalError | exc.TimeoutError) or damaged
                           or (isinstance(e, exc.DatabaseError) and read_only(e))):
        return None
    cause = (str(getattr(e, "orig", None) or e).strip().splitlines() or [type(e).__name__])[0]
    named = f"the campaign store {store}" if store else "the campaign store"
    if damaged and not read_only(e):
        return (f"{named} could not be read ({cause[:300]}): its database is damaged (a "
                "SQLite file cut or overwritten) or holds no campaign store; restore it from "
                "a backup (sqlite3's .recover may save its rows); " + _after(
                    command, removed, " on the restored store"))
    if read_only(e):  # a PostgreSQL standby (an InternalError: it was a traceback)
        return (f"{named} refuses writes ({cause[:300]}): it is read-only (a PostgreSQL "
                "standby, or a file or folder that cannot be written); "
                + _after(command, removed, " on a writable store"))
    if disk_full(e):
        return (f"{named} could not be written ({cause[:300]}): the disk that holds it is "
                "full; " + _after(command, removed, " once there is room"))
    return _unusable(e, cause, store, command, removed)


def _unusable(e: BaseException, cause: str, store: str | None, command: str | None,
              removed: bool) -> str:
    """``store_failure``'s sentence for a store locked, unreachable or out of connections
    (``store_trouble``: the service's 503 names the same), else one that may be either."""
    named = f"the campaign store {store}" if store else "the campaign store"
    why = {"locked": "another process holds it locked (a writer waits 30 s for another's "
                     "lock; on PostgreSQL, pg_locks names the holder)",
           "unreachable": "the database cannot be connected to (down, or unreachable)",
           "no_connection": "no connection of its pool came free in time"}.get(
        store_trouble(e) or "", "another process may hold it (a writer waits 30 s for "
                                "another's lock), or the database is down")
    return f"{named} could not be used ({cause[:300]}): {why}; " + _after(command, removed, "")
