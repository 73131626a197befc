"""Closing the loop from the command line: import events, report a campaign, plan its next wave.

``recommender events import --store URL FILE`` records an events file (CSV/Parquet, see
``recommender.campaigns.event_file``) in batches, each committed before the next;
``recommender campaign report PLAN_ID --store URL [--window-days D] [--json]`` prints what a
plan did against its control group; ``recommender plan MODEL --after PLAN_ID --store URL
--out NEXT.csv`` (handled here for ``plan``) plans the next wave on the model refreshed with
the store's events.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from recommender.cli.commands import _positive_int, _print_table
from recommender.errors import InvalidParameterError

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
IMPORT_BATCH = 10_000


def _store(args: argparse.Namespace) -> Any:
    from recommender.campaigns.store import open_store

    target = args.store or os.environ.get("RECOMMENDER_STORE")
    if not target:
        raise InvalidParameterError("no campaign store: pass --store URL or set "
                                    "RECOMMENDER_STORE")
    return open_store(target)


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not 0 < value <= 3650:
        raise argparse.ArgumentTypeError(f"expected days in (0, 3650], got {value}")
    return value


def add_event_commands(add: Add) -> None:
    s = add("events", cmd_events, "record events (tickets, views) in the campaign store")
    sub = s.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    i = sub.add_parser("import", help="import an events file (CSV or Parquet)",
                       description="import an events file: user_id,film_id,timestamp"
                                   "[,weight][,event_id]; a second import stores nothing twice")
    i.add_argument("file")
    i.add_argument("--store", help="campaign store URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE)")
    i.add_argument("--batch", type=_positive_int, default=IMPORT_BATCH,
                   help="events per committed transaction")

    s = add("campaign", cmd_campaign, "report what a stored campaign plan did")
    sub = s.add_subparsers(dest="campaign_command", required=True, metavar="ACTION")
    r = sub.add_parser("report", help="targets against controls: conversions, uplift with 95% "
                                      "intervals, predicted against observed",
                       description="report a plan: conversions of targets against controls")
    r.add_argument("plan_id")
    r.add_argument("--store", help="campaign store URL or SQLite file (default: "
                                   "$RECOMMENDER_STORE)")
    r.add_argument("--window-days", type=_days, default=30.0, dest="window_days",
                   help="count conversions this many days after the plan's start")
    r.add_argument("--json", action="store_true", help="print the HTTP report's JSON body")


def cmd_events(args: argparse.Namespace) -> int:
    from recommender.campaigns.event_file import read_event_file
    from recommender.campaigns.events import EventBatch, record_events

    store = _store(args)
    batch = read_event_file(args.file)
    stored = duplicates = seq = 0
    n = len(batch)
    for start in range(0, n, args.batch):
        part = EventBatch(*(getattr(batch, k)[start:start + args.batch] for k in
                            ("event_id", "user_id", "film_id", "timestamp", "weight")))
        s, d, seq = record_events(store, part)
        stored, duplicates = stored + s, duplicates + d
        if n > args.batch:
            print(f"imported {min(n, start + args.batch):,}/{n:,} events", file=sys.stderr)
    print(f"read {n:,} events from {args.file}: stored {stored:,}, already stored "
          f"{duplicates:,} (by event_id); store {store.url} is at sequence {seq:,}")
    store.close()
    return 0


def _pct(block: dict[str, Any] | None, scale: float = 100.0, unit: str = "%") -> str:
    if block is None:
        return "n/a"
    est = block["estimate"]
    shown = "n/a" if est is None else f"{scale * est:+.2f}{unit}"
    return f"{shown} [{scale * block['low']:+.2f}, {scale * block['high']:+.2f}]"


def cmd_campaign(args: argparse.Namespace) -> int:
    from recommender.campaigns.report import campaign_report

    store = _store(args)
    body = campaign_report(store, args.plan_id, args.window_days)
    store.close()
    if args.json:
        print(json.dumps(body, ensure_ascii=False))
        return 0
    print(f"Campaign report of {body['plan_id']} (model {body['model_version']}): conversions "
          f"= events for the film by the user within {args.window_days:g} days of the plan's "
          f"start (unix {body['start']}); {body['events_read']:,} events read")

    def row(name: str, b: dict[str, Any]) -> list[Any]:
        rate = b["target_rate"], b["control_rate"]
        return [name, b["targets"], b["target_conversions"],
                "n/a" if rate[0] is None else f"{100 * rate[0]['estimate']:.2f}%",
                b["controls"], b["control_conversions"],
                "n/a" if rate[1] is None else f"{100 * rate[1]['estimate']:.2f}%",
                _pct(b["absolute_uplift"], 100, " pts"), _pct(b["relative_uplift"]),
                _pct(b["incremental_conversions"], 1.0, ""),
                f"{b['predicted_target_conversions']:.1f} / {b['target_conversions']}"]

    rows = [row("overall", body["overall"])]
    rows += [row(f"wave {w['wave']}", w) for w in body["waves"]]
    for f in body["films"]:
        rows.append(row(f"film {f['film_id']}", f))
        rows += [row(f"  film {f['film_id']} wave {w['wave']}", w) for w in f["waves"]]
    _print_table(["group", "targets (users)", "converted", "target rate", "controls (users)",
                  "converted", "control rate", "absolute uplift [95%]",
                  "relative uplift [95%]", "incremental conversions [95%]",
                  "predicted / observed (targets)"], rows)
    print("intervals: " + "; ".join(f"{k}: {v}" for k, v in body["method"].items()
                                    if k.endswith("uplift")))
    return 0


def add_after_options(s: argparse.ArgumentParser) -> None:
    """``plan``'s options for the next wave (``--after``)."""
    s.add_argument("--after", metavar="PLAN_ID",
                   help="plan the next wave of this stored plan on the model refreshed with "
                        "the store's events (no --slate: its films and remaining budgets)")
    s.add_argument("--sent-waves", type=_positive_int, default=1, dest="sent_waves",
                   help="with --after: the waves of that plan that were sent")
    s.add_argument("--next-waves", type=_positive_int, dest="next_waves",
                   help="with --after: waves of the new plan (default: the unsent ones)")


def cmd_plan_after(args: argparse.Namespace) -> int:
    """``recommender plan MODEL --after PLAN_ID --store URL --out NEXT.csv``."""
    from recommender.campaigns.export import plan_format, write_plan
    from recommender.campaigns.next_wave import plan_next_wave, refreshed_model
    from recommender.cli.campaigns import print_summary
    from recommender.cli.commands import _load_model

    plan_format(args.out)
    store = _store(args)
    model = refreshed_model(_load_model(args.model), store)
    plan = plan_next_wave(model, store, args.after, sent_waves=args.sent_waves,
                          waves=args.next_waves, seed=args.seed)
    rows = write_plan(plan.rows, args.out)
    print_summary(plan.summary)
    ex = plan.summary["excluded"]
    print(f"next wave of {args.after} (waves 1..{args.sent_waves} sent): "
          f"{ex['pairs_contacted']:,} pairs contacted and {ex['pairs_held_out']:,} held out "
          f"not planned again, {ex['users_at_cap']:,} users at the cap; model refreshed "
          f"with the store's events up to sequence {plan.summary['events_seq']:,}")
    print(f"wrote {rows:,} rows of plan {plan.plan_id} to {args.out}; stored in {store.url}")
    store.close()
    return 0
