"""The text of ``campaign report``: its header, note, table of blocks and grouped warnings.

Split from ``recommender.cli.events`` (at its line bound); ``--json`` prints the body itself.
"""

from __future__ import annotations

import math
from typing import Any

from recommender.cli.printing import print_table


def _pct(block: dict[str, Any] | None, scale: float = 100.0, unit: str = "%") -> str:
    """An estimate and its 95% interval as text; a percent's bounds carry the '%' too (as
    the studio shows them): with no estimate (no control conversion) "n/a [-99.73, +inf]"
    said no unit at all."""
    if block is None:
        return "n/a"
    est = block["estimate"]
    shown = "n/a" if est is None else f"{scale * est:+.2f}{unit}"
    bound = unit if unit == "%" else ""
    high = "+inf" if block["high"] is None else f"{scale * block['high']:+.2f}{bound}"
    return f"{shown} [{scale * block['low']:+.2f}{bound}, {high}]"


def report_row(name: str, b: dict[str, Any]) -> list[Any]:
    """One block of a campaign report as a row of the ``campaign report`` table."""
    rate = b["target_rate"], b["control_rate"]
    # a rate over the targets compared (those with controls in their film and wave): its
    # counts said beside it where they are not the row's (46.81% (22/47) beside 23 of 50)
    base = b.get("measured_targets") or b["targets"]
    of = (f" ({b['measured_conversions']:,}/{base:,})" if base != b["targets"] else "")
    return [name, b["targets"], b["target_conversions"],
            "n/a" if rate[0] is None else f"{100 * rate[0]['estimate']:.2f}%{of}",
            b["controls"], b["control_conversions"],
            "n/a" if rate[1] is None else f"{100 * rate[1]['estimate']:.2f}%",
            _pct(b["absolute_uplift"], 100, " pts"), _pct(b["relative_uplift"]),
            _pct(b["incremental_conversions"], 1.0, ""),
            f"{expected_text(b['predicted_target_conversions'])} / {b['target_conversions']}"]


def expected_text(x: float) -> str:
    """An expected count (predicted conversions) as the table prints it: one decimal from 1 on,
    2 significant digits below (0.030, 0.00041): a short window's 0.03 printed 0.0, as if
    nothing were predicted; 0 is 0.0."""
    if not math.isfinite(x) or x == 0 or abs(x) >= 1:
        return f"{x:.1f}"
    shown = float(f"{x:.2g}")  # 0.996 -> 1.0: its decimals, 1.0
    return f"{shown:.1f}" if abs(shown) >= 1 else \
        f"{shown:.{1 - math.floor(math.log10(abs(shown)))}f}"


def print_report(body: dict[str, Any], window_days: float) -> None:
    """Print a report ``body`` (``campaign_report``'s) of a ``window_days`` window."""
    from recommender.campaigns.report import UNITS
    from recommender.campaigns.report_windows import source_words
    from recommender.io.text import iso_utc

    sends = [w for w in body["wave_starts"] if w["source"] == "recorded"]
    print(f"Campaign report of {body['plan_id']} (model {body['model_version']}): conversions "
          f"= events for the film by the user within {window_days:g} days of "
          f"{'each wave' + chr(39) + 's start (below), else ' if sends else ''}the plan's "
          f"start ({iso_utc(body['start'])}, unix {body['start']}); "
          f"{body['events_read']:,} events read in {'those windows' if sends else 'that window'}"
          f" as of {iso_utc(body['as_of'])} (unix {body['as_of']})"
          + (f", {body['events_after_as_of']:,} of them dated after it (counted: note below)"
             if body.get("events_after_as_of") else "")
          + ("; the window is still open (note below)" if body["window_open"] else ""))
    if sends:  # ``campaign sent``: each wave's own window
        print("waves' windows start: " + "; ".join(
            f"wave {w['wave']} {iso_utc(w['start'])} (unix {w['start']}, "
            f"{source_words(w)})"
            for w in body["wave_starts"]))
    print(body["note"])
    if body.get("calibration_warning"):  # a plan from a model of a log without times
        print(f"warning: {body['calibration_warning']}")

    from recommender.cli.report_notes import Place, block_name, grouped_notes

    blocks: list[tuple[Place, dict[str, Any]]] = [(("overall", None, None), body["overall"])]
    blocks += [(("wave", None, w["wave"]), w) for w in body["waves"]]
    for f in body["films"]:
        blocks.append((("film", f["film_id"], None), f))
        blocks += [(("film", f["film_id"], w["wave"]), w) for w in f["waves"]]
    # a film's waves indented under it
    rows = [report_row(f"{'  ' * (place[0] == 'film' and place[2] is not None)}"
                       f"{block_name(place)}", b) for place, b in blocks]
    # rows, not users: a user may be a target (or a control) of several films of the plan
    # each count with its unit (the "converted" columns and the predicted ones had none)
    print_table(["group", f"targets ({UNITS['targets']})", "converted (rows)", "target rate",
                  f"controls ({UNITS['controls']})", "converted (rows)",
                  # weighted over (film, wave) strata: not the converted / controls beside it
                  "control rate (weighted by targets per film x wave)",
                  "absolute uplift [95%]", "relative uplift [95%]",
                  "incremental conversions (rows) [95%]",
                  "predicted / observed conversions (target rows)"], rows)
    print("intervals: " + "; ".join(f"{k}: {v}" for k, v in body["method"].items()
                                    if k.endswith("uplift") or k == "strata"))
    # targets whose film and wave hold no control are not compared, and few targets or
    # controls make intervals approximate: each said once, naming the blocks
    for line in grouped_notes(blocks):
        print(line)
    # whether the places convert more unevenly than one rate per film and wave allows (the note
    # above says what it means when they do)
    print(f"place dispersion: {body['dispersion']['note']}")
    if body["dispersion"].get("model_warning"):  # --model is not the plan's model
        print(f"warning: {body['dispersion']['model_warning']}")
