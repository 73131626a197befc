"""The quality report's verdicts against sampling noise (benchmarks/quality_report.py)."""

from __future__ import annotations

from types import ModuleType

from helpers import load_benchmark


def _report() -> ModuleType:
    return load_benchmark("quality_report")


def test_a_tie_on_every_query_is_within_noise_not_met_beyond_it() -> None:
    """ml-latest-small / sparse5 (time), user recall: the engine and popularity scored the same
    on each of 8 users, so the paired interval is 1.000-1.000x, exactly the 1.00x target; the
    report said "yes" (met beyond noise) and counted it so."""
    q = _report()
    tie = {"measured": True, "met": True, "ratio": 1.0, "target": 1.0, "low": 1.0, "high": 1.0}
    assert q.noise(tie) == "within"
    assert q.verdict_cell(tie) == "yes (within noise)"
    clear = {**tie, "ratio": 1.2, "low": 1.1, "high": 1.3}
    assert q.noise(clear) == "beyond" and q.verdict_cell(clear) == "yes"
    short = {**tie, "met": False, "ratio": 0.9, "low": 0.85, "high": 0.95}
    assert q.verdict_cell(short) == "**no**"
