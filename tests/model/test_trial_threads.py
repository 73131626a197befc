"""The search's thread cap: every pool at most ``trials.TRIAL_THREADS`` during the trials,
never raised above what it was, and a search's report the same on one thread as on all, and
with its trials measured one at a time as side by side (``Search.prefetch``)."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from test_tuning import planted_groups
from threadpoolctl import threadpool_info, threadpool_limits

from recommender.kernels import cpus
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


@pytest.mark.parametrize("shares", [(1, 1), (1, 1, 1), (2, 1, 1)])
def test_trials_side_by_side_report_what_one_at_a_time_does(
        monkeypatch: pytest.MonkeyPatch, shares: tuple[int, ...]) -> None:
    """The oracle: the same search with one trial at a time (``concurrency`` (1,)); side by
    side on even shares and on uneven ones (6 cores: 2, 2, 1, 1)."""
    data = planted_groups()
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (1,))
    chosen_1, report_1 = tuning.tune(data, CFG)
    threads_seen: list[int | None] = []
    real = trials.Search.factors

    def counted(self: trials.Search, cfg: TrainConfig, threads: int | None = None,
                stop: Any = None) -> Any:
        threads_seen.append(threads)
        return real(self, cfg, threads, stop)

    monkeypatch.setattr(trials.Search, "factors", counted)
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: shares)
    chosen, report = tuning.tune(data, CFG)
    assert report["status"] == "searched" and len(report["trials"]) > 10
    side = [t for t in threads_seen if t is not None]  # the grid's cells, the schemes
    assert len(side) >= 8 and set(side) == set(shares)
    assert chosen == chosen_1
    assert tuning.timeless(report) == tuning.timeless(report_1)  # the same trials, in order


@pytest.mark.parametrize(("cores", "expected"), [
    (1, (1,)), (2, (1, 1)), (3, (1, 1, 1)), (4, (1, 1, 1, 1)), (6, (2, 2, 1, 1)),
    (8, (2, 2, 2, 2)), (16, (4, 4, 4, 4)), (64, (4, 4, 4, 4))])
def test_side_by_side_trials_share_the_cores(cores: int, expected: tuple[int, ...]) -> None:
    shares = trials.concurrency(cores)
    assert shares == expected
    assert sum(shares) <= cores and max(shares) <= trials.TRIAL_THREADS


@pytest.mark.parametrize("todo", [None, 1, 2, 3, 4, 9])
@pytest.mark.parametrize("cores", range(1, 17))
def test_every_core_is_used_where_the_cap_and_the_trials_allow(cores: int,
                                                               todo: int | None) -> None:
    """6 cores ran 4 trials of 1 thread (2 idle), 7 and 5 the same: the oracle counts the
    cores the trials can keep busy, ``min(cores, trials at once x TRIAL_THREADS)``."""
    shares = trials.concurrency(cores, trials=todo)
    at_once = min(trials.MAX_SIDE_BY_SIDE, cores, todo or cores)
    assert len(shares) == at_once  # as many side by side as before
    assert all(1 <= t <= trials.TRIAL_THREADS for t in shares)
    assert max(shares) - min(shares) <= 1  # as even as whole threads go
    assert sum(shares) == min(cores, at_once * trials.TRIAL_THREADS)


@pytest.mark.parametrize(("cores", "todo", "expected"), [
    (16, 2, (4, 4)), (8, 2, (4, 4)), (8, 3, (3, 3, 2)), (8, 9, (2, 2, 2, 2)), (2, 9, (1, 1)),
    (6, 1, (4,))])
def test_fewer_trials_than_the_cores_take_more_threads_each(
        cores: int, todo: int, expected: tuple[int, ...]) -> None:
    assert trials.concurrency(cores, trials=todo) == expected


def test_an_openmp_pool_set_lower_keeps_the_search_to_it() -> None:
    """OMP_NUM_THREADS=1 (an OpenMP pool of 1) ran 16 threads side by side: the explicit
    count of each fit overrode it."""
    import implicit.cpu.als  # noqa: F401  (its OpenMP loaded before the limit: run alone, the
    # test limited no OpenMP pool, loaded later inside ``trial_threads`` at the cores' count)

    here = trials.usable_threads([])
    assert here >= 1
    assert trials.usable_threads([{"user_api": "openmp", "num_threads": 1},
                                  {"user_api": "blas", "num_threads": 8}]) == 1
    assert trials.usable_threads([{"user_api": "openmp", "num_threads": 10**6}]) == here
    with threadpool_limits(1, "openmp"), trials.trial_threads():
        assert trials.concurrency() == (1,)  # one at a time: as before the side by side


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
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (1, 1))
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
    monkeypatch.setattr(trials, "concurrency", lambda *a, **k: (1, 1))
    base = {"alpha": 3.0, "weighting": "binary", "factors": 8, "popularity": 0.0}
    search.prefetch([{**base, "regularization": 30.0},
                     {**base, "regularization": 30.0, "family": "ease", "ease_lambda": 100.0},
                     {**base, "regularization": 10.0}, {**base, "regularization": 100.0}])
    assert measured == []  # one ALS trial before the EASE one: nothing side by side


def big_host(monkeypatch: pytest.MonkeyPatch, quota: int | None) -> None:
    """A 64-core host (this process's affinity) in a container whose cgroup allows ``quota``
    CPUs (the quota reader faked)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(cpus, "cpu_quota", lambda *a, **k: quota)


@pytest.mark.parametrize(("quota", "expected"), [(None, 64), (4, 4), (1, 1), (6, 6)])
def test_the_search_keeps_to_a_cpu_quota(monkeypatch: pytest.MonkeyPatch, quota: int | None,
                                         expected: int) -> None:
    """A quota of 4 CPUs on 64 cores ran 4 trials x 4 threads, throttled: the affinity alone
    was read."""
    big_host(monkeypatch, quota)
    assert trials.usable_threads([]) == expected
    assert trials.usable_threads([{"user_api": "openmp", "num_threads": 3}]) == min(3, expected)
    monkeypatch.setattr(trials, "threadpool_info", lambda: [])  # no pool set lower
    shares = trials.concurrency()
    assert sum(shares) == min(expected, trials.MAX_SIDE_BY_SIDE * trials.TRIAL_THREADS)


def test_a_quota_of_one_cpu_runs_the_trials_one_at_a_time_on_one_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import implicit.cpu.als  # noqa: F401  (its OpenMP and BLAS loaded: their pools listed)

    big_host(monkeypatch, 1)
    with trials.trial_threads():
        assert trials.concurrency() == (1,)
        assert {p["num_threads"] for p in threadpool_info()} == {1}
