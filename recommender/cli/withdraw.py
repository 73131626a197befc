"""The ``campaign withdraw`` action: give back the pairs of a campaign's waves that were never sent.

``recommender campaign withdraw PLAN_ID --sent-waves N --store S`` records that waves 1..N of
the plan went out and the rest never will (``recommender.campaigns.withdraw``): later plans
of its films may select the users of its unsent waves again, its report counts waves 1..N,
and it has no next wave. ``--sent-waves 0``: the plan was never sent. ``--json`` prints the
body ``POST /campaigns/{plan_id}/withdraw`` answers. A refusal is one line and exit 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.commands import _nonneg_int
from recommender.cli.stores import NEEDED_STORE_HELP


def add_withdraw_action(sub: Any) -> None:
    """``campaign withdraw`` on the ``campaign`` command's sub-parsers."""
    w = sub.add_parser(
        "withdraw", help="stop a campaign after the waves that were sent: later plans of its "
                         "films may select the users of its unsent waves again",
        description="withdraw a stored plan (the last of its chain of next waves) after its "
                    "waves 1..N: the pairs of its later waves, and of the unsent waves of the "
                    "chain's earlier plans, are free for later plans; final")
    w.add_argument("plan_id")
    w.add_argument("--sent-waves", type=_nonneg_int, required=True, dest="sent_waves",
                   metavar="N", help="waves 1..N of the plan were sent (0: none was)")
    w.add_argument("--store", help=NEEDED_STORE_HELP)
    w.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")
    w.set_defaults(campaign_action=cmd_campaign_withdraw)


def cmd_campaign_withdraw(args: argparse.Namespace) -> int:
    from recommender.campaigns.withdraw import withdraw
    from recommender.cli.stores import _store

    store = _store(args, create=False)
    try:
        body = withdraw(store, args.plan_id, args.sent_waves)
    finally:
        store.close()
    if args.json:
        from recommender.cli.printing import print_body

        print_body(body)
        return 0
    n, planned = body["sent_waves"], body["plan_waves"]
    sent = "no wave was sent" if n == 0 else f"waves 1-{n} of {planned} were sent" \
        if n > 1 else f"wave 1 of {planned} was sent"
    # released_rows counts the whole chain's: said as this plan's, it was more rows than
    # the plan holds when earlier plans gave some back (listed below)
    own, total = body["chain"][0]["released_rows"], body["released_rows"]
    rows = f"{own:,} (film, user) rows of its unsent waves" + (
        f" ({total:,} with its chain's earlier plans below)" if len(body["chain"]) > 1 else "")
    if body["already"]:
        print(f"plan {body['plan_id']} was withdrawn already in {store.url} ({body['at']}; "
              f"{sent}): nothing changed; {rows} hold their users no longer")
    else:
        print(f"withdrew plan {body['plan_id']} in {store.url} ({body['at']}): {sent}; "
              f"{rows} (targets and controls) no longer hold their users: later plans of "
              "their films may select them")
    for link in body["chain"][1:]:
        k = link["sent_waves"]
        print(f"  earlier plan {link['plan_id']} of its chain: {k} wave{'' if k == 1 else 's'} "
              f"sent, {link['released_rows']:,} rows of its unsent waves given back")
    return 0
