"""What the CLI says when the campaign store, opened fine, fails in the middle of a command."""

from __future__ import annotations

import sys

from recommender.errors import disk_full, read_only


def store_failure(e: BaseException) -> str | None:
    """What to say when the campaign store, opened fine, fails in the middle of a command:
    another process held a SQLite store's write lock past the busy wait (30 s), PostgreSQL
    went away, no connection came free, the driver cannot read it (a damaged SQLite file: it
    was a traceback); else None. What was committed before stays (an
    events import run again stores only the rest)."""
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
    if damaged and not read_only(e):
        return (f"the campaign store could not be read ({cause[:300]}): its database is "
                "damaged (a SQLite file cut or overwritten) or holds no campaign store; "
                "restore it from a backup (sqlite3's .recover may save its rows); what was "
                "committed before this stays")
    if read_only(e):  # a PostgreSQL standby (an InternalError: it was a traceback)
        return (f"the campaign store refuses writes ({cause[:300]}): it is read-only (a "
                "PostgreSQL standby, or a file or folder that cannot be written); what was "
                "committed before this stays, and the same command again on a writable store "
                "is safe (events are recognised by event_id)")
    if disk_full(e):
        return (f"the campaign store could not be written ({cause[:300]}): the disk that "
                "holds it is full; what was committed before this stays, and the same command "
                "again once there is room is safe (events are recognised by event_id)")
    return (f"the campaign store could not be used ({cause[:300]}): another process may "
            "hold it (a writer waits 30 s for another's lock), or the database is down; what "
            "was committed before this stays, and the same command again is safe (events "
            "are recognised by event_id)")
