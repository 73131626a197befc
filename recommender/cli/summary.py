"""The CLI's audience summary of a film: rings, conversion, segments ring by ring, portrait.

``--json`` prints the body of ``GET /films/{id}/audience/summary``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from recommender.cli.commands import answer_model
from recommender.cli.printing import (
    MIN_CELL_SOURCE,
    SEGMENT_SHARE,
    film_named,
    hidden_text,
    json_printed,
    print_table,
    split_table,
)
from recommender.io.text import days_text, plural

if TYPE_CHECKING:
    from recommender.model.model import Model


def summary_body(body: dict[str, Any]) -> dict[str, Any]:
    """``audience_summary`` as ``AudienceSummary``: segment shares in the schema's order."""
    def split(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: r[k] for k in SEGMENT_SHARE} for r in rows]

    return {**body, "tiers": [{**t, "segments": split(t["segments"])} for t in body["tiers"]],
            "segments": split(body["segments"])}


def cmd_summary(args: argparse.Namespace) -> int:
    from recommender.cli.checks import film_argument
    from recommender.query.audience import audience_summary

    model = answer_model(args)
    film_argument(model, args.film_id)
    from recommender.query.privacy import min_cell_from_env

    body = summary_body(audience_summary(model, args.film_id,
                                          exclude_seen=not args.include_seen,
                                          tier=args.tier, min_cell=min_cell_from_env()))
    if json_printed(args.json, body, model):
        return 0
    print(f"Audience summary for {film_named(model, args.film_id)}: "
          f"{plural(body['viewers'], 'viewer', sep=',')}, "
          f"{plural(body['candidates'], 'candidate', sep=',')}")
    if body.get("note"):
        print(f"warning: {body['note']}")
    if not body["candidates"]:  # as the audience says it (its rings and portrait are empty)
        from recommender.query.pages import empty_note

        print(empty_note(0))

    tier_table(model, body)
    if args.include_seen:
        print("no conversion with --include-seen: the film's viewers are ranked in, and p is "
              "the chance that a user who has not watched it will")
    segment_rings(model, body)
    portrait_part(model, body)
    return 0


def tier_table(model: Model, body: dict[str, Any]) -> None:
    """The summary's tiers as a table, with its legend: what the conversions are, over which
    horizon, and what their intervals cover (or why there are none)."""
    from recommender.model import calibration
    from recommender.model.probability_digits import probability_text

    def num(v: Any, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    def prob(v: Any) -> str:  # as the JSON rounds it: 4 significant digits below 0.01
        return "-" if v is None else probability_text(v)

    horizon = body.get("horizon") or {}
    days = horizon.get("days")
    within = (f"within {days_text(days)} days" if isinstance(days, int | float)
              else "(horizon below)" if horizon.get("description") else "(no calibration)")
    def span(v: list[float] | None, fmt: str) -> str:
        return "-" if v is None else f"{v[0]:{fmt}} to {v[1]:{fmt}}"

    def prob_span(v: list[float] | None) -> str:
        return "-" if v is None else f"{prob(v[0])} to {prob(v[1])}"

    print_table(["tier", "share_pct", "size", "ranks", "scores", f"conversion {within}",
                  "95% interval (0-1)", "lift", "lift 95% interval"], [
        [t["tier"], t["share_pct"], t["size"],
         "-" if t["rank_range"] is None else "{}-{}".format(*t["rank_range"]),
         "-" if t["score_range"] is None else "{:.4f} to {:.4f}".format(*t["score_range"]),
         prob(t["expected_conversion"]), prob_span(t.get("expected_conversion_interval")),
         num(t["conversion_lift"], ".3f"), span(t.get("conversion_lift_interval"), ".3f")]
        for t in body["tiers"]])
    empty = any(t["rank_range"] is None for t in body["tiers"])
    print(f"share_pct: the ring's width, in % of the {body['candidates']:,} candidates (its "
          "ranks); size: the ring's users; scores: the model's raw scores at the ring's ends, "
          "for ordering only" + ("; '-': the ring holds no candidate" if empty else ""))
    if not calibration.measured(model.calibration):  # said plainly, not as a mean
        print(f"conversion: none ({horizon['description']})")
    elif horizon.get("description"):
        base = body.get("base_conversion")
        # a lift of '-' beside a conversion: that of a random candidate is 0, no ratio to it
        undivided = any(t["conversion_lift"] is None and t["expected_conversion"] is not None
                        for t in body["tiers"])
        print(f"conversion = the tier's mean {horizon.get('description', '').split(';')[0]}; "
              "lift = conversion / that of a random candidate"
              + (f" ({prob(base)})" if isinstance(base, int | float) else "")
              + ", the ratio of the unrounded means"
              + ("; lift '-': a random candidate's conversion is 0, so a tier's has nothing to "
                 "be compared with" if undivided else ""))
        if calibration.random_holdout(horizon):  # a log without times: no conversion rate
            print(f"warning: the conversion column is {horizon['note']}")
    if body.get("conversion_interval_note"):  # what the intervals cover, or why there is none
        print(f"{body['conversion_interval_note'][0].upper()}"
              f"{body['conversion_interval_note'][1:]}")


def portrait_part(model: Model, body: dict[str, Any]) -> None:
    """The summary's portrait: its scope's line, then one table per attribute (none: why)."""
    if not body["portrait"]:  # its scope's line alone read as a portrait cut off
        from recommender.cli.printing import no_attributes_text

        print(f"\nPortrait: none. {no_attributes_text(model.meta)}")
        return
    print(f"\n{body['portrait_scope']['note'][0].upper()}{body['portrait_scope']['note'][1:]}")
    if not body["portrait_scope"]["users"]:  # its rows read a share and lift of 0 each
        print("no portrait: the ranks it pictures hold nobody")
        return
    portrait_tables(model, body)


def portrait_tables(model: Model, body: dict[str, Any]) -> None:
    """The portrait, one table per attribute, each saying how many of the attribute's values
    the minimum cell rule left out (``portrait.scope_suppression``: the body counts them only
    with the segments', in ``suppressed_cells``): the model's values less the shown ones,
    holding the pictured users less the shown counts; then the legend of the columns."""
    import numpy as np

    pictured, min_cell = body["portrait_scope"]["users"], body["min_cell"]
    for attribute, rows in body["portrait"].items():
        print(f"\nPortrait: {attribute}")
        values = len(np.unique(np.asarray(model.user_table.attributes[attribute])))
        if rows:
            split_table(rows, attribute)
            if values > len(rows):
                print(hidden_text(values - len(rows), f"{attribute} values",
                                  pictured - sum(r["count"] for r in rows), "users", min_cell,
                                  outside=True))
        elif 0 < pictured < min_cell:  # one value shared by all: the others' zeros say it
            print(f"hidden: every {attribute} value ({values:,} values): the portrait pictures "
                  f"{plural(pictured, 'user', sep=',')}, fewer than {min_cell} {MIN_CELL_SOURCE}")
        else:
            print(hidden_text(values, f"{attribute} values, every one", pictured, "users",
                              min_cell, outside=True))
    if any(body["portrait"].values()):
        print("\nshare: the value's share of the pictured users (0-1); base_share: its share "
              "of all users (0-1); lift = share / base_share")


def segment_rings(model: Model, body: dict[str, Any]) -> None:
    """The summary's segments of the ranked audience, ring by ring and in all: the cells
    privacy leaves out show as ``-`` (the overall ones go first, so that the rings' splits
    stay: printing only the overall table showed the segments least in the audience). Every
    segment of ``model`` has its row: one whose every count is left out was dropped, and the
    header's count of left-out counts missed its cells (9 of 10 demo segments listed, "5 of
    this table's counts left out" where 9 were)."""
    import numpy as np

    from recommender.query.catalog import segment_labels

    rings = [t for t in body["tiers"] if t["rank_range"] is not None]
    if not rings:
        return
    last = max(t["rank_range"][1] for t in rings)
    size = sum(int(t["size"]) for t in rings)
    cells = [{r["segment"]: r for r in t["segments"]} for t in rings]
    overall = {r["segment"]: r for r in body["segments"]}
    labels = dict(enumerate(segment_labels(model)))
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64), minlength=len(labels))
    # the body's suppressed_cells counts the portrait's hidden values too: the count printed
    # here is this table's own hidden counts (it read 28 over a table of 19, moving with --tier)
    here = sum(seg not in part for part in [*cells, overall] for seg in labels)
    print(f"\nSegments of the ranked audience: the {plural(size, 'user', sep=',')} of the "
          f"{', '.join(t['tier'] for t in rings)} ring{'s' * (len(rings) > 1)} (ranks 1-{last}), "
          f"users per ring and in all; '-': left out, fewer than {body['min_cell']} users or a "
          f"cell that would reveal one ({here} of this table's counts left out; "
          f"{body['suppressed_cells']} cells in the whole summary, portrait included)")

    def order(seg: int) -> tuple[int, int]:  # the most in the audience (as far as shown) first
        shown = sum(c[seg]["count"] for c in cells if seg in c)
        return -max(overall[seg]["count"] if seg in overall else 0, shown), seg

    def text(row: dict[str, Any] | None) -> str:
        return "-" if row is None else f"{row['count']:,}"

    print_table(["segment", *(t["tier"] for t in rings), "all", "lift (all)", "size"], [
        [labels[seg], *(text(c.get(seg)) for c in cells), text(overall.get(seg)),
         "-" if seg not in overall else f"{overall[seg]['lift']:.3f}",
         f"{int(sizes[seg]):,}"]
        for seg in sorted(labels, key=order)])
    print("lift (all) = the segment's share of the ranked audience / its share of all "
          "users; size = the segment's users")
