"""The search's thread cap: every pool at most ``trials.TRIAL_THREADS`` during the trials,
never raised above what it was, and a search's report the same on one thread as on all, and
with its trials measured one at a time as side by side (``Search.prefetch``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from test_tuning import planted_groups
from threadpoolctl import threadpool_info, threadpool_limits

from recommender.model import trials, tuning
from recommender.model.config import TrainConfig

CFG = replace(TrainConfig(factors=8, iterations=4, segments=2, tune=True), fixed=("factors",))


def test_the_cap_lowers_each_pool_and_never_raises_one() -> None:
    pools = [{"prefix": "libgomp", "num_threads": 16},
             {"prefix": "libscipy_openblas", "num_threads": 2},
             {"prefix": "libopenblas", "num_threads": 8},
             {"prefix": "libopenblas", "num_threads": 1}]  # two copies: the lower count
    assert trials.trial_limits(pools, 4) == {"libgomp": 4, "libscipy_openblas": 2,
                                             "libopenblas": 1}
    assert trials.trial_limits([], 4) == {}


def test_trials_run_under_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = trials.Search.factors

    def counted(self: trials.Search, cfg: TrainConfig, threads: int | None = None) -> Any:
        if threads is None:  # the calling thread's pools (the main thread's cap)
            seen.extend(int(p["num_threads"]) for p in threadpool_info()
                        if p["user_api"] == "openmp")
        else:  # a trial side by side: its fit's own threads (OpenMP's count is per thread)
            seen.append(threads)
        return real(self, cfg, threads)

    monkeypatch.setattr(trials, "TRIAL_THREADS", 1)
    monkeypatch.setattr(trials.Search, "factors", counted)
    _, report = tuning.tune(planted_groups(), CFG)
    assert report["status"] == "searched" and seen and set(seen) == {1}
    # and lifted after the search
    assert all(p["num_threads"] >= 1 for p in threadpool_info())


def test_a_search_on_one_thread_reports_what_a_search_on_every_thread_does() -> None:
    data = planted_groups()
    import implicit.cpu.als  # noqa: F401  (its OpenMP loaded before the snapshot: run alone,
    # the test read libgomp in the pools after the search and not before)
    before = {p["prefix"]: p["num_threads"] for p in threadpool_info()}
    chosen, report = tuning.tune(data, CFG)
    assert {p["prefix"]: p["num_threads"] for p in threadpool_info()} == before
    with threadpool_limits(1):
        chosen_1, report_1 = tuning.tune(data, CFG)
    assert report["status"] == "searched" and len(report["trials"]) > 10
    assert chosen == chosen_1
    assert tuning.timeless(report) == tuning.timeless(report_1)


@pytest.mark.parametrize("side_by_side", [2, 3])
def test_trials_side_by_side_report_what_one_at_a_time_does(
        monkeypatch: pytest.MonkeyPatch, side_by_side: int) -> None:
    """The oracle: the same search with one trial at a time (``concurrency`` 1)."""
    data = planted_groups()
    monkeypatch.setattr(trials, "concurrency", lambda: (1, 1))
    chosen_1, report_1 = tuning.tune(data, CFG)
    threads_seen: list[int | None] = []
    real = trials.Search.factors

    def counted(self: trials.Search, cfg: TrainConfig, threads: int | None = None) -> Any:
        threads_seen.append(threads)
        return real(self, cfg, threads)

    monkeypatch.setattr(trials.Search, "factors", counted)
    monkeypatch.setattr(trials, "concurrency", lambda: (side_by_side, 1))
    chosen, report = tuning.tune(data, CFG)
    assert report["status"] == "searched" and len(report["trials"]) > 10
    assert threads_seen.count(1) >= 8  # the grid's cells, the schemes: side by side
    assert chosen == chosen_1
    assert tuning.timeless(report) == tuning.timeless(report_1)  # the same trials, in order


@pytest.mark.parametrize(("cores", "expected"), [
    (1, (1, 1)), (2, (2, 1)), (3, (3, 1)), (4, (4, 1)), (8, (4, 2)), (16, (4, 4)),
    (64, (4, 4))])
def test_side_by_side_trials_share_the_cores(cores: int, expected: tuple[int, int]) -> None:
    side_by_side, threads = trials.concurrency(cores)
    assert (side_by_side, threads) == expected
    assert side_by_side * threads <= cores and threads <= trials.TRIAL_THREADS
