"""The distribution command's text: its table and the lines under it.

The breakdown's table, the lines under it (screens, the probabilities' source, a new film's
calibration mix) and the no-forecast warning. Split from ``recommender.cli.distribution`` (at
its 450-line limit)."""

from __future__ import annotations

import sys
from typing import Any

from recommender.cli.printing import print_table


def no_forecast(model: Any, horizon: dict[str, Any], then: str = "") -> None:
    """A warning on stderr when the model's calibration measured nothing: every probability
    is 0, so no new viewer is forecast (the JSON's horizon says so; the text showed 0.0)."""
    from recommender.model import calibration

    if not calibration.measured(model.calibration):
        print("warning: no new viewer is forecast (expected_new is 0 everywhere): "
              f"{horizon['description']}{'; ' + then if then else ''}", file=sys.stderr)


def print_demand(body: dict[str, Any], model: Any, screens_by: str = "total") -> None:
    from recommender.cli.printing import film_named
    from recommender.distribution.demand import SCREENS_BY
    from recommender.distribution.screens import tie_rule
    from recommender.io.text import days_text, plural
    from recommender.model import calibration

    what = film_named(model, body["film_id"]) if body["film_id"] else (
        "a new film like " + ", ".join(body["cold_start"]["comparable_film_ids"]
                                       + body["cold_start"]["genres"]))
    days = body["horizon"].get("days")
    horizon = (f"calibration horizon: {days_text(days)} days" if isinstance(days, int | float)
               else "calibration horizon: the held-out slice"
               if calibration.measured(model.calibration) else "no calibration")
    viewers = plural(body["viewers"], "viewer", sep=",")
    print(f"Expected viewers of {what} by {body['by']}: {viewers} "
          f"+ {body['expected_new']:,.1f} expected new (users; {horizon}); "
          f"places under {plural(body['min_cell'], 'user')} are merged into 'other' "
          f"({body['merged_places']} merged)")
    # where a new film's probabilities come from (the JSON's calibrated_from): known films'
    # calibrations mixed; a model without calibration has none to borrow (it named one
    # beside the warning that there is none, as the Studio did)
    if body["film_id"] is None and calibration.measured(model.calibration):
        print(mixed_calibration_text(model, body["cold_start"]["calibrated_from"]))
    if body["film_id"] is None and body["cold_start"].get("genres_only"):
        print(f"note: {body['cold_start']['genres_only']}")
    screens = body["screens"]
    head = ["place", "users", "viewers", "expected_new", "expected_total", "share",
            "index_vs_users", "index_vs_viewing"]
    if any(r.get("city") for r in body["places"]):  # by cinema: each one's city, as --json
        head.insert(1, "city")
    if screens is not None:
        head += ["screens"] + (["capacity"] if screens["capacity"] is not None else [])

    def shown(v: Any, h: str = "") -> Any:  # screens counts with thousands separators
        return "-" if v is None else f"{v:,}" if h in ("screens", "capacity") else v

    print_table(head, [[f"{r[h]:.4f}" if h == "share" else shown(r[h], h) for h in head]
                        for r in body["places"]])
    units = body["units"]  # the JSON's, word for word
    print("; ".join(f"{h}: {units[h]}" for h in ("share", "index_vs_users", "index_vs_viewing"))
          + f"; user_share: {units['user_share']}; viewing_share: {units['viewing_share']}"
          + (f"; capacity: {units['capacity']}" if "capacity" in head else ""))
    nowhere = body["users_without_place"]
    if nowhere["users"]:
        small = nowhere["users"] >= body["min_cell"]  # the places are the small ones
        demand = ((f" (the users with a {body['by']} are fewer than {body['min_cell']}: no "
                   "figures are shown)" if small else "") if nowhere["expected_total"] is None
                  else f": {plural(nowhere['viewers'], 'viewer', sep=',')} + "
                       f"{nowhere['expected_new']:,.1f} expected new")
        one = nowhere["users"] == 1
        print(f"{plural(nowhere['users'], 'user', sep=',')} {'has' if one else 'have'} no "
              f"{body['by']} and {'is' if one else 'are'} in no place above{demand} (users)")
    if screens is not None:
        weight = SCREENS_BY[screens_by]
        print(f"{plural(screens['total'], 'screen', sep=',')} shared out by {weight} "
              f"(largest remainder: {tie_rule(weight)}"
              + (f"; capped by {screens['capped_by']})" if screens["capped_by"] else ")"))
        if screens["note"]:  # the pool's screens are one block
            print(f"note: {screens['note']}")


def mixed_calibration_text(model: Any, mix: dict[str, float], most: int = 5) -> str:
    """The line saying which known films' calibrations a new film's probabilities mix, each
    with its share (the first ``most``; ``calibrated_from``), titles in brackets."""
    from recommender.io.text import shown_cell

    titles = model.catalog.titles[model.films.to_index(list(mix)[:most])].tolist()
    parts = [f"{shown_cell(f)}{f' ({shown_cell(str(t))})' if t else ''} {w:.1%}"
             for (f, w), t in zip(list(mix.items())[:most], titles, strict=True)]
    more = f" and {len(mix) - most:,} more" if len(mix) > most else ""
    return (f"probabilities: the calibrations of the known films it is calibrated from, "
            f"mixed, each with its share: {', '.join(parts)}{more}")
