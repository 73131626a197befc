"""The forecast-quality figures in the README and in benchmarks/results/distribution.md are the
ones in distribution.json (rendered by ``bench_distribution.py --render``, never typed), with
the rank correlation and the new-viewers-only forecast beside the mean absolute error."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "distribution.json"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("bench_distribution")


@pytest.fixture(scope="module")
def res() -> dict[str, Any]:
    if not RESULTS.is_file():
        pytest.skip("no benchmarks/results/distribution.json")
    return dict(json.loads(RESULTS.read_text(encoding="utf-8")))


def block(text: str, start: str, end: str) -> str:
    m = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, flags=re.S)
    assert m, "the README has no distribution results block"
    return m.group(1)


def test_readme_block_is_rendered_from_the_json(bench: ModuleType, res: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    body = block(readme, bench.README_START, bench.README_END)
    summary = "\n".join(bench.summary(res))
    assert body.startswith(summary + "\n\nMeasured at: ")
    assert body[len(summary):].count("\n") == 2  # the summary, then one line naming the run
    md = (ROOT / "benchmarks" / "results" / "distribution.md").read_text(encoding="utf-8")
    assert md == bench.markdown(res)


def test_summary_shows_both_measures_for_every_method(bench: ModuleType,
                                                     res: dict[str, Any]) -> None:
    lines = bench.summary(res)
    table = [line for line in lines if line.startswith("| ")]
    head, rows = table[0], table[2:]
    runs = [(q, attr) for q in res["quality"] for attr in q["by"]]
    assert head.count(": MAE") == head.count(": Spearman") == len(runs)
    assert [r.split(" | ")[0][2:] for r in rows] == [bench.SHORT[m] for m in bench.ROWS]
    # every figure is the JSON's, rounded; the best of each column is bold
    for i, m in enumerate(bench.ROWS):
        cells = [c.strip().strip("*") for c in rows[i].strip("| ").split(" | ")[1:]]
        for j, (q, attr) in enumerate(runs):
            k = q["by"][attr]["known_films"]
            assert cells[2 * j] == f"{k['mae'][m]:.4f}"
            assert cells[2 * j + 1] == f"{k['spearman'][m]:.3f}"
    verdicts = [line for line in lines if line.startswith("- ")]
    assert len(verdicts) == len(runs)
    for line, (q, attr) in zip(verdicts, runs, strict=True):
        k = q["by"][attr]["known_films"]
        rho = k["spearman"]
        better = all(rho[m] < rho["forecast"] for m in ("users", "past_viewing",
                                                         "genre_viewing"))
        assert ("ranks the places better than all three baselines" in line) == better
        # the new-viewers-only forecast is said to rank better than a baseline only where
        # it does ("better than it" followed "no better than the genre baseline")
        tail = line.split("the new-viewers-only forecast ranks them", 1)
        if len(tail) == 2:
            new_better = all(rho[m] < rho["forecast_new"] for m in ("users", "past_viewing",
                                                                     "genre_viewing"))
            assert ("better than all three baselines" in tail[1]) == new_better, line
            assert "better than it" not in tail[1]
        assert ("forecast beats all three baselines on MAE" in line) == all(
            k["mae"][m] > k["mae"]["forecast"] for m in ("users", "past_viewing",
                                                          "genre_viewing"))


def test_a_kept_timing_names_the_run_that_measured_it(bench: ModuleType, res: dict[str, Any],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun for the (deterministic) quality figures on a loaded machine had to measure the
    timing too, 20x the floor's quiet figures and every target "missed"; ``--keep-timing``
    keeps the previous timing, and the page and the README's timing block name the run it
    came from, not the new one."""
    import importlib.util

    old = {**res, "created": "2030-01-02 03:04:05",
           "machine": {**res["machine"], "git_commit": "old1234"}, "load_average": [0.5]}
    old["timing"] = {k: v for k, v in res["timing"].items() if k != "measured"}
    kept = bench.kept_timing(old)
    assert kept["measured"]["machine"]["git_commit"] == "old1234"
    assert {k: v for k, v in kept.items() if k != "measured"} == old["timing"]
    new = {**old, "created": "2031-05-06 07:08:09",
           "machine": {**res["machine"], "git_commit": "new5678"}, "timing": kept}
    # a second --keep-timing keeps the first run's provenance, not the run in between
    assert bench.kept_timing(new)["measured"] == kept["measured"]
    text = bench.markdown(new)
    timing = text.split("## Timing: one film's distribution", 1)[1]
    assert "Timing measured 2030-01-02 03:04:05 (the machine's local time) at commit old1234" \
        in timing and "(load average 0.50 (1 min))" in timing
    assert "at commit new5678" in text.split("## Timing", 1)[0]
    assert "Timing measured" not in bench.markdown(old)  # a page's own timing: no line

    spec = importlib.util.spec_from_file_location("readme_results_kept",
                                                  ROOT / "scripts" / "readme_results.py")
    assert spec is not None and spec.loader is not None
    rr = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rr)
    (tmp_path / "distribution.json").write_text(json.dumps(new), encoding="utf-8")
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    assert rr.measured_at(rr.SOURCES["distribution-timing"]) == (
        "Measured at: `benchmarks/results/distribution.json` (timing): commit old1234, "
        "2030-01-02.")
    assert rr.measured_at(rr.SOURCES["distribution"]) == (
        "Measured at: `benchmarks/results/distribution.json`: commit new5678, 2031-05-06.")
