"""The campaign store's schema version as this engine reads it: a newer one is refused.

A store a newer engine migrated (``schema_version`` holds a step this engine's ``MIGRATIONS``
does not know) was opened as if current: ``migrate`` stopped at ``current >= latest`` and a
reader's check refused only an older schema, so ``events status``, ``events import`` and the
service read and wrote tables whose meaning had changed. Now every opener refuses it
(``StoreSchemaNewerError``) before any write, and a store migrated from an older schema says
so on one line (``note_migrated``: the CLI prints it as a note, the service logs it).
"""

from __future__ import annotations

import logging
import os
import stat
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.errors import StoreUnavailableError

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore

#: the commands that open the store to write or to list its plans: each migrates a store at an
#: older schema as it opens it (README's list and ``store.MIGRATED_BY`` are this;
#: ``tests/campaigns/test_migrating_commands.py`` finds them by how they open the store)
MIGRATING_COMMANDS = ("plan", "events import", "campaign list", "campaign show",
                      "campaign report", "campaign sent", "campaign withdraw", "forget",
                      "train --events", "campaign copy's target")
#: the commands that open it only to read (``read_only``: at an older schema, refused) or, as
#: ``campaign backup``, copy its file as it is: none of them migrates it
READING_COMMANDS = ("events status", "campaign simulate", "campaign reopen", "campaign backup",
                    "the answering commands' --store")

#: the logger of the migration's line (the CLI's ``printing`` turns it into a ``note:``)
log = logging.getLogger("recommender.campaigns.store")


class StoreSchemaNewerError(StoreUnavailableError):
    """The store is at a schema version newer than this engine's latest (a newer engine
    migrated it): this engine neither reads nor writes it. The CLI exits 2; the service
    answers its store routes 409 and ``/health`` says ``campaign_store: schema_newer``."""

    def __init__(self, shown: str, version: int, latest: int) -> None:
        self.shown, self.version, self.latest = shown, version, latest
        super().__init__(
            f"the campaign store {shown} is at {newer_words(version, latest, 'this engine')} "
            "(every replica and command using this store)")


def newer_words(version: int, latest: int, who: str) -> str:
    """The refusal's words for a store at schema ``version`` above ``latest``, this build's:
    the schema it needs and the one it knows, and the build to look for by ``recommender
    --version`` (every build said 0.1.0: the package version tells none apart). ``who``:
    "this engine" or "this service"."""
    return (f"store schema {version}; this engine knows up to {latest} (a newer version of "
            f"the engine migrated it), and {who} neither reads nor writes it: upgrade the "
            f"engine to a build whose `recommender --version` says store schema {version} or "
            "later")


def current_version(conn: Connection) -> int:
    """The latest schema step ``schema_version`` records (0: no campaign store yet)."""
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.exec_driver_sql(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version").scalar_one())


def refuse_newer(shown: str, version: int, latest: int) -> None:
    """``StoreSchemaNewerError`` when ``version`` is above ``latest``, this engine's."""
    if version > latest:
        raise StoreSchemaNewerError(shown, version, latest)


def note_migrated(shown: str, before: int, after: int) -> None:
    """Log (INFO) that the store ``shown`` was migrated from schema ``before`` to ``after``;
    nothing for a new store (``before`` 0: created, not migrated) or one already current."""
    if 0 < before < after:
        log.info("migrated the campaign store %s from schema %d to %d", shown, before, after)


def tighten_mode(shown: str, database: str | None) -> None:
    """A SQLite store migrated from an older schema (made before stores were created readable
    by their owner only) is made so, ``0600``, with its ``-wal`` and ``-shm`` files, where
    this process owns it (logged at INFO: a command's ``note:``); one owned by another user
    is left, and a WARNING names its mode and the ``chmod`` to run. A ``file:`` URI or an
    in-memory store is left alone."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        st = os.stat(database)
    except OSError:
        return
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISREG(st.st_mode) or not mode & 0o077:
        return
    if st.st_uid != os.geteuid():
        log.warning("the campaign store %s is readable by others (mode %04o) and owned by "
                    "another user: as its owner, run chmod 600 %s (it holds every plan's user "
                    "ids and every event)", shown, mode, database)
        return
    for path in (database, f"{database}-wal", f"{database}-shm"):
        try:
            if os.stat(path).st_uid == os.geteuid():
                os.chmod(path, 0o600)
        except OSError:  # a log file not there (or gone meanwhile)
            continue
    log.info("made the campaign store %s readable by its owner only (mode %04o, now 0600), "
             "as a new store is: it holds every plan's user ids and every event (chmod it, "
             "or run the service as its owner, to share it)", shown, mode)


def newer_now(store: CampaignStore) -> StoreSchemaNewerError | None:
    """The refusal of ``store``, opened at this engine's schema, when a newer engine has
    migrated it since (a rolling upgrade): read again by a long-lived opener (the service's
    poller), where ``refuse_newer`` checked it only as the store was opened; None while it
    is not newer."""
    from recommender.campaigns.store import MIGRATIONS

    with store.engine.connect() as conn:
        version = current_version(conn)
    latest = MIGRATIONS[-1][0]
    return StoreSchemaNewerError(store.url, version, latest) if version > latest else None
