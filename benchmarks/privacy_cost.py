"""What hiding costs, as the privacy attack's page says it: the cells each scope shows and hides,
a summary's CPU time and the linear programmes its forced 0s took (``privacy_attack.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

_SOLVED = {"programmes": 0, "counting": 0}


def counted_programmes() -> int:
    """How many linear programmes ``forced_zeros`` (a summary's forced 0s, the only
    programme a summary solves) has solved in this process since the first call: its
    ``linprog`` is wrapped by a counter then (the README's "N to M programmes for a demo
    film's first summary" is this count)."""
    from recommender.query import forced_zeros

    if not _SOLVED["counting"]:
        solve = forced_zeros.linprog

        def counting(*args: Any, **kwargs: Any) -> Any:
            _SOLVED["programmes"] += 1
            return solve(*args, **kwargs)

        forced_zeros.linprog = counting  # type: ignore[assignment]
        _SOLVED["counting"] = 1
    return _SOLVED["programmes"]


def programmes_text(lp: dict[str, Any] | None) -> str:
    """The words on the linear programmes a film's first summary solved for its forced 0s
    (``forced_zeros.py``); none for a run that did not count them."""
    if not lp:
        return ""
    return (f"; a first summary solved {lp['least']} to {lp['most']} linear programmes for "
            f"its forced 0s (median {lp['median']:g}; `forced_zeros.py`)")


def cost_lines(result: dict[str, Any]) -> list[str]:
    """The cells each scope's portraits show and hide on the films attacked (both versions),
    the segment splits' (the same in every scope), and a summary's CPU time."""
    cells = result.get("cells_by_scope")
    if not cells:
        return ["Not measured by this run."]
    cpu = result["summary_cpu_s"]
    load = common.load_text((result.get("machine") or {}).get("load_average_at_start"))

    def row(name: str, shown: int, hidden: int) -> str:
        share = hidden / (shown + hidden) if shown + hidden else 0.0
        return f"| {name} | {shown:,} | {hidden:,} | {share:.1%} |"

    lines = [
        f"Cells of the summaries of the {result['films_attacked']} films attacked, both "
        "versions (viewers ranked out and in) together, at minimum cell "
        f"{result['min_cell']}: a hidden cell is one left out (a portrait row, or a "
        "segment's row in a tier's or the overall split; the bodies' `suppressed_cells`).",
        "", "| cells | shown | hidden | share hidden |", "|---|---|---|---|"]
    lines += [row(f"portrait of {scope}", c["portrait_shown"], c["portrait_hidden"])
              for scope, c in cells.items()]
    every = cells["all"]
    lines += [row("segment splits (every tier and overall)", every["segments_shown"],
                  every["segments_hidden"]), "",
              f"A film's first summary took {cpu['first_median']:.3f} s of CPU (median of "
              f"{cpu['first_of']} films; scope `core`, viewers ranked out), each of its other "
              f"scopes and versions {cpu['others_median']:.3f} s (median of "
              f"{cpu['others_of']:,}; the last 1,024 suppressions are kept by their tables)"
              + programmes_text(result.get("first_summary_programmes")) + ". "
              f"Measured at {common.provenance(result.get('machine'))}, load average at "
              f"start {load}."]
    return lines
