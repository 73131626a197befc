"""Shared pytest fixtures."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The real public datasets at ``../shared/datasets`` beside the checkout (read-only).

    Never copy them, or anything derived from them, into the repository.
    """
    path = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    if not path.is_dir():
        pytest.skip("../shared/datasets not found beside the checkout")
    return path
