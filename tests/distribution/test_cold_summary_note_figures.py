"""The new film summary's interval note quotes its figures from the measured results page.

``cold_summary.INTERVAL_NOTE`` says how far known films taken as new erred from their own
calibrated forecasts (the comparables rule, and genres alone): figures written into a library
string (and the README's paragraph), so this test reads them again from
``benchmarks/results/cold_calibration.md``, written by ``benchmarks/bench_cold_calibration.py``,
and fails when a rerun moves them.
"""

from __future__ import annotations

from pathlib import Path

from recommender.distribution.cold_summary import INTERVAL_NOTE

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def _medians(rule_prefix: str) -> list[float]:
    """The median error against the films' own forecasts of every dataset's row whose rule
    starts with ``rule_prefix``, as the page's "error vs own" column shows it."""
    page = (RESULTS / "cold_calibration.md").read_text(encoding="utf-8")
    found = []
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith(rule_prefix):
            found.append(float(cells[1].split()[0]))
    return found


def test_the_interval_note_quotes_the_results_page() -> None:
    for prefix in ("comparables", "genres: nearest 5 per genre"):
        medians = _medians(prefix)
        assert len(medians) >= 2, (prefix, medians)
        quoted = f"{min(medians):.2f}-{max(medians):.2f}"
        assert quoted in INTERVAL_NOTE, (prefix, quoted, INTERVAL_NOTE)
    # the README's paragraph on the new film summary quotes the comparables' figure too
    readme = (RESULTS.parents[1] / "README.md").read_text(encoding="utf-8")
    comparables = _medians("comparables")
    assert f"median |log ratio| of {min(comparables):.2f}-{max(comparables):.2f}" in readme
