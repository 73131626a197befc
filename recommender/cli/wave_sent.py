"""The ``campaign sent`` action: record when a wave went out, so its report counts from then.

``recommender campaign sent PLAN_ID --wave N [--at TIME] --store S`` records that wave N went
out at TIME (unix seconds or ISO 8601 with its UTC offset; default: now), as ``POST
/campaigns/{plan_id}/waves/{wave}/sent`` does (``recommender.campaigns.wave_sends``): the
report then counts that wave's conversions from TIME, not from the plan's start. The same
time again changes nothing; another is refused. ``--json`` prints the HTTP endpoint's body.
A refusal is one line and exit 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.commands import _positive_int


def add_sent_action(sub: Any) -> None:
    """``campaign sent`` on the ``campaign`` command's sub-parsers."""
    s = sub.add_parser(
        "sent", help="record when a wave of a plan went out: its report counts from then",
        description="record the send time of wave N of a stored plan: the report counts that "
                    "wave's conversions from it (else from the plan's start); final")
    s.add_argument("plan_id")
    s.add_argument("--wave", type=_positive_int, required=True, metavar="N",
                   help="the wave that went out (1..the plan's waves)")
    s.add_argument("--at", default=None, metavar="TIME",
                   help="when it went out: unix seconds or ISO 8601 with its UTC offset "
                        "(2024-03-21T09:00:00Z; default: now)")
    s.add_argument("--store", help="campaign store URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE)")
    s.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")
    s.set_defaults(campaign_action=cmd_campaign_sent)


def cmd_campaign_sent(args: argparse.Namespace) -> int:
    from recommender.campaigns.wave_sends import parse_sent_at, record_wave_sent
    from recommender.cli.stores import _store

    at = None if args.at is None else parse_sent_at(args.at)  # refused before the store opens
    store = _store(args, create=False)
    try:
        body = record_wave_sent(store, args.plan_id, args.wave, at)
    finally:
        store.close()
    if args.json:
        from recommender.cli.printing import print_body

        print_body(body)
        return 0
    when = f"{body['sent_at_utc']} (unix {body['sent_at']})"
    if body["already"]:
        print(f"wave {body['wave']} of plan {body['plan_id']} was recorded as sent at {when} "
              f"already in {store.url} (on {body['recorded_at']}): nothing changed")
    else:
        print(f"recorded in {store.url}: wave {body['wave']} of {body['plan_waves']} of plan "
              f"{body['plan_id']} went out at {when}; its report counts that wave's "
              "conversions from then")
    return 0
