"""The ``campaign copy`` action: copy a campaign store into a new database (SQLite to PostgreSQL).

``recommender campaign copy --store SRC --to DST`` copies every plan, opt-out, link,
idempotency key and event of the store ``SRC`` (or ``$RECOMMENDER_STORE``) into ``DST``, a
SQLite file that does not exist yet or an empty PostgreSQL database, keeping its ids, its event
sequence numbers and its store id (``recommender.campaigns.copy_store``). Progress goes to
stderr for tables of more than one chunk; a refusal or a failure is one line and exit 2, and
leaves ``DST`` as it was (the copy is one transaction). Once the copy is committed, ``SRC`` is
marked as moved (``recommender.campaigns.moved``): it refuses events and plans from then on,
and what it recorded while it was copied (a service still writing to it) is warned of, with
their number: the copy holds the store as it was when it was read, without them.
``recommender campaign reopen --store SRC`` removes the mark (a copy that was dropped).
``recommender campaign backup --store SRC --to FILE`` backs a SQLite store up without marking
it (``recommender.campaigns.backup``): writers go on.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from recommender.errors import InvalidParameterError, RecommenderError, Terminated

if TYPE_CHECKING:
    from recommender.campaigns.moved import StoreMovedError


def add_copy_action(sub: Any) -> None:
    """``campaign copy`` on the ``campaign`` command's sub-parsers."""
    c = sub.add_parser(
        "copy", help="move the store into a new, empty database (SQLite to PostgreSQL): the "
                     "old store then refuses events and plans (writers are cut off); not a "
                     "backup (campaign backup)",
        description="move a campaign store: copy every table into a new, empty database, in "
                    "one transaction, with the event sequence set past the copied events, then "
                    "mark the old store as moved: it refuses events and plans from then on "
                    "(a service still on it answers 409). To back up a store that stays in "
                    "use, run `recommender campaign backup --store URL --to FILE`")
    c.add_argument("--store", help="the store to move: URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE); read, then marked as moved; --store none "
                                   "(no store) is refused")
    c.add_argument("--to", required=True, metavar="URL",
                   help="the new store: a SQLite file that does not exist yet, or an empty "
                        "PostgreSQL database (postgresql://...; its tables are created)")
    c.set_defaults(campaign_action=cmd_campaign_copy)
    b = sub.add_parser(
        "backup", help="back up a SQLite store while it is in use (writers go on): one "
                       "consistent file, the store left as it was",
        description="copy a SQLite campaign store into a new file with SQLite's online backup "
                    "API, as it was at one moment, while services and imports go on writing "
                    "to it (it is not marked as moved, unlike campaign copy); the file is "
                    "checked and written under a temporary name first. For PostgreSQL, use "
                    "pg_dump. Restore by pointing RECOMMENDER_STORE at the file (or copying it "
                    "into place while nothing has the store open)")
    b.add_argument("--store", help="the store to back up: SQLite file or sqlite:///PATH "
                                   "(default: $RECOMMENDER_STORE; --store none, no store, is "
                                   "refused)")
    b.add_argument("--to", required=True, metavar="FILE",
                   help="the backup: a file that does not exist yet")
    b.set_defaults(campaign_action=cmd_campaign_backup)
    r = sub.add_parser(
        "reopen", help="let a store that `campaign copy` marked as moved record events and "
                       "plans again (when its copy was dropped)",
        description="remove the mark `campaign copy` leaves on the store it copied: the store "
                    "takes events and plans again; record in only one of it and its copy")
    r.add_argument("--store", help="the store to reopen: URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE; --store none, no store, is refused)")
    r.set_defaults(campaign_action=cmd_campaign_reopen)


def _named_store(args: argparse.Namespace, action: str) -> str:
    """``--store``, else ``$RECOMMENDER_STORE``: the store to ``action`` (``--store none``
    refused: ``stores.refuse_no_store``)."""
    from recommender.cli.stores import refuse_no_store

    refuse_no_store(args)
    source: str | None = args.store or os.environ.get("RECOMMENDER_STORE")
    if not source:
        raise InvalidParameterError(f"no campaign store to {action}: pass --store URL or set "
                                    "RECOMMENDER_STORE")
    return source


class _Progress:
    """One line on stderr per twentieth of each table longer than one chunk."""

    def __init__(self, chunk: int) -> None:
        self.chunk = chunk
        self.step: dict[str, int] = {}

    def __call__(self, table: str, done: int, total: int) -> None:
        from recommender.campaigns.copy_store import NAMES

        if total <= self.chunk:
            return
        step = 20 * done // total
        if step > self.step.get(table, 0):
            self.step[table] = step
            print(f"copying {NAMES.get(table, table)}: {done:,}/{total:,} rows",
                  file=sys.stderr)


def cmd_campaign_copy(args: argparse.Namespace) -> int:
    from recommender.campaigns.copy_store import COPY_CHUNK, NAMES, copy_store
    from recommender.cli.interrupts import HeldInterrupts
    from recommender.cli.stores import refuse_new_store_in_a_model

    source = _named_store(args, "copy")
    refuse_new_store_in_a_model(args.to)
    # from the commit on, Ctrl-C and SIGTERM wait for it: the copy is made, then they act
    with HeldInterrupts() as held:
        try:
            result = copy_store(source, args.to, COPY_CHUNK, _Progress(COPY_CHUNK), lambda: (
                held.hold(f"note: the signal came as the copy into {args.to} was being "
                          "committed: it was completed, not undone")))
        except (KeyboardInterrupt, Terminated):
            print(f"note: the copy was stopped; nothing was written to {args.to} (the copy "
                  "is one transaction, rolled back)", file=sys.stderr)
            raise
        rows = result.rows
        said = ", ".join(f"{NAMES.get(name, name)}: {rows[name]:,}" for name in rows
                         if name != "campaign_store_info")
        print(f"copied {result.source} to {result.target}: {said}; every count checked. "
              f"Store id {result.store_id} kept (a model trained with its events recognises "
              f"the copy); the copy's next event gets sequence {result.next_seq:,}")
        plans_copied = rows.get("campaign_plans", 0)
        later, marked = _mark(source, result.source, result.target, result.last_seq,
                              plans_copied)
        print(f"note: the store was moved, not backed up: {result.source} is "
              f"{'marked as moved' if marked else 'not marked'}: "
              f"both stores now carry store id {result.store_id}, so "
              + ("it refuses new events and plans (`recommender campaign reopen --store "
                 f"{result.source}` undoes the mark if this copy is dropped)" if marked else
                 "record nothing more in it")
              + f"; point the service (RECOMMENDER_STORE) and imports at {result.target} (a "
                "service already on it reads the copy at its next poll); to back up a store "
                "that stays in use, run `recommender campaign backup --store URL --to FILE`",
              file=sys.stderr)
        # said before a signal held since the commit acts (exit 130): it was lost with it
        if later is None:
            later = _recorded_since(source, result.last_seq, plans_copied)
        if any(later):  # a marked source refuses a copy until reopened (``copy_refused``)
            again = (f"`recommender campaign reopen --store {result.source}` (marked as moved "
                     f"to {result.target}), then " if marked else "then ")
            print(f"warning: {result.source} recorded {later[0]:,} event(s) and "
                  f"{later[1]:,} plan(s) after the copy read it (a service or an import still "
                  f"writes to it); {result.target} holds the store as it was before them, and "
                  f"they would be lost with the old store: stop what writes to "
                  f"{result.source}, {again}copy it again into a new target (drop this one)",
                  file=sys.stderr)
    return 0


def cmd_campaign_backup(args: argparse.Namespace) -> int:
    from recommender.campaigns.backup import backup_store

    made = backup_store(_named_store(args, "back up"), args.to)
    print(f"backed up {made.source} to {made.path} ({made.size:,} bytes, schema version "
          f"{made.schema_version}: {made.plans:,} plans, {made.events:,} events), as it was at "
          "one moment; the store was left in use (writers went on)")
    return 0


def _mark(source: str, shown: str, target: str, last_seq: int, plans_copied: int
          ) -> tuple[tuple[int, int] | None, bool]:
    """Mark the source as moved (``campaigns.moved``): what it recorded after the copy read it,
    counted under the mark's lock (None when it could not be marked), and whether it was."""
    import sqlalchemy as sa

    from recommender.campaigns.moved import mark_moved

    try:
        mark = mark_moved(source, target, last_seq, plans_copied)
    except (InvalidParameterError, sa.exc.DBAPIError) as e:
        cause = (str(getattr(e, "orig", None) or e).strip().splitlines() or ["?"])[0][:300]
        print(f"warning: the copy is made, but {shown} could not be marked as moved ({cause})"
              ": it would still take events and plans", file=sys.stderr)
        return None, False
    if mark.earlier is not None:  # that copy's operator was told to use it: its mark stays
        raise InvalidParameterError(
            f"the copy into {target} is made, but another copy of {shown}, into "
            f"{mark.earlier.to}, was made meanwhile and marked it as moved first "
            f"({mark.earlier.at}); {shown} names that one and refuses events and plans: the "
            f"two copies carry one store id, drop {target}")
    return (mark.events, mark.plans), True


def _recorded_since(source: str, last_seq: int, plans_copied: int) -> tuple[int, int]:
    """The events (past sequence ``last_seq``) and plans the source holds beyond what the
    copy read from its snapshot, read afresh; (0, 0) when it cannot be read."""
    import sqlalchemy as sa

    from recommender.campaigns.moved import recorded_since
    from recommender.campaigns.store import open_store

    try:
        store = open_store(source, read_only=True)
    except (InvalidParameterError, sa.exc.DBAPIError):
        return 0, 0
    try:
        with store.engine.connect() as conn:
            return recorded_since(conn, last_seq, plans_copied)
    except sa.exc.DBAPIError:
        return 0, 0
    finally:
        store.close()


def cmd_campaign_reopen(args: argparse.Namespace) -> int:
    from recommender.campaigns.connection import new_sqlite_file
    from recommender.campaigns.moved import reopen

    source = _named_store(args, "reopen")
    missing = new_sqlite_file(source)
    if missing is not None:  # opening would create an empty store there
        raise InvalidParameterError(f"no campaign store at {missing}: the file does not exist")
    shown, mark = reopen(source)
    if mark is None:
        print(f"{shown} was not marked as moved: nothing to do")
        return 0
    print(f"reopened {shown}: it takes events and plans again (it had been marked as moved "
          f"to {mark.to}, {mark.at})")
    print(f"warning: {shown} and {mark.to} carry one store id: record in only one of them "
          "(drop the copy, or never write to it again)", file=sys.stderr)
    return 0


def refuse_moved_import(args: argparse.Namespace) -> None:
    """Refuse ``events import`` into a store ``campaign copy`` moved before its file is read:
    a file of a million events was read and checked (10 s) before its first batch was refused.
    A store not there yet, older or not reached is left to the import, whose every batch looks
    for the mark under the writers' lock."""
    from recommender.campaigns.moved import check_store
    from recommender.campaigns.store import open_store
    from recommender.cli.stores import missing_sqlite, refuse_no_store

    refuse_no_store(args)  # --store none: before the file is read too
    target = args.store or os.environ.get("RECOMMENDER_STORE")
    if not target or missing_sqlite(target) is not None:
        return
    try:
        store = open_store(target, read_only=True)
    except RecommenderError:
        return
    try:
        check_store(store, args.file)
    finally:
        store.close()


def moved_midway(e: StoreMovedError, file: str, done: int, stored: int) -> StoreMovedError:
    """The refusal of a batch of ``events import`` (a copy marked the store meanwhile), saying
    what of ``file`` the store holds: it said only "Nothing of this batch was stored"."""
    from recommender.campaigns.moved import StoreMovedError

    return StoreMovedError(
        f"{e}; the first {done:,} events of {file} had been recorded here ({stored:,} new) "
        "before the store was marked: import the whole file into the copy (the events it "
        "holds already are skipped, by event_id)", e.at, e.what)
