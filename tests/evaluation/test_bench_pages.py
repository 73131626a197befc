"""The committed benchmark pages are what their renderers write from the committed results,
and each figure is named by the data and the process that measured it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def _readme_results() -> ModuleType:
    spec = importlib.util.spec_from_file_location("readme_results",
                                                  ROOT / "scripts" / "readme_results.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_s_server_memory_is_the_server_s(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's scaling table called bench_query.py's in-process figures (its peak
    includes exporting every film's audience) "server" memory; bench_http.py measures the
    server, whose peak it records as engine_server_peak_rss_mb."""
    for name in ("train", "query", "http"):
        (tmp_path / f"{name}.json").write_text((RESULTS / f"{name}.json").read_text())
    query = json.loads((RESULTS / "query.json").read_text())
    query.update(rss_after_load_mb=1024.0, peak_rss_queries_mb=3072.0)
    (tmp_path / "query.json").write_text(json.dumps(query))
    http = json.loads((RESULTS / "http.json").read_text())
    http["engine_server_peak_rss_mb"] = 2048.0
    (tmp_path / "http.json").write_text(json.dumps(http))
    rr = _readme_results()
    monkeypatch.setattr(rr, "RESULTS", tmp_path)
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1]
            for line in rr.scaling().splitlines()[2:]}
    server = [label for label in rows if "server" in label]
    assert server and all(rows[label] == "2.00 GiB" for label in server), rows
    assert "3.00 GiB" in rows.values() and "1.00 GiB" in rows.values()
