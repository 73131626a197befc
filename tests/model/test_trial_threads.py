"""The search's thread cap: every pool at most ``trials.TRIAL_THREADS`` during the trials,
never raised above what it was, and a search's report the same on one thread as on all, and
with its trials measured one at a time as side by side (``Search.prefetch``)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

import numpy as np
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

    def counted(self: trials.Search, cfg: TrainConfig, threads: int | None = None,
                stop: Any = None) -> Any:
        if threads is None:  # the calling thread's pools (the main thread's cap)
            seen.extend(int(p["num_threads"]) for p in threadpool_info()
                        if p["user_api"] == "openmp")
        else:  # a trial side by side: its fit's own threads (OpenMP's count is per thread)
            seen.append(threads)
        return real(self, cfg, threads, stop)

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
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (1, 1))
    chosen_1, report_1 = tuning.tune(data, CFG)
    threads_seen: list[int | None] = []
    real = trials.Search.factors

    def counted(self: trials.Search, cfg: TrainConfig, threads: int | None = None,
                stop: Any = None) -> Any:
        threads_seen.append(threads)
        return real(self, cfg, threads, stop)

    monkeypatch.setattr(trials.Search, "factors", counted)
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (side_by_side, 1))
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


@pytest.mark.parametrize(("cores", "todo", "expected"), [
    (16, 2, (2, 4)), (8, 2, (2, 4)), (8, 3, (3, 2)), (8, 9, (4, 2)), (2, 9, (2, 1)),
    (6, 1, (1, 4))])
def test_fewer_trials_than_the_cores_take_more_threads_each(
        cores: int, todo: int, expected: tuple[int, int]) -> None:
    assert trials.concurrency(cores, trials=todo) == expected


def test_an_openmp_pool_set_lower_keeps_the_search_to_it() -> None:
    """OMP_NUM_THREADS=1 (an OpenMP pool of 1) ran 16 threads side by side: the explicit
    count of each fit overrode it."""
    cpus = trials.usable_threads([])
    assert cpus >= 1
    assert trials.usable_threads([{"user_api": "openmp", "num_threads": 1},
                                  {"user_api": "blas", "num_threads": 8}]) == 1
    assert trials.usable_threads([{"user_api": "openmp", "num_threads": 10**6}]) == cpus
    with threadpool_limits(1, "openmp"), trials.trial_threads():
        assert trials.concurrency() == (1, 1)  # one at a time: as before the side by side


def _search() -> trials.Search:
    data = planted_groups()
    train = data.subset(data.timestamp < sorted(data.timestamp)[int(len(data) * 0.8)]) \
        if data.timestamp is not None else data
    return trials.Search(train, data.to_csr(), np.arange(data.n_users), CFG, False)


def test_a_stopped_search_ends_its_fits_at_the_next_sweep() -> None:
    search = _search()
    stop = threading.Event()
    search.factors(replace(CFG, family="als"), 1, stop)  # not set: the fit runs
    stop.set()
    with pytest.raises(trials.TrialStoppedError):
        search.factors(replace(CFG, family="als"), 1, stop)


def test_an_error_in_one_trial_stops_the_others_and_is_raised(
        monkeypatch: pytest.MonkeyPatch) -> None:
    search = _search()
    stops: list[threading.Event] = []
    real = trials.Search._measure

    def measure(self: trials.Search, params: dict[str, Any], *a: Any, **kw: Any) -> Any:
        stops.append(kw["stop"])
        if params["regularization"] == 10.0:
            raise RuntimeError("planted")
        return real(self, params, *a, **kw)

    monkeypatch.setattr(trials.Search, "_measure", measure)
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (2, 1))
    cells = [{**CFG.to_dict(), "regularization": r} for r in (30.0, 10.0, 100.0)]
    cells = [{n: c[n] for n in ("regularization", "alpha", "weighting", "factors",
                                "popularity")} for c in cells]
    with pytest.raises(RuntimeError, match="planted"):
        search.prefetch(cells)
    assert stops and all(s.is_set() for s in stops) and not search.trials


def test_an_ease_candidate_keeps_the_als_ones_after_it_in_turn(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured side by side only up to the first candidate not of ALS: the ones after it
    would have been recorded before it."""
    search = _search()
    measured: list[float] = []

    def measure(self: trials.Search, params: dict[str, Any], *a: Any, **kw: Any) -> Any:
        measured.append(params["regularization"])
        raise AssertionError("not measured side by side")

    monkeypatch.setattr(trials.Search, "_measure", measure)
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (2, 1))
    base = {"alpha": 3.0, "weighting": "binary", "factors": 8, "popularity": 0.0}
    search.prefetch([{**base, "regularization": 30.0},
                     {**base, "regularization": 30.0, "family": "ease", "ease_lambda": 100.0},
                     {**base, "regularization": 10.0}, {**base, "regularization": 100.0}])
    assert measured == []  # one ALS trial before the EASE one: nothing side by side
