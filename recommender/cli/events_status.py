"""``recommender events status``: the store's latest event and what a model's answers fold in.

``recommender events status --store URL [--model MODEL] [--json]`` says the campaign store's
latest event sequence and, with a model, the events recorded after its training that the
CLI's answers with ``--store`` (and a worker serving it) apply on top of it: how many, the
users new to the model, and the events the model cannot serve. ``--json`` prints the body of
``GET /events/status`` from a worker serving MODEL that has read every event (without
``--model``: ``applied`` 0 and an empty ``overlay``, as a worker without an events sync),
as the admin key is shown it: the store's counts (``counted`` "store").
"""

from __future__ import annotations

import argparse
from typing import Any

from recommender.cli.checks import model_or_none
from recommender.cli.stores import NEEDED_STORE_HELP
from recommender.io.text import plural


def events_status(args: argparse.Namespace) -> dict[str, Any]:
    """``GET /events/status``'s body for ``args.store`` and ``args.model`` (see the module)."""
    from recommender.campaigns.events import max_sequence
    from recommender.campaigns.next_wave import store_overlay
    from recommender.cli.stores import _store

    model = model_or_none(args.model)  # a bad folder fails before the store is opened
    store = _store(args, create=False, read_only=True)
    try:
        seq = max_sequence(store)
        if model is None:
            return {**_counted(seq, 0), "overlay": {}}
        overlay = store_overlay(model, store)
        return {**_counted(seq, overlay.seq), "overlay": overlay.describe()}
    finally:
        store.close()


def _counted(seq: int, applied: int) -> dict[str, Any]:
    """The store's counts, as the admin key is shown them (``counted`` "store"; a read or
    write key is shown its own events')."""
    return {"sequence": seq, "applied": applied, "caught_up": applied >= seq,
            "counted": "store"}


def cmd_events_status(args: argparse.Namespace) -> int:
    from recommender.cli.printing import print_body

    body = events_status(args)
    if args.json:
        print_body(body)
        return 0
    print(f"campaign store: latest event sequence {body['sequence']:,}")
    o = body["overlay"]
    if not o:
        return 0
    if o.get("trained_events_gone"):
        print(f"warning: {o['trained_events_gone']}")
    since = o["since_seq"]
    trained = (f"trained through the store's sequence {since:,}" if since else
               "trained on events this store no longer holds" if o.get("trained_events_gone")
               else "trained without this store's events")
    print(f"model {o['base_model']}: {trained}; "
          f"{plural(o['events_applied'], 'event', sep=',')} after it apply in answers "
          f"with --store (through sequence {body['applied']:,}): "
          f"{plural(o['users_refreshed'], 'user', sep=',')} with new events "
          f"({o['new_users']:,} new to the model), taste vectors {o['vectors']}")
    unserved = o["events_for_unknown_films"] + o["events_for_unknown_users"]
    if unserved:
        print(f"not applied: {o['events_for_unknown_films']:,} events for films the model does "
              f"not know, {o['events_for_unknown_users']:,} for users it cannot serve "
              f"({o['non_finite_vectors_refused']:,} non-finite vectors refused)")
    return 0


def add_status_parser(sub: Any) -> None:
    """``events status`` under ``events``' sub-commands."""
    s = sub.add_parser("status", help="the store's latest event, and what a model's answers "
                                      "fold in", description=(
        "the campaign store's latest event sequence and, with --model, the events recorded "
        "after the model's training that answers with --store apply on top of it; --json "
        "prints the body of GET /events/status from a worker serving MODEL"))
    s.add_argument("--store", help=NEEDED_STORE_HELP)
    s.add_argument("--model", metavar="MODEL", help="a model folder: the events after its "
                   "training that answers apply on top of it")
    s.add_argument("--json", action="store_true",
                   help="print the body of GET /events/status")
