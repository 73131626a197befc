"""Shared pytest fixtures."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Interrupts reach the suite, whoever started it. A shell without job control starts a
    background command (``bash .ci/run &``, ``nohup``) with SIGINT ignored; Python then keeps
    it ignored, and so does every child it starts: the tests that send SIGINT to the CLI (in
    this process or a child) saw it finish its work and exit 0, not stop with 130."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` starts one worker per core this process may keep busy (its CPU affinity, at
    most its cgroup CPU quota: ``kernels.cpus.available_cpus``): xdist's own count asks psutil
    for the machine's physical cores, cores a cpuset-limited container may not be given, and a
    quota-limited one not the time of. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides where
    set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    from recommender.kernels.cpus import available_cpus

    return available_cpus()


_ROOMS = ("browser", "spark")


def _room(nodeid: str) -> str | None:
    """The room of a test: ``browser`` or ``spark`` for those under tests/browser or
    tests/spark, ``spark`` for the trainer contract's Spark case (``[spark]``,
    ``[spark-...]``); None for any other."""
    for room in _ROOMS:
        if nodeid.startswith(f"tests/{room}/"):
            return room
    return "spark" if re.search(r"\[spark[\]-]", nodeid) else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is marked ``browser`` and every one under tests/spark
    ``spark`` (``make test`` runs the other tests on every core first, then these two
    rooms side by side: ``pytest_xdist_make_scheduler``)."""
    here = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        for room in _ROOMS:
            if path.is_relative_to(here / room):
                item.add_marker(getattr(pytest.mark, room))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadgroup``, each room (``_room``) is one unit of work, run one test at a
    time by one worker, so its Chromium or JVM and the servers it starts are started once;
    any other test is a unit of its own. xdist's ``xdist_group`` mark could not do this: it
    renames the test's node id, which pytest 9 no longer reads (both rooms' tests went to
    both workers, each starting a Chromium and a JVM)."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class RoomScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _room(nodeid) or nodeid

    return RoomScheduling(config, log)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real public datasets at ``../shared/datasets`` beside the checkout (read-only).

    Never copy them, or anything derived from them, into the repository.
    """
    path = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    if not path.is_dir():
        pytest.skip("../shared/datasets not found beside the checkout")
    return path


@pytest.fixture()
def no_recommender_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``RECOMMENDER_*`` variable of the environment the tests run in reaches the test: its
    settings are the defaults and what it sets itself."""
    for name in [n for n in os.environ if n.startswith("RECOMMENDER_")]:
        monkeypatch.delenv(name)


@pytest.fixture()
def server_never_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """``uvicorn.run``, its server and the workers' supervisor fail the test: for the tests of
    what ``serve`` refuses before a server starts (one that started would serve until
    stopped)."""
    import uvicorn

    from service.serve_stop import Supervisor

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr(uvicorn, "run", started)
    monkeypatch.setattr(uvicorn.Server, "run", started)
    monkeypatch.setattr(Supervisor, "run", started)


@pytest.fixture(autouse=True)
def _held_signals_act_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal the CLI held (``HeldInterrupts``) acts, once its block is left, as its handler
    run in this process (``signal_arrives``), not as a real signal raised in the test runner
    (``signal.raise_signal``), which a parallel run shares; the CLI's own ``deliver`` is
    tested in a child process (``signal_arrival.stopped_child``: the held-signal tests of
    ``plan``, test_cli_campaigns, and of ``campaign copy``, test_cli_campaign_copy)."""
    from signal_arrival import signal_arrives

    from recommender.cli import interrupts

    monkeypatch.setattr(interrupts, "deliver", signal_arrives)


@pytest.fixture(autouse=True)
def _one_report_time(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every campaign report a test makes in this process is made at one time, the clock's at
    its first report: a report says how much of each wave's window had passed (its
    ``as_of``), so two reports a test compares (the CLI's and HTTP's, one with places and one
    without) differed when a second ticked between them. A test marked ``report_clock`` reads
    the clock at each report; one that sets ``report_now`` itself sets its own."""
    if request.node.get_closest_marker("report_clock"):
        return
    from recommender.campaigns import report

    clock = report.report_now
    first: list[int] = []

    def once() -> int:
        if not first:
            first.append(clock())
        return first[0]

    monkeypatch.setattr(report, "report_now", once)
