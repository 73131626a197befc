"""A second SIGTERM (or Ctrl-C) while a Spark session started for a command is being stopped
on its own thread (``session_scope``'s ``_stop_aside``): the wait for that thread ends, and
the session was then stopped a second time, on the main thread, whose py4j connection was
owed the answer of the call the first signal broke off (two SIGTERMs 0.3 s apart during
``train --engine spark``'s fit: py4j's ``Py4JError`` traceback, exit 1, not "terminated").

Oracle: the threads a stand-in session's ``stop`` was called on, and the exception the block
ends with. Each signal arrives as the handler the scope installed for it runs on the main
thread (``signal_arrives``: no real signal is sent to the test runner, which a parallel run
shares): the first in the block, the second in the main thread's wait for the stop thread,
once that ``stop`` runs. No JVM is started (``_Interrupt.start`` hands the stand-in over)."""

from __future__ import annotations

import signal
import threading

import pytest
from signal_arrival import signal_arrives

from recommender.errors import Terminated
from recommender.spark import session


class Stalled:
    """A session whose stop says it runs, then waits to be let go."""

    def __init__(self) -> None:
        self.stopped_on: list[str] = []
        self.stopping = threading.Event()
        self.go = threading.Event()

    def stop(self) -> None:
        self.stopped_on.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            self.stopping.set()
            self.go.wait(60)


@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGTERM, Terminated),
                                                (signal.SIGINT, KeyboardInterrupt)])
def test_a_second_signal_while_the_session_stops_stops_it_once(
        monkeypatch: pytest.MonkeyPatch, signum: int, raised: type[BaseException]) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    fake = Stalled()
    join = threading.Thread.join

    def waited(thread: threading.Thread, timeout: float | None = None) -> None:
        """The main thread's wait for the stop thread: the second signal arrives in it, once
        the stop runs."""
        if thread.name == "spark-stop" and threading.current_thread() is threading.main_thread():
            assert fake.stopping.wait(60), "the session's stop did not start"
            signal_arrives(signum)
        join(thread, timeout)

    monkeypatch.setattr(threading.Thread, "join", waited)

    def start(self: session._Interrupt, master: str, progress: bool | None = None
              ) -> tuple[Stalled, bool]:
        self.started = True
        return fake, True

    monkeypatch.setattr(session._Interrupt, "start", start)
    # a session another test left active is used as it is, without the scope's handlers: the
    # signal raised below then ended the whole test run (SIGTERM's default)
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(raised):
            with session.session_scope(None, "local[1]"):
                if signal.getsignal(signum) in (signal.SIG_DFL, before[0], before[1]):
                    pytest.fail("the scope took no handler: the signal would end the run")
                signal_arrives(signum)  # the first: the block ends, the stop starts
    finally:
        fake.go.set()
    assert fake.stopped_on == ["spark-stop"]  # once, on its own thread
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
