"""The CLI's ``forget``: erase users from a campaign store (the right to be forgotten).

``recommender forget --store S --user ID [--user ID ...] | --users FILE`` runs
``recommender.campaigns.erasure.forget``: one transaction gives the users' events, plan rows
and opt-outs a tombstone in place of their id and records each id's salted digest; the
service serving the store and every answering command reading it leave them out of their
answers from then on, and ``train --events`` out of the next model. ``--users`` reads one id
per line (the line as it is, its line ending dropped; blank lines skipped). An empty id is
refused before anything is written. ``--json`` prints one object per user. With a pseudonym
key (``RECOMMENDER_PSEUDONYM_KEY`` or ``--pseudonym-key-file``) their pseudonyms' digests are
recorded too, so a partner's pseudonymised answers about them are counted as erased
(``recommender.campaigns.erased_pseudonyms``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from recommender.cli.printing import print_body
from recommender.cli.stores import NEEDED_STORE_HELP
from recommender.errors import InvalidParameterError
from recommender.io.id_columns import blank_id
from recommender.io.ids import form_named

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
SHOWN = 10  # ids named in a line (ids with no row in the store)


def add_forget_command(add: Add) -> None:
    """Declare ``forget`` on the parser (``add`` makes one sub-command)."""
    s = add("forget", cmd_forget,
            "erase users from a campaign store (right to be forgotten): their rows get a "
            "tombstone, answers and the next train --events leave them out")
    s.add_argument("--store", help=NEEDED_STORE_HELP)
    s.add_argument("--user", action="append", metavar="ID",
                   help="a user id to erase, byte for byte (repeat for several)")
    s.add_argument("--users", metavar="FILE",
                   help="a file of user ids to erase, one a line (no header)")
    s.add_argument("--exact", action="store_true",
                   help="erase each id byte for byte as given though the store holds rows "
                        "only of its other Unicode form (a separate person so spelt: "
                        "'joão' decomposed beside 'joão' composed); without it such an id is "
                        "refused, erasing nothing; with it, opt-outs stored in the id's "
                        "other Unicode form are left (that person's), those in its own form "
                        "with spaces, our CSV quoting or a leading U+FEFF erased")
    s.add_argument("--pseudonym-key-file", dest="pseudonym_key_file", metavar="FILE",
                   help="file holding the pseudonym key (else RECOMMENDER_PSEUDONYM_KEY, if "
                        "set): the erased users' pseudonyms under it are recorded too, so "
                        "events import --pseudonymized and POST /events?pseudonymized=true "
                        "count a partner's answers about them as erased instead of refusing "
                        "the batch")
    s.add_argument("--json", action="store_true",
                   help="print one object per user: user_id, events, plan_rows, opt_outs "
                        "(rows given a tombstone, counts; an opt-out stored in a form the "
                        "opt-out reader reads as the id counts), plan_summaries and "
                        "idempotency_keys (where a tombstone took the id's place, counts) "
                        "and already (erased before)")


def _ids(args: argparse.Namespace) -> list[str]:
    ids = list(args.user or [])
    if args.users:
        try:
            text = Path(args.users).read_text(encoding="utf-8", errors="surrogateescape")
        except OSError as e:
            raise InvalidParameterError(f"{args.users}: cannot read the file of user ids "
                                        f"({e.strerror or e})") from None
        ids += [line for line in text.splitlines() if line != ""]
    if not ids:
        raise InvalidParameterError("forget: no user id given: pass --user ID or --users FILE")
    for n, i in enumerate(ids):
        if blank_id(i):  # the one rule (an id of a no-break space is a user's)
            raise InvalidParameterError(f"forget: user id {n + 1} is empty or blank; nothing "
                                        "was erased")
    return ids


def cmd_forget(args: argparse.Namespace) -> int:
    from recommender.campaigns.erasure import forget
    from recommender.campaigns.near_users import near_hint, refuse_form_twins
    from recommender.cli.stores import _store

    ids = _ids(args)
    keys = _pseudonym_keys(args)  # a bad key: refused before anything is erased
    store = _store(args, create=False)
    try:
        if not args.exact:  # --exact: byte for byte as given, a twin or not
            refuse_form_twins(store, ids)  # the HTTP route's refusal too
        done = forget(store, ids, args.exact, keys)
        # the ids with no row: the store's that they may mean (leading zeros, case, form)
        hint = "" if args.json else near_hint(store, [f.user_id for f in done if not f.rows
                                                       and not f.already])
    finally:
        store.close()
    if done.unscrubbed:  # the erasure is committed: said, not failed
        print(f"note: {done.unscrubbed}", file=sys.stderr)
    if args.json:
        print_body({"store": store.url, "users": [f.body() for f in done]})
        return 0
    rows = [f for f in done if f.rows]
    print(f"erased {len(done):,} user(s) in {store.url}: "
          f"{sum(f.events for f in done):,} event(s), {sum(f.plan_rows for f in done):,} plan "
          f"row(s), {sum(f.opt_outs for f in done):,} opt-out(s), "
          f"{sum(f.summaries for f in done):,} plan summary(ies) and "
          f"{sum(f.keys for f in done):,} idempotency key(s) of "
          f"{len(rows):,} of them now carry a tombstone (campaign reports' counts, "
          "conversions and uplift unchanged); answers reading this store leave them out from "
          "now on")
    if keys:
        print("note: their pseudonyms under the pseudonym key recorded too (a partner's "
              "pseudonymised answers about them are counted as erased, not refused)")
    before = [f.user_id for f in done if f.already]
    if before:
        print(f"note: {len(before):,} were erased before ({_named(before)}): recorded once; "
              "their rows since, if any, given a tombstone")
    none = [f.user_id for f in done if not f.rows and not f.already]
    if none:
        print(f"note: {len(none):,} had no row in this store ({_named(none)}): recorded as "
              "erased all the same (a model trained on a log holding them leaves them out); "
              f"check the ids if that is a surprise{hint}")
    print("next: remove them from your own log files, then `recommender train --events "
          f"{store.url} ...`; the model versions kept to roll back to (`recommender info MODEL "
          "--versions`) and store backups still hold them until replaced (README \"Erasure\")")
    return 0


def _pseudonym_keys(args: argparse.Namespace) -> list[bytes]:
    """The pseudonym key of ``--pseudonym-key-file``, else ``RECOMMENDER_PSEUDONYM_KEY``'s
    where it is set (none: no pseudonym recorded); one too short or unreadable is refused,
    naming where it came from, and nothing is erased."""
    import os

    from recommender.query.pseudonym import ENV_KEY, load_key

    if args.pseudonym_key_file is None and not os.environ.get(ENV_KEY):
        return []
    try:
        return [load_key(args.pseudonym_key_file, needed_by="forget")]
    except InvalidParameterError as e:
        raise InvalidParameterError(f"forget: {e}; nothing was erased") from None


def _named(ids: list[str]) -> str:
    shown = ", ".join(repr(i) + form_named(i) for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN:,} more" if len(ids) > SHOWN else "")
