"""The campaign store a command names (``--store`` or ``RECOMMENDER_STORE``), checked before use.

A missing SQLite file is not created by a reader; an in-memory one (``sqlite://``) is refused,
as it keeps nothing past the command, and so is ``--store none`` (which answers read as "the
model as trained": it names no store, and a file ``none`` was created); a new one inside a
model folder is refused, as a later save of the model removes it; a new one a writer stopped
or failed before writing to is removed again (``NewStore``).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recommender.errors import InvalidParameterError


def missing_sqlite(target: str) -> str | None:
    """The file of a SQLite store ``target`` names when that file does not exist, else None."""
    import sqlalchemy as sa

    from recommender.campaigns.store import store_url

    try:
        url = sa.engine.make_url(store_url(target))
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port not a number
        return None  # open_store says why
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not os.path.exists(url.database):
        return str(url.database)
    return None


def say_served_store() -> None:
    """Say (stderr) that ``RECOMMENDER_STORE`` names a SQLite file that is not there, which
    ``serve`` creates as it starts (``new_store_note``, as ``plan`` and ``events import`` say
    of theirs): a misspelt path served an empty store without a word. The default store
    beside the model, made on a first start, is not said."""
    from recommender.campaigns.connection import new_sqlite_file, new_store_note

    target = os.environ.get("RECOMMENDER_STORE")
    new = new_sqlite_file(target) if target else None
    if new is not None:
        path = Path(os.path.realpath(new))
        note = new_store_note(path, not path.parent.exists(), made=False)
        print(f"note: RECOMMENDER_STORE: {note}", file=sys.stderr, flush=True)


#: ``--store``'s help on a command that needs a campaign store (``refuse_no_store``)
NEEDED_STORE_HELP = ("campaign store URL or SQLite file (default: $RECOMMENDER_STORE); this "
                     "command needs one: --store none (no store, as answers read it) is "
                     "refused, and a file named none is ./none")


def command_name(args: argparse.Namespace) -> str:
    """The command ``args`` ran, with its action (``campaign report``, ``events import``)."""
    words = [getattr(args, n, None) for n in ("command", "campaign_command", "events_command")]
    return " ".join(w for w in words if isinstance(w, str)) or "this command"


def refuse_no_store(args: argparse.Namespace) -> None:
    """Refuse ``--store none`` (any case) on a command that needs a campaign store: answers
    read it as the model as trained, with no store, but here ``none`` was read as a file
    path and a store file named ``none`` was created (``plan``'s reading: ``cmd_plan``)."""
    from recommender.cli.answer_store import no_store

    if no_store(args):
        raise InvalidParameterError(
            f"{command_name(args)} needs a campaign store, and --store none names none (none "
            "means no store, the model as trained, to the commands that answer from a "
            "model): name the store with --store URL or SQLite file (a file named none: "
            "--store ./none) or set RECOMMENDER_STORE")


def refuse_in_memory(target: str) -> None:
    """Refuse an in-memory SQLite store (``sqlite://``): what a command stored there was gone
    when it ended, and it said "stored" (only the service keeps one, for its own life)."""
    from recommender.campaigns.connection import in_memory_sqlite

    if in_memory_sqlite(target):
        raise InvalidParameterError(
            f"the campaign store {target} is an in-memory SQLite database, gone when this "
            "command ends: it keeps nothing and holds nothing (give a SQLite file path or a "
            "PostgreSQL URL)")


def refuse_new_store_in_a_model(target: str) -> None:
    """Refuse (``InvalidParameterError``) a SQLite store that does not exist yet and would be
    created inside a model folder (``--store MODEL/current/s.db``): the version it lies in is
    removed by a later ``train --out MODEL`` (two saves on), and every acknowledged event
    with it. A store already there still opens; other URLs pass."""
    from recommender.io.atomic import not_in_a_model

    missing = missing_sqlite(target)
    if missing is not None and missing.startswith("file:"):  # a SQLite URI (?uri=true)
        from urllib.parse import unquote, urlsplit  # the file it names, as SQLite reads it

        missing = unquote(urlsplit(missing).path) or None
        missing = None if missing is None or os.path.exists(missing) else missing
    if missing is None:
        return
    try:
        not_in_a_model(missing)
    except InvalidParameterError as e:
        raise InvalidParameterError(
            f"the campaign store {missing} would be created inside a model folder ({e}); a "
            "later save of the model removes its old versions, and a store there with them: "
            "put the store elsewhere") from None


def _store(args: argparse.Namespace, create: bool = True, read_only: bool = False) -> Any:
    """The campaign store of ``--store`` or ``RECOMMENDER_STORE``; a reader (``create`` False)
    never creates a missing SQLite file, and with ``read_only`` neither migrates it nor
    takes its write lock."""
    from recommender.campaigns.store import open_store

    refuse_no_store(args)
    target = args.store or os.environ.get("RECOMMENDER_STORE")
    if not target:
        raise InvalidParameterError("no campaign store: pass --store URL or set "
                                    "RECOMMENDER_STORE")
    refuse_in_memory(target)
    missing = None if create else missing_sqlite(target)
    if create:
        refuse_new_store_in_a_model(target)
    if missing is not None:
        raise InvalidParameterError(f"no campaign store at {missing}: the file does not "
                                    "exist (plan with --store to create one)")
    return open_store(target, read_only=read_only)


class NewStore:
    """A command's campaign store, opened with ``open``: when ``target`` names a SQLite file
    that did not exist and the ``with`` block ends in an error, Ctrl-C or SIGTERM, the file
    the store was created in is removed again, unless something was written to it (by this
    command or another; ``remove_if_unwritten``). ``plan`` and ``events import`` opened the
    store (created and migrated, so that a bad URL fails first) and then failed later (a model
    folder that does not exist, a stop): an empty store file stayed behind, which the next
    ``plan`` read as a store holding no campaign."""

    def __init__(self, target: str | None) -> None:
        from recommender.campaigns.connection import new_sqlite_file

        new = new_sqlite_file(target) if target else None
        # the file SQLite creates: a dangling link's target (the link itself is the user's)
        self.created = Path(os.path.realpath(new)) if new is not None else None
        # its folder too: a new store's folders are made with it (``say_created``)
        self.folder = self.created is not None and not self.created.parent.exists()
        self.store: Any = None

    def say_created(self) -> None:
        """Once the command succeeded: a ``note:`` on stderr naming the store file it created
        (``new_store_note``), where there was none; nothing for a store that was there. A
        misspelt ``--store`` (campaign.db for campaigns.db) made a new, empty store that
        ``plan`` named only as "stored in sqlite:///..."."""
        if self.created is not None and self.created.exists():
            from recommender.campaigns.connection import new_store_note

            print(f"note: {new_store_note(self.created, self.folder)}", file=sys.stderr)

    def open(self, opener: Callable[[], Any]) -> Any:
        """``opener()``, the store, closed by this guard before it removes the file."""
        self.store = opener()
        return self.store

    def __enter__(self) -> NewStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None or self.created is None:
            return
        if self.store is not None:
            self.store.close()
        if remove_if_unwritten(self.created):
            REMOVED.append(self.created)


#: the new store files ``NewStore`` removed again, in order (``cli.main`` says a store that
#: failed under a command was one it created and removed: "what was committed stays" was not so)
REMOVED: list[Path] = []


#: seconds ``remove_if_unwritten`` waits for another connection to let go (else: kept)
REMOVE_WAIT = 2.0


def remove_if_unwritten(path: Path) -> bool:
    """Remove the SQLite store file ``path`` (and its ``-wal``, ``-shm`` and ``-journal``)
    when its tables hold nothing but the schema's own rows (``schema_version`` and the store's
    id) and no other connection has it open, deciding and removing under the file's exclusive
    lock; a file that cannot be read, locked past ``REMOVE_WAIT`` seconds, or holding anything
    is kept. Whether it was removed.

    In WAL mode every open connection (another ``plan``'s, a service's pool) holds a shared
    lock on the file for its life, which the exclusive lock (``locking_mode=EXCLUSIVE``)
    cannot share: under the write lock alone, a store another command had opened, not yet
    written to, was removed under it, and its writes then failed, or went to the unlinked
    file."""
    from recommender.campaigns.store import schema_version, store_info

    own = {schema_version.name, store_info.name}
    if not path.exists():  # a failure before SQLite created it (a folder that does not exist)
        return False
    try:
        conn = sqlite3.connect(path, timeout=REMOVE_WAIT, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")  # the file's own lock, held to close
        conn.execute("BEGIN EXCLUSIVE")
        names = [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        if any(conn.execute(f'SELECT 1 FROM "{n}" LIMIT 1').fetchone() is not None
               for n in names if n not in own):
            return False
        for p in (path, *(Path(f"{path}{end}") for end in ("-wal", "-shm", "-journal"))):
            p.unlink(missing_ok=True)
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()
