"""The CLI's ``forget``: erase users from a campaign store (the right to be forgotten).

``recommender forget --store S --user ID [--user ID ...] | --users FILE`` runs
``recommender.campaigns.erasure.forget``: one transaction gives the users' events, plan rows
and opt-outs a tombstone in place of their id and records each id's salted digest; the
service serving the store and every answering command reading it leave them out of their
answers from then on, and ``train --events`` out of the next model. ``--users`` reads an id
list as the other commands do (``id_lists.read_id_list_held``: ``-`` for standard input, a
``user_id`` header skipped and said); a blank ``--user`` is refused before anything is
written. ``--json`` prints ``{store, users}``, one object per user; the notes go to stderr.
With a pseudonym key (``RECOMMENDER_PSEUDONYM_KEY`` or ``--pseudonym-key-file``) their
pseudonyms' digests are recorded too, so a partner's pseudonymised answers about them are
counted as erased (``recommender.campaigns.erased_pseudonyms``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from recommender.cli.id_column import add_id_column
from recommender.cli.printing import note, print_body
from recommender.cli.stores import NEEDED_STORE_HELP
from recommender.errors import InvalidParameterError
from recommender.io.id_columns import blank_id
from recommender.io.ids import form_named

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore

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
                   help="a file of user ids to erase, one a line (or a CSV export whose header "
                        "names its id column), read as the other commands' id lists: - reads "
                        "standard input; a first line user_id is a header, skipped and said "
                        "on stderr; blank lines skipped, a duplicate read once, CRLF line ends "
                        "and a byte-order mark dropped; a line is taken as written where the "
                        "store holds it so, else without its surrounding spaces")
    add_id_column(s, "--users")
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
                   help="print one object, {store, users}, instead of the line: users holds "
                        "one object per distinct id (POST /admin/forget's users): user_id, "
                        "events, plan_rows, opt_outs (rows given a tombstone, counts), "
                        "plan_summaries and idempotency_keys (where a tombstone took the id's "
                        "place, counts; an opt-out stored in a form the opt-out reader "
                        "reads as the id counts), already (erased before) and did_you_mean (the "
                        "store's user ids that an id with no row may mean); the notes go to "
                        "stderr")


def _ids(args: argparse.Namespace, store: Callable[[], CampaignStore]) -> list[str]:
    """The ids of ``--user`` (each refused where blank) and of the ``--users`` list (read as
    the other commands' id lists are, ``read_id_list_held``: a line as written where the
    store holds it so, else stripped); ``store`` opens the store when first asked."""
    from recommender.campaigns.near_users import held_ids
    from recommender.cli.id_column import id_column
    from recommender.io.id_lists import read_id_list_held

    ids = list(args.user or [])
    for n, i in enumerate(ids):
        if blank_id(i):  # the one rule (an id of a no-break space is a user's)
            raise InvalidParameterError(f"forget: user id {n + 1} is empty or blank; nothing "
                                        "was erased")
    column = id_column(args, "users")  # --id-column without --users: refused
    if args.users:
        ids += read_id_list_held(args.users, lambda written: held_ids(store(), written),
                                 said=note, column=column)
    if not ids:
        raise InvalidParameterError("forget: no user id given: pass --user ID or --users FILE")
    return ids


def cmd_forget(args: argparse.Namespace) -> int:
    from recommender.campaigns.erasure import forget
    from recommender.campaigns.near_users import forgotten, refuse_form_twins
    from recommender.cli.stores import _store

    keys = _pseudonym_keys(args)  # a bad key: refused before anything is erased
    opened: list[CampaignStore] = []

    def store_now() -> CampaignStore:  # opened once needed: a bad list opens nothing
        if not opened:
            opened.append(_store(args, create=False))
        return opened[0]

    try:
        ids = _ids(args, store_now)
        store = store_now()
        if not args.exact:  # --exact: byte for byte as given, a twin or not
            refuse_form_twins(store, ids)  # the HTTP route's refusal too
        done = forget(store, ids, args.exact, keys)
        # the ids with no row: the store's that they may mean (leading zeros, case, form),
        # in each user's did_you_mean (POST /admin/forget's too) and the note's hint
        users, hint = forgotten(store, done)
    finally:
        for s in opened:
            s.close()
    if done.unscrubbed:  # the erasure is committed: said, not failed
        note(done.unscrubbed)
    if args.json:
        print_body({"store": store.url, "users": users})
    else:
        rows = [f for f in done if f.rows]
        print(f"erased {len(done):,} user(s) in {store.url}: "
              f"{sum(f.events for f in done):,} event(s), {sum(f.plan_rows for f in done):,} "
              f"plan row(s), {sum(f.opt_outs for f in done):,} opt-out(s), "
              f"{sum(f.summaries for f in done):,} plan summary(ies) and "
              f"{sum(f.keys for f in done):,} idempotency key(s) of "
              f"{len(rows):,} of them now carry a tombstone (campaign reports' counts, "
              "conversions and uplift unchanged); answers reading this store leave them out "
              "from now on")
    if keys:
        note("their pseudonyms under the pseudonym key recorded too (a partner's "
             "pseudonymised answers about them are counted as erased, not refused)")
    # notes on stderr in either mode, as every command's (stdout: the result alone)
    before = [f.user_id for f in done if f.already]
    if before:
        note(f"{len(before):,} were erased before ({_named(before)}): recorded once; their "
             "rows since, if any, given a tombstone")
    none = [f.user_id for f in done if not f.rows and not f.already]
    if none:
        note(f"{len(none):,} had no row in this store ({_named(none)}): recorded as erased all "
             "the same (a model trained on a log holding them leaves them out); check the ids "
             f"if that is a surprise{hint}")
    print("next: remove them from your own log files, then `recommender train --events "
          f"{store.url} ...`; the model versions kept to roll back to (`recommender info MODEL "
          "--versions`) and store backups still hold them until replaced (README \"Erasure\")",
          file=sys.stderr)
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
