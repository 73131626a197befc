"""The new film summary's interval note quotes its figures from the measured result file.

``cold_summary.INTERVAL_NOTE`` says how far known films taken as new erred from the viewers
they really gained in the held-out slice (``held_out``: the accuracy against outcomes) and,
apart, how far from the model's own forecast of them (``own``: agreement with the model, no
accuracy), for the comparables rule and genres alone: figures written into a library string,
so this test reads them again from ``benchmarks/results/cold_calibration.json``, written by
``benchmarks/bench_cold_calibration.py``, and fails when a rerun moves them. The README's
paragraph takes its figures from the same file (``scripts/readme_results.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

from recommender.distribution.cold_summary import INTERVAL_NOTE

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
RULES = {"comparables": "comparables", "genres": "genres: nearest 5 per genre (shipped)"}


def _span(rule: str, column: str) -> str:
    """``min-max`` over the datasets of ``column``'s median for ``rule``, as the note says it."""
    doc = json.loads((RESULTS / "cold_calibration.json").read_text(encoding="utf-8"))
    found = [row[f"{column}_median"] for d in doc["datasets"] for row in d["rows"]
             if row["rule"] == rule]
    assert len(found) >= 2, (rule, found)
    return f"{min(found):.2f}-{max(found):.2f}"


def test_the_interval_note_states_the_held_out_error_as_its_accuracy() -> None:
    held = [_span(RULES[r], "held_out") for r in ("comparables", "genres")]
    own = [_span(RULES[r], "own") for r in ("comparables", "genres")]
    # the held-out error is the accuracy the note states; the own one only as agreement
    assert (f"held-out slice with a median |log ratio| error of {held[0]} from those "
            f"comparables, {held[1]} from genres alone") in INTERVAL_NOTE, INTERVAL_NOTE
    assert (f"agreement with the model's own forecast of them ({own[0]} from comparables, "
            f"{own[1]} from genres) is no accuracy against outcomes") in INTERVAL_NOTE
    # the comparables there were chosen by the model, from the film's own trained vector
    assert "comparables the model chose" in INTERVAL_NOTE
    assert "own trained taste vector, which a new film lacks" in INTERVAL_NOTE


def test_the_readme_states_the_held_out_error_from_the_result_file() -> None:
    readme = (RESULTS.parents[1] / "README.md").read_text(encoding="utf-8")
    held = _span(RULES["comparables"], "held_out")
    own = _span(RULES["comparables"], "own")
    said = readme[readme.index("<!-- results:cold-held-out:start -->"):]
    assert said.startswith(f"<!-- results:cold-held-out:start -->{held} from those comparables")
    assert f"<!-- results:cold-own:start -->{own}" in readme
    # the old sentence stated the agreement with the model as the error
    assert f"of {own} against their own" not in readme
