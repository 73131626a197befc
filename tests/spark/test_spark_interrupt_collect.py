"""Ctrl-C while Spark collects rows to the driver (``DataFrame.toArrow``): pyspark re-raises
the cancelled job's error in a ``finally``, in place of the ``KeyboardInterrupt``; the command
printed a Python traceback and Java stack traces (exit 1), not "interrupted" (exit 130).

Oracle: the exception ``session_scope`` ends with, on a stand-in session (no JVM): Ctrl-C
arrives, as the handler the scope installed for it runs (``signal_arrives``: no real signal
is sent to the test runner, which a parallel run shares), and the block then raises what
pyspark's collect raises after it.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest
from signal_arrival import signal_arrives

pytestmark = pytest.mark.spark


class _Context:
    def setLogLevel(self, level: str) -> None:  # noqa: N802 - pyspark's name
        pass

    def cancelAllJobs(self) -> None:  # noqa: N802 - pyspark's name
        pass


class _Session:
    def __init__(self) -> None:
        self.sparkContext = _Context()
        self.stopped = 0

    def stop(self) -> None:
        self.stopped += 1


def _scope_with(monkeypatch: pytest.MonkeyPatch) -> _Session:
    from recommender.spark import session

    fake = _Session()

    def start(self: Any, master: str, progress: bool | None) -> tuple[_Session, bool]:
        self.started, self.spark = True, fake
        return fake, True

    monkeypatch.setattr(session._Interrupt, "start", start)
    # a session another test left active (the shared ``spark`` fixture's) is used as it is,
    # without the scope's handlers: the stand-in was never started, and the SIGINT went to
    # pyspark's own handler
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    return fake


def test_a_ctrl_c_the_cancelled_collect_replaced_is_said_as_interrupted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.spark.session import session_scope

    fake = _scope_with(monkeypatch)
    with pytest.raises(KeyboardInterrupt), session_scope(None, "local[1]"):
        try:
            signal_arrives(signal.SIGINT)
        finally:  # as pyspark's _collect_as_arrow: the serving thread's error, after the job
            raise RuntimeError("[SPARK_JOB_CANCELLED] Job 28 cancelled as part of "
                               "cancellation of all jobs")
    assert fake.stopped == 1


def test_an_error_without_a_ctrl_c_is_raised_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    from recommender.spark.session import session_scope

    fake = _scope_with(monkeypatch)
    with pytest.raises(RuntimeError, match="a task failed"), session_scope(None, "local[1]"):
        raise RuntimeError("a task failed")
    assert fake.stopped == 1
