"""The stored plans as the command line shows them: ``campaign list`` and ``campaign show``.

``campaign list`` prints the stored plans (a page, with what each continues) and ``campaign
show PLAN_ID [--csv]`` one plan's summary or rows; ``--json`` prints the body of ``GET
/campaigns`` or ``GET /campaigns/{plan_id}``. Split from ``recommender.cli.events`` (at its
450-line limit).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recommender.cli.checks import model_or_none
from recommender.cli.printing import print_table
from recommender.cli.stores import _store
from recommender.errors import InvalidParameterError
from recommender.io.text import days_text, plural

MAX_PLAN_PAGE = 1000  # GET /campaigns's largest limit


def campaign_list(args: argparse.Namespace) -> int:
    from recommender.cli.plan_list_text import (
        SENT,
        UNREADABLE_SPAN,
        WAVE_HEADERS,
        film_name,
        incomplete_line,
        sent_cell,
        unreadable_span,
        wave_rows,
    )
    from recommender.cli.printing import print_body

    if args.limit > MAX_PLAN_PAGE:
        raise InvalidParameterError(f"--limit must be in [1, {MAX_PLAN_PAGE}], "
                                    f"got {args.limit}")
    # the model first: a bad folder fails before the store is opened
    model = model_or_none(args.model)
    store = _store(args, create=False)
    try:
        total, plans = store.list_plans(args.limit, args.offset)
        # a plan's p with no span in days: from a log without times, or from no calibration
        # (its summary's horizon says which; the listing's JSON keeps horizon_days alone)
        spanless = [p["plan_id"] for p in plans if p.get("horizon_days") is None]
        horizons: dict[str, dict[str, Any] | None] = {}
        if spanless and not args.json:
            from recommender.campaigns.plan_horizons import plan_horizons

            horizons = plan_horizons(store, spanless)  # one query, not a summary per plan
    finally:
        store.close()
    if model is not None:
        from recommender.query.catalog import name_plan_films
        name_plan_films(model, plans)  # else no title came from a model (listed_plan's [])
    if args.json:
        print_body({"total": total, "plans": plans})
        return 0
    spans = {p["plan_id"]: UNREADABLE_SPAN if unreadable_span(p) else
             _no_span(horizons.get(p["plan_id"])) for p in plans if p["plan_id"] in spanless}
    shown = (f"showing {args.offset + 1:,}" + (f"-{args.offset + len(plans):,}"
                                               if len(plans) > 1 else "") + ", newest first"
             if plans else f"no plans at numbers {args.offset + 1:,}+ (the store has "
             f"{total:,})" if total else "showing none")
    print(f"{plural(total, 'stored plan', sep=',')} in {store.url}; {shown}")
    if plans:
        print_table(["plan_id", "created", "model_version", "rows", "films",
                      "contacts ((film, user) pairs)", "expected conversions (pairs)", SENT,
                      "within (days)", "withdrawn (after waves sent)",
                      "continues (plan after waves sent)", "continued in"],
                     [[p["plan_id"], p["created"], p["model_version"], p["rows"],
                       ", ".join(film_name(p, f) for f in p["films"]),
                       p["totals"].get("contacts", ""),
                       _num(p["totals"].get("expected_conversions")), sent_cell(p),
                       spans[p["plan_id"]] if p["plan_id"] in spans
                       else days_text(p["horizon_days"]),
                       "no" if not p.get("withdrawn") else p["withdrawn"]["sent_waves"],
                       # a next wave's previous plan (GET /campaigns's previous_plan_id)
                       f"{p['previous_plan_id']} after {p.get('previous_sent_waves')}"
                       if p.get("previous_plan_id") else "none",
                       # its next waves (GET /campaigns's next_plan_ids), most waves sent first
                       ", ".join(p.get("next_plan_ids") or ()) or "none"]
                      for p in plans])
        said = set(spans.values())
        if NO_TIMES in said:
            print(f"within (days) {NO_TIMES}: the model's log had no timestamps (or all "
                  "equal), so its p is of watching within a random held-out share of its "
                  "interactions, a span with no length in days")
        if NO_CALIBRATION_CELL in said:
            print(f"within (days) {NO_CALIBRATION_CELL}: the model had no calibration, so "
                  "every p is 0 (campaign show PLAN_ID says why)")
        if NOT_RECORDED in said:
            print(f"within (days) {NOT_RECORDED}: the plan was stored before summaries "
                  "recorded their horizon")
    for p in (p for p in plans if p["incomplete"]):  # a damaged summary: listed as read
        print(incomplete_line(p))
    if plans:
        print("contacts and expected conversions are the whole plan's (every wave); sent counts "
              "the waves a recorded send, a withdrawal or a next wave says went out"
              + ("" if args.waves else " (--waves: each wave's figures)"))
    if plans and args.waves:  # each wave: GET /campaigns's per_wave
        print()
        print_table(WAVE_HEADERS, wave_rows(plans))
    return 0


NO_TIMES = "n/a (log without times)"  # a plan's p spans a random held-out share
NO_CALIBRATION_CELL = "n/a (no calibration)"  # every p of the plan is 0
NOT_RECORDED = "n/a (not recorded)"  # a summary stored before summaries had a horizon


def _no_span(horizon: dict[str, Any] | None) -> str:
    """The ``within (days)`` cell of a listed plan whose p has no span in days (``horizon``:
    its summary's): why not."""
    from recommender.model.calibration import uncalibrated

    if not horizon:  # a plan stored before summaries recorded it
        return NOT_RECORDED
    return NO_CALIBRATION_CELL if uncalibrated(horizon) else NO_TIMES


def _num(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else ""


def campaign_show(args: argparse.Namespace) -> int:
    from recommender.cli.campaigns import pseudonym_key
    from recommender.cli.printing import print_body

    key = pseudonym_key(args)
    if key is not None and not args.csv:
        raise InvalidParameterError("--pseudonymize applies to --csv (the summary names no "
                                    "user)")
    store = _store(args, create=False)
    try:
        if args.csv:
            from recommender.campaigns.export import csv_chunks
            from recommender.campaigns.sendable import left_out_text, sendable_rows

            tables, sendable = sendable_rows(store, args.plan_id)
            if said := left_out_text(args.plan_id, sendable):  # before any row: not missed
                print(f"warning: {said}", file=sys.stderr)
            out = sys.stdout.buffer
            for chunk in csv_chunks(tables, key):
                out.write(chunk)
            out.flush()
            return 0
        from recommender.campaigns.withdraw import shown_summary

        summary = shown_summary(store, args.plan_id)  # with its next waves, as the API's
    finally:
        store.close()
    if args.json:
        from recommender.cli.plan_text import print_notes

        print_body({"plan_id": args.plan_id, "summary": summary})
        print_notes(summary)  # on stderr, as the tables' are (and plan --json's)
        return 0
    from recommender.cli.plan_text import print_summary

    print_summary(summary, args.plan_id)
    return 0
