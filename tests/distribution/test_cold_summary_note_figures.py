"""The new film summary's interval note quotes its figures from the measured result file.

``cold_summary.INTERVAL_NOTE`` says how far known films taken as new erred from the viewers
they really gained in the held-out slice (``held_out``: the accuracy against outcomes) and,
apart, how far from the model's own forecast of them (``own``: agreement with the model, no
accuracy), for the comparables rule and genres alone: figures written into a library string,
so this test reads them again from ``benchmarks/results/cold_calibration.json``, written by
``benchmarks/bench_cold_calibration.py``, and fails when a rerun moves them. The README's
paragraph takes its figures from the same file (``scripts/readme_results.py``), and so does
the note: the package ships no results, so that script writes them into
``recommender/distribution/cold_error_figures.py`` (they were typed by hand in the string).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import pytest

from recommender.distribution import cold_error_figures
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


def _readme_results() -> ModuleType:
    path = RESULTS.parents[1] / "scripts" / "readme_results.py"
    spec = importlib.util.spec_from_file_location("readme_results", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_notes_figures_module_is_what_the_result_file_renders() -> None:
    """The note's figures come from ``cold_error_figures``, which ``readme_results.py``
    writes from the result file: it is the one the committed results render (a rerun of the
    benchmark without the script leaves it stale here), and its figures are the file's."""
    rr = _readme_results()
    path = Path(cold_error_figures.__file__)
    assert path == rr.COLD_MODULE
    assert path.read_text(encoding="utf-8") == rr.cold_module(), \
        "stale: run scripts/readme_results.py"
    doc = json.loads((RESULTS / "cold_calibration.json").read_text(encoding="utf-8"))
    assert cold_error_figures.COMPARABLES == doc["comparables"]
    assert cold_error_figures.HELD_OUT_COMPARABLES == _span(RULES["comparables"], "held_out")
    assert cold_error_figures.OWN_GENRES == _span(RULES["genres"], "own")
    assert f"each like {doc['comparables']} comparables the model chose" in INTERVAL_NOTE
    assert f"a factor of 2 is {math.log(2):.2f}" in INTERVAL_NOTE


def test_a_rerun_of_the_benchmark_moves_the_notes_figures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No figure of the note is typed: results with other figures render another module, and
    ``--check`` names it stale."""
    rr = _readme_results()
    doc = json.loads((RESULTS / "cold_calibration.json").read_text(encoding="utf-8"))
    for d in doc["datasets"]:
        for row in d["rows"]:
            row["held_out_median"] = 1.234
    doc["comparables"] = 4
    (tmp_path / "cold_calibration.json").write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    text = rr.cold_module()
    assert 'HELD_OUT_COMPARABLES = "1.23-1.23"' in text and "COMPARABLES = 4" in text
    assert text != Path(cold_error_figures.__file__).read_text(encoding="utf-8")
