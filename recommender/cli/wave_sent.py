"""The ``campaign sent`` action: record when a wave went out, so its report counts from then.

``recommender campaign sent PLAN_ID --wave N [--at TIME] --store S`` records that wave N went
out at TIME (unix seconds or ISO 8601 with its UTC offset; default: now), as ``POST
/campaigns/{plan_id}/waves/{wave}/sent`` does (``recommender.campaigns.wave_sends``): the
report then counts that wave's conversions from TIME, not from the plan's start. The same
time again changes nothing, and so does a retry without ``--at`` (the recorded time is
answered); another is refused, and so is a wave whose earlier wave has no
recorded send. ``--retract`` takes back a send recorded by mistake (``DELETE`` on the same
path). ``--json`` prints the HTTP endpoint's body. A refusal is one line and exit 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.commands import _positive_int
from recommender.cli.stores import NEEDED_STORE_HELP


def add_sent_action(sub: Any) -> None:
    """``campaign sent`` on the ``campaign`` command's sub-parsers."""
    s = sub.add_parser(
        "sent", help="record when a wave of a plan went out: its report counts from then",
        description="record the send time of wave N of a stored plan: the report counts that "
                    "wave's conversions from it (else from the plan's start); final, but a "
                    "send recorded by mistake may be taken back with --retract")
    s.add_argument("plan_id")
    s.add_argument("--wave", type=_positive_int, required=True, metavar="N",
                   help="the wave that went out (1..the plan's waves, numbered in this plan: "
                        "a next wave's first is 1), after every earlier wave's recorded send")
    s.add_argument("--at", default=None, metavar="TIME",
                   help="when it went out: whole unix seconds or ISO 8601 in the extended "
                        "form with its UTC offset (2024-03-21T09:00:00Z; a fraction of a "
                        "second floored), as events are read; default: now, or the recorded "
                        "time of a wave recorded already: a retry")
    s.add_argument("--retract", action="store_true",
                   help="take back wave N's recorded send (one recorded by mistake): the "
                        "plan's last recorded send only, and none a next wave was planned "
                        "after")
    s.add_argument("--store", help=NEEDED_STORE_HELP)
    s.add_argument("--json", action="store_true", help="print the HTTP endpoint's JSON body")
    s.set_defaults(campaign_action=cmd_campaign_sent)


def campaign_wave_text(body: dict[str, Any]) -> str:
    """Which wave of the campaign a plan's wave is, where the numbers differ (a next wave
    numbers its waves from 1): " (the campaign's wave 2)", else ''."""
    number = body.get("campaign_wave")
    if number is None or number == body["wave"]:
        return ""
    return f" (the campaign's wave {number})"


def cmd_campaign_sent(args: argparse.Namespace) -> int:
    from recommender.campaigns.wave_sends import parse_sent_at, record_wave_sent
    from recommender.cli.stores import _store
    from recommender.errors import InvalidParameterError

    if args.retract and args.at is not None:
        raise InvalidParameterError("--at does not apply with --retract (the recorded send "
                                    "of the wave is taken back, whatever its time)")
    at = None if args.at is None else parse_sent_at(args.at)  # refused before the store opens
    store = _store(args, create=False)
    try:
        if args.retract:
            return _retract(args, store)
        body = record_wave_sent(store, args.plan_id, args.wave, at)
    finally:
        store.close()
    if args.json:
        from recommender.cli.printing import print_body

        print_body(body)
        return 0
    when = f"{body['sent_at_utc']} (unix {body['sent_at']})"
    which = f"wave {body['wave']} of {body['plan_waves']} of plan {body['plan_id']}" \
        + campaign_wave_text(body)
    if body["already"]:
        how = "" if args.at is not None else \
            " (no --at: a retry is answered with the recorded time)"
        print(f"{which} was recorded as sent at {when} already in {store.url} (on "
              f"{body['recorded_at']}): nothing changed{how}")
    else:
        print(f"recorded in {store.url}: {which} went out at {when}; its report counts that "
              "wave's conversions from then")
    return 0


def _retract(args: argparse.Namespace, store: Any) -> int:
    """``campaign sent --retract``: take back the wave's recorded send, and say what."""
    from recommender.campaigns.wave_sends import retract_wave_sent

    body = retract_wave_sent(store, args.plan_id, args.wave)
    if args.json:
        from recommender.cli.printing import print_body

        print_body(body)
        return 0
    gone = body["retracted"]
    if gone is None:
        print(f"no send of wave {args.wave} of plan {args.plan_id} is recorded in {store.url}: "
              "nothing changed")
    else:
        print(f"took back in {store.url} the recorded send of wave {args.wave} of plan "
              f"{args.plan_id} ({gone['sent_at_utc']}, unix {gone['sent_at']}; recorded "
              f"{gone['recorded_at']}): no report counts from that time any more; record "
              f"the wave's true send with campaign sent {args.plan_id} --wave {args.wave} --at "
              "TIME")
    return 0
