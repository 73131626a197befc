"""benchmarks/bench_foldin.py on a small demo log: EASE's fold-in is its exact linear map, so a
watch list's top 10 is the trained user's (an oracle the stand-in for BPR need not meet), and
the page renders every row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import load_benchmark, make_demo

from recommender.io import readers


def test_foldin_overlap_is_whole_for_ease_and_rendered(tmp_path: Path) -> None:
    bench = load_benchmark("bench_foldin")
    data = readers.load(make_demo(tmp_path / "demo", n_users=300, n_films=60))
    ease = bench.overlaps("EASE", {"family": "ease"}, data, 25)
    assert ease["users"] == 25 and ease["mean_overlap"] == 1.0
    bpr = bench.overlaps("BPR", {"model": "bpr"}, data, 25)
    assert 0.0 <= bpr["mean_overlap"] <= 1.0 and bpr["users"] == 25
    page = bench.markdown({"rows": [{"dataset": "demo", **ease}, {"dataset": "demo", **bpr}],
                           "users": 25, "machine": None})
    assert "## Summary" in page and "| demo | EASE | 100% |" in page and "| demo | BPR |" in page


def test_foldin_and_the_privacy_attack_record_when_they_finished(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """foldin.json and privacy_attack.json kept a commit and no time, so the README's copies
    of them said "day not recorded". Oracle: the clock read around each run."""
    import json
    from datetime import UTC, datetime

    bench = load_benchmark("bench_foldin")
    make_demo(tmp_path / "data" / "demo", n_users=120, n_films=30)
    monkeypatch.setattr(bench, "DATASETS", ("demo",))
    monkeypatch.setattr(bench, "MODELS", {"EASE": {"family": "ease"}})
    before = datetime.now(UTC).replace(microsecond=0)
    assert bench.main(["--datasets", str(tmp_path / "data"), "--users", "5",
                       "--out", str(tmp_path / "foldin")]) == 0
    after = datetime.now(UTC)
    done = datetime.fromisoformat(json.loads((tmp_path / "foldin.json").read_text())["finished"])
    assert before <= done <= after

    attack = load_benchmark("privacy_attack")
    stub = {"model_version": "v", "users": 1, "films": 1, "sha256": "0" * 64}
    monkeypatch.setattr(attack, "load", lambda path: type("M", (), {
        "films": type("F", (), {"ids": np.array(["f1"])})()})())
    monkeypatch.setattr(attack, "model_fingerprint", lambda path, model: stub)
    monkeypatch.setattr(attack, "attack", lambda model, films, min_cell: {
        "min_cell": min_cell, "films_attacked": len(films), "film_ids": films, "pinned": 0,
        "films_with_pinned": 0, "pinned_by_attribute": {}, "pinned_users": [],
        "linear_programmes": 0, "groups": [], "cells_by_scope": {}, "summary_cpu_s": {},
        "runtime_s": 0.0, "cpu_s": 0.0})
    monkeypatch.setattr(attack, "markdown", lambda result: "page\n")
    before = datetime.now(UTC).replace(microsecond=0)
    assert attack.main([str(tmp_path), "--films", "1", "--out", str(tmp_path / "pa")]) == 0
    after = datetime.now(UTC)
    done = datetime.fromisoformat(json.loads((tmp_path / "pa.json").read_text())["finished"])
    assert before <= done <= after
