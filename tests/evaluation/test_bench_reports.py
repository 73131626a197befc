"""The benchmark renderers (benchmarks/*.py): every figure they print has its unit and source,
and a figure that does not exist reads as such, not as a malformed number."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _bench(name: str) -> ModuleType:
    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "benchmarks"))  # the scripts import their helpers by name
    try:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    return module


def _unscored_row() -> dict[str, object]:
    """A target row of a split where no film had 5+ test viewers (ml-100k / sparse5, time)."""
    return {"dataset": "ml-100k / sparse5", "protocol": "time",
            "metric": "audience_recall@100", "engine": None, "no_tune": None, "best": "ease",
            "best_value": None, "ratio": float("nan"), "target": 1.05, "low": None,
            "high": None, "measured": False, "met": False, "queries": 0}


def test_a_row_with_nothing_to_score_has_no_ratio_and_no_best_baseline() -> None:
    """The quality tables printed "n/ax" as the ratio and "EASE n/a" as the best baseline of
    a split where no model scored anything (README, Evaluation and defaults)."""
    q = _bench("quality_report")
    row = _unscored_row()
    assert q.ratio_cell(row) == "n/a (nothing to score)"
    assert q.best_cell(row) == "n/a"
    scored = {**row, "engine": 0.5, "best_value": 0.4, "ratio": 1.25, "measured": True}
    assert q.ratio_cell(scored) == "1.250x"
    assert q.best_cell(scored) == "EASE 0.4000"


def test_no_rendered_quality_report_prints_a_unit_after_n_a() -> None:
    for path in [ROOT / "README.md", *sorted((ROOT / "benchmarks" / "results").glob("*.md"))]:
        assert "n/ax" not in path.read_text(encoding="utf-8"), path
