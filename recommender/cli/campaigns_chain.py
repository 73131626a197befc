"""``campaign report PLAN_ID --chain``: the report of a campaign's chain of plans, and its text.

The chain that ends at PLAN_ID, oldest first (``recommender.campaigns.report_chain``): a row
per plan (its waves counted, as the campaign numbers them), and the uplift pooled over every
(plan, film, wave); ``--json`` prints ``GET /campaigns/{plan_id}/report?chain=true``'s body.
"""

from __future__ import annotations

import argparse
from typing import Any


def add_chain_option(r: argparse.ArgumentParser) -> None:
    r.add_argument("--chain", action="store_true",
                   help="report the campaign's chain of plans that ends at PLAN_ID (its first "
                        "plan, then each next wave): each plan over its waves sent, and the "
                        "uplift pooled over every (plan, film, wave) stratum "
                        "(GET /campaigns/{plan_id}/report?chain=true); --sent-waves counts "
                        "PLAN_ID's waves")


def report_chain(args: argparse.Namespace, store: Any, model: Any) -> dict[str, Any]:
    """``chain_report``'s body for ``args`` (the store is the caller's to close)."""
    from recommender.campaigns.report_chain import chain_report

    return chain_report(store, args.plan_id, args.window_days, sent_waves=args.sent_waves,
                        model=model)


def print_chain(body: dict[str, Any]) -> None:
    """Print a chain's report ``body`` as a table: a row per plan, then the pooled row."""
    from recommender.campaigns.report import UNITS
    from recommender.cli.printing import print_table
    from recommender.cli.report_text import report_row
    from recommender.io.text import iso_utc

    print(f"Campaign report of the chain ending at {body['plan_id']}: {len(body['plans'])} "
          f"plan{'s' if len(body['plans']) != 1 else ''}, conversions within "
          f"{body['window_days']:g} days of each wave's start, as of {iso_utc(body['as_of'])} "
          f"(unix {body['as_of']})")
    print(body["note"])
    rows = []
    for p in body["plans"]:
        first, last = p["campaign_waves"]
        waves = f"waves {first}-{last}" if last > first else f"wave {first}"
        rows.append(report_row(f"{p['position']}. {p['plan_id']} ({waves})", p["overall"]))
    rows.append(report_row(f"pooled ({body['pooled']['strata']:,} strata)", body["pooled"]))
    print_table(["plan (campaign waves)", f"targets ({UNITS['targets']})", "converted (rows)",
                 "target rate", f"controls ({UNITS['controls']})", "converted (rows)",
                 "control rate (weighted by targets per plan x film x wave)",
                 "absolute uplift [95%]", "relative uplift [95%]",
                 "incremental conversions (rows) [95%]",
                 "predicted / observed conversions (target rows)"], rows)
    for name, block in [*((p["plan_id"], p["overall"]) for p in body["plans"]),
                        ("pooled", body["pooled"])]:
        for key in ("note", "no_estimate", "warning", "split_warning"):
            if block.get(key):
                print(f"{name}: {block[key]}")
