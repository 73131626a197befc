"""Closing the loop from the command line: import events, report a campaign, plan its next wave.

``recommender events import --store URL FILE`` records an events file (CSV/Parquet, see
``recommender.campaigns.event_file``) in batches, each committed before the next (``events
status``, ``recommender.cli.events_status``'s, says what is stored);
``recommender campaign report PLAN_ID --store URL [--window-days D] [--json]`` prints what a
plan did against its control group; ``campaign list`` and ``campaign show PLAN_ID [--csv]``
print the stored plans and one plan's summary (or rows); ``--json`` prints the body of the
matching HTTP endpoint (``GET /campaigns``, ``GET /campaigns/{plan_id}``,
``GET /campaigns/{plan_id}/report``), and ``--csv`` the bytes of ``plan.csv``. (``campaign
copy`` and ``campaign simulate`` are ``recommender.cli.store_copy``'s and ``simulate``'s; the
next wave, ``plan MODEL --after PLAN_ID``, ``recommender.cli.next_wave``'s.)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from recommender.campaigns.report_windows import DAY_RULE
from recommender.cli.campaign_views import MAX_PLAN_PAGE, campaign_list, campaign_show
from recommender.cli.checks import (
    add_events_model_option,
    decimal,
    model_or_none,
    say_unserved,
)
from recommender.cli.commands import (
    _offset,
    _positive_int,
)
from recommender.cli.events_status import add_status_parser, cmd_events_status
from recommender.cli.stores import _store
from recommender.errors import DataError
from recommender.io.progress import progress_off
from recommender.io.text import plural

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
IMPORT_BATCH = 10_000


def _days(text: str) -> float:
    from recommender.campaigns.report import MAX_WINDOW_DAYS, MIN_WINDOW_DAYS, WINDOW_RULE

    try:
        value = decimal(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not MIN_WINDOW_DAYS <= value <= MAX_WINDOW_DAYS:  # NaN too
        raise argparse.ArgumentTypeError(f"expected {WINDOW_RULE}, got {value}")
    return value


def add_event_commands(add: Add) -> None:
    from recommender.cli.stores import NEEDED_STORE_HELP

    s = add("events", cmd_events, "record events (tickets, views) in the campaign store")
    sub = s.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    i = sub.add_parser("import", help="import an events file (CSV or Parquet) or a folder of "
                                      "Parquet parts",
                       description="import an events file: user_id,film_id,timestamp"
                                   "[,weight][,event_id]; a second import stores nothing twice")
    i.add_argument("file", help="events file (CSV, TSV or Parquet), a folder of Parquet "
                                "parts, or - for standard input (CSV/TSV, .gz, Parquet)")
    i.add_argument("--store", help=NEEDED_STORE_HELP)
    i.add_argument("--batch", type=_positive_int, default=IMPORT_BATCH,
                   help="events per committed transaction")
    add_events_model_option(i)
    from recommender.cli.event_pseudonyms import add_pseudonymized_options

    add_pseudonymized_options(i)  # responses keyed by a pseudonymised list's ids
    add_status_parser(sub)

    s = add("campaign", cmd_campaign, "list stored campaign plans, show one, report what it "
                                      "did, withdraw it")
    sub = s.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")
    store_help = NEEDED_STORE_HELP
    r = sub.add_parser("report", help="targets against controls: conversions, uplift with 95%% "
                                      "intervals, predicted against observed",
                       description="report a plan: conversions of targets against controls")
    r.add_argument("plan_id")
    r.add_argument("--store", help=store_help)
    r.add_argument("--window-days", type=_days, default=30.0, dest="window_days",
                   help="count conversions this many days after each wave's start (its "
                        "send, `campaign sent`; else an earlier wave's latest recorded send; "
                        f"else the plan's start); {DAY_RULE}")
    r.add_argument("--sent-waves", type=_positive_int, dest="sent_waves",
                   help="waves 1..N of the plan that were sent: only they are reported (at "
                        "most those a next wave was planned after: it re-plans the rest; "
                        "default: those its withdrawal recorded, else the sent waves of a "
                        "next wave planned after it, else waves 1 to the last recorded "
                        "sent by `campaign sent`, else all)")
    r.add_argument("--model", metavar="MODEL",
                   help="a model folder: its users' region (else city, cinema) are the places "
                        "the dispersion check compares, as GET /campaigns/{plan_id}/report "
                        "does with the served model; without it, not checked")
    r.add_argument("--json", action="store_true", help="print the HTTP report's JSON body")
    from recommender.cli.campaigns_chain import add_chain_option

    add_chain_option(r)  # --chain: the campaign's chain of plans (cli/campaigns_chain.py)
    a = sub.add_parser("list", help="the stored plans, newest first",
                       description="the stored plans, newest first (GET /campaigns)")
    a.add_argument("--store", help=store_help)
    a.add_argument("--model", metavar="MODEL",
                   help="a model folder: names the films of a plan stored before plans "
                        "recorded their titles (the body's titles_from_model), as GET "
                        "/campaigns does with the served model; a plan's own titles are "
                        "shown without it")
    a.add_argument("--limit", type=_positive_int, default=100,
                   help=f"plans per page (at most {MAX_PLAN_PAGE})")
    a.add_argument("--offset", type=_offset, default=0, help="plans to skip")
    a.add_argument("--waves", action="store_true",
                   help="also print each plan's waves: targets and controls ((film, user) "
                        "pairs), expected conversions (sum of p) and whether each went out "
                        "(the body's per_wave; --json prints it always)")
    a.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")
    w = sub.add_parser("show", help="one stored plan's summary, or its rows with --csv",
                       description="one stored plan's summary (GET /campaigns/{plan_id}), or "
                                   "its rows as CSV (GET /campaigns/{plan_id}/plan.csv)")
    w.add_argument("plan_id")
    w.add_argument("--store", help=store_help)
    g = w.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")
    g.add_argument("--csv", action="store_true",
                   help="print the plan's rows: the HTTP plan.csv download, byte for byte "
                        "(the waves a next wave re-plans or a withdrawal gave back are left "
                        "out, and stderr says so)")
    from recommender.cli.commands import add_pseudonym_options

    add_pseudonym_options(w)  # with --csv: plan.csv?pseudonymize=true
    from recommender.cli.simulate import add_simulate_action
    from recommender.cli.store_copy import add_copy_action

    add_copy_action(sub)  # campaign copy --store SRC --to DST (recommender/cli/store_copy.py)
    add_simulate_action(sub)  # campaign simulate PLAN_ID (recommender/cli/simulate.py)
    from recommender.cli.wave_sent import add_sent_action
    from recommender.cli.withdraw import add_withdraw_action

    add_withdraw_action(sub)  # campaign withdraw PLAN_ID (recommender/cli/withdraw.py)
    add_sent_action(sub)  # campaign sent PLAN_ID --wave N (recommender/cli/wave_sent.py)


def cmd_events(args: argparse.Namespace) -> int:
    from recommender.cli.store_copy import refuse_moved_import
    from recommender.io.stdin import spooled

    if args.events_command == "status":
        return cmd_events_status(args)
    refuse_moved_import(args)  # a store ``campaign copy`` moved: before a large file is read
    from recommender.cli.event_pseudonyms import import_key

    key = import_key(args)  # --pseudonymized without a key: before the file is read
    model = model_or_none(args.model)  # then the model and the file: a bad folder or file
    # "-": standard input copied once to a file kept for the whole import (an error reads
    # it again to name its line) and named <stdin>
    with spooled(args.file) as file:
        return _read_and_import(argparse.Namespace(**{**vars(args), "file": str(file)}),
                                key, model)


def _read_and_import(args: argparse.Namespace, key: bytes | None, model: Any) -> int:
    """``events import`` of ``args.file``: read whole and checked, then stored."""
    from recommender.campaigns.event_file import read_event_file, row_problem
    from recommender.cli.event_pseudonyms import FLAG
    from recommender.cli.reading import read_said

    try:
        batch = read_said(args.file, lambda: read_event_file(args.file),  # (empty, unreadable,
                          lambda b: plural(len(b), "event", sep=","))  # a bad line): no store
    except DataError as e:  # said as the event_id conflict says it: the file is read whole first
        if "stored" in e.reason:
            raise
        raise DataError(e.path, f"{e.reason}; nothing of the file was stored", e.line) from None
    from recommender.campaigns.pseudonymous import first_pseudonym, pseudonym_reason

    if key is None and (fake := first_pseudonym(batch.user_id, model)) is not None:
        hint = "" if model is not None else \
            " (--model MODEL accepts the ids of its own users of that form)"
        raise row_problem(args.file, fake, f"{pseudonym_reason(batch.user_id[fake], FLAG)}; "
                          f"nothing of the file was stored{hint}")
    from recommender.cli.stores import NewStore

    with NewStore(args.store or os.environ.get("RECOMMENDER_STORE")) as new:  # kept once
        code = _import(args, new.open(lambda: _store(args)), batch, model, key)  # written to
    new.say_created()  # readers refuse a missing store: a misspelt path is seen here
    return code


def _import(args: argparse.Namespace, store: Any, batch: Any, model: Any,
            key: bytes | None = None) -> int:
    """``events import`` of ``batch``, read from ``args.file``, into the open ``store``
    (``key``: its user ids are pseudonyms under it, read as the ids they stand for)."""
    from recommender.campaigns.event_file import row_problem
    from recommender.campaigns.events import (
        EventBatch,
        EventConflictError,
        find_conflicts,
        max_sequence,
        record_events,
        without_users,
    )
    from recommender.campaigns.moved import StoreMovedError
    from recommender.campaigns.sheet_ids import unquoted_ids
    from recommender.cli.store_copy import moved_midway
    from recommender.io.stdin import shown as shown_as

    named = shown_as(args.file)  # standard input's copy: <stdin>
    as_sent = batch.user_id  # a pseudonymised file's users are named by its pseudonyms
    row = list(range(len(batch)))  # each event's row in the file
    pre = 0  # an erased person's pseudonymised rows: counted as erased, never stored
    if key is not None:  # nothing of the file is stored when one cannot be read
        from recommender.cli.event_pseudonyms import unmasked

        batch, gone_rows = unmasked(args, batch, key, model, store)
        if gone_rows:
            pre, drop = len(gone_rows), set(gone_rows)
            row = [i for i in row if i not in drop]
            as_sent = [as_sent[i] for i in row]
    read = batch  # an id cut with our CSV files' quote: the id the model or store holds
    batch, unquoted = unquoted_ids(read, model, store)
    if unquoted.events:
        from recommender.campaigns.event_file import derived_again

        batch = derived_again(read, batch)
        print(f"note: {unquoted.text()}", file=sys.stderr)
    users = {} if key is None else dict(zip(batch.user_id, as_sent, strict=True))
    try:  # a reused event_id fails before the first chunk commits
        find_conflicts(store, batch)
    except EventConflictError as e:
        e = e.as_sent(users)
        raise row_problem(args.file, row[batch.event_id.index(e.event_id)],
                          f"{e.reason}; nothing of the file was stored") from None
    stored = duplicates = done = shown = 0
    erased = pre
    gone: frozenset[str] = frozenset()  # users forget erased: their events are not stored
    n = len(batch)
    lines = n > args.batch and not progress_off()  # RECOMMENDER_PROGRESS=never: none
    seq = max_sequence(store)
    part = None
    try:
        for start in range(0, n, args.batch):
            part = EventBatch(*(getattr(batch, k)[start:start + args.batch] for k in
                                ("event_id", "user_id", "film_id", "timestamp", "weight")))
            try:
                r = record_events(store, part)
            except EventConflictError as e:  # another writer stored that event_id meanwhile
                e = e.as_sent(users)
                raise row_problem(
                    args.file, row[start + part.event_id.index(e.event_id)],
                    f"{e.reason} (stored by another writer while this import ran); the "
                    f"file's first {done:,} events were recorded ({stored:,} new, "
                    f"{duplicates:,} already stored) and the rest was not: correct the file "
                    "and import it again (what is stored is not stored twice)") from None
            except StoreMovedError as e:  # a copy marked the store: the batches before stay
                raise moved_midway(e, named, done, stored) from None
            # in one assignment: a signal finds the counts, seq and part all before or after
            stored, duplicates, erased, gone, done, seq, part = (
                stored + r.stored, duplicates + r.duplicates, erased + r.erased,
                gone | r.erased_users, start + len(part), r.seq, None)
            if lines and (20 * done // n > shown or done == n):  # 20 lines at most
                shown = 20 * done // n  # (one per batch: 1,000 lines for 10M events)
                print(f"imported {done:,}/{n:,} events", file=sys.stderr)
    except BaseException as e:
        from recommender.cli import Terminated, _store_failure

        # stopped, or the store failed under it after some batches (a full disk, a lock held
        # past the wait): how much is stored, which the failure's own line does not say
        if isinstance(e, KeyboardInterrupt | Terminated) or (
                done and _store_failure(e) is not None):
            _say_stored(store, named, n + pre, (done, stored, duplicates, erased), part, seq)
        raise
    print(f"read {plural(n + pre, 'event', sep=',')} from {named}: stored {stored:,}, already "
          f"stored {duplicates:,} (by event_id){_erased_said(erased)}; store {store.url} is at "
          f"sequence {seq:,}")
    shown_user: Callable[[str], str] | None = None
    if key is not None:  # each user named by its pseudonym, as the file holds it
        from recommender.query.pseudonym import pseudonym

        def shown_user(u: str) -> str:
            return users.get(u) or pseudonym(u, key)
    if gone:  # an erased user is not named, not even as one the model does not know
        batch = without_users(batch, gone)
    from recommender.campaigns.erasure import read_erasures

    say_unserved(model, named, batch.film_id, batch.user_id, shown_user,
                 None if model is None else read_erasures(store))
    store.close()
    return 0


def _erased_said(erased: int) -> str:
    """The import's words for the events of users ``forget`` erased (none: nothing)."""
    return (f", {plural(erased, 'event', sep=',')} for erased users not stored (`recommender "
            "forget` erased them; README \"Erasure\")" if erased else "")


def _say_stored(store: Any, file: str, n: int, counts: tuple[int, int, int, int], part: Any,
                seq: int) -> None:
    """Say (stderr) how much of an import that stopped is in the store: the batches
    committed, and the one being written when it stopped if its commit had completed (its
    events are the ones past sequence ``seq``); the rest is not, and the same import again
    stores it (each event has an event_id, from the file or derived from its row: those
    already stored are skipped)."""
    import sqlalchemy as sa

    from recommender.campaigns.erasure import erased_among
    from recommender.campaigns.event_writers import CLI_WRITER
    from recommender.campaigns.events import events

    done, stored, duplicates, erased = counts
    if part is not None and len(part):
        try:  # one transaction per batch: all of it was committed, or none
            with store.engine.connect() as conn:
                since = {str(r[0]) for r in conn.execute(sa.select(events.c.event_id).where(
                    events.c.seq > seq, events.c.writer == CLI_WRITER))}
                gone = erased_among(conn, part.user_id) if since else frozenset()
        except Exception:  # noqa: BLE001 - the store is unreachable: counted as not stored
            since, gone = set(), frozenset()
        new = len(set(part.event_id) & since)
        if new:
            left = sum(u in gone for u in part.user_id)
            done, stored, duplicates, erased = (done + len(part), stored + new,
                                                duplicates + len(part) - new - left,
                                                erased + left)
    kept = (f"the first {done:,} of the {n:,} events in {file} are in the store ({stored:,} "
            f"stored now, {duplicates:,} were already there{_erased_said(erased)})" if done
            else
            f"none of the {n:,} events in {file} was stored by this import")
    print(f"note: {kept}; the same import again stores the rest, and nothing twice (events "
          "already stored are recognised by event_id)", file=sys.stderr)


def cmd_campaign(args: argparse.Namespace) -> int:
    if args.campaign_command == "list":
        return campaign_list(args)
    if args.campaign_command == "show":
        return campaign_show(args)
    if getattr(args, "campaign_action", None) is not None:  # copy, simulate, withdraw, sent
        return int(args.campaign_action(args))
    from recommender.campaigns.report import campaign_report

    model = model_or_none(args.model)  # a bad folder fails before the store is opened
    store = _store(args, create=False)
    from recommender.cli.campaigns_chain import print_chain, report_chain

    try:
        body = (report_chain(args, store, model) if args.chain else campaign_report(
            store, args.plan_id, args.window_days, sent_waves=args.sent_waves, model=model))
    finally:
        store.close()
    if args.json:  # the HTTP body's bytes (FastAPI serialises the route's dict its own way)
        from recommender.cli.printing import print_body

        print_body(body)
        return 0
    from recommender.cli.report_text import print_report

    if args.chain:
        print_chain(body)
    else:
        print_report(body, args.window_days)
    return 0
