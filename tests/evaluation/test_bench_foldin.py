"""benchmarks/bench_foldin.py on a small demo log: EASE's fold-in is its exact linear map, so a
watch list's top 10 is the trained user's (an oracle the stand-in for BPR need not meet), and
the page renders every row."""

from __future__ import annotations

from pathlib import Path

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
