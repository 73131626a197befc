"""Shared pytest fixtures."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Interrupts reach the suite, whoever started it. A shell without job control starts a
    background command (``bash .ci/run &``, ``nohup``) with SIGINT ignored; Python then keeps
    it ignored, and so does every child it starts: the tests that send SIGINT to the CLI (in
    this process or a child) saw it finish its work and exit 0, not stop with 130."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` starts one worker per core this process may run on: xdist's own count asks
    psutil for the machine's physical cores, cores a container may not be given."""
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(cores) if cores else os.cpu_count() or 1


_ROOMS = ("browser", "spark")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser is marked ``browser`` and every one under tests/spark
    ``spark``, each room an xdist group of its own. ``make test`` runs the other tests on every
    core, then the two rooms side by side, each one test at a time on a worker of its own
    (``--dist loadgroup``): a room's Chromium or JVM, and the servers it starts, are shared by
    its tests and were started once per worker."""
    here = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        for room in _ROOMS:
            if path.is_relative_to(here / room):
                item.add_marker(getattr(pytest.mark, room))
                item.add_marker(pytest.mark.xdist_group(name=room))


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real public datasets at ``../shared/datasets`` beside the checkout (read-only).

    Never copy them, or anything derived from them, into the repository.
    """
    path = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    if not path.is_dir():
        pytest.skip("../shared/datasets not found beside the checkout")
    return path
