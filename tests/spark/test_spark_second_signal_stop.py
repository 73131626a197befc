"""A second SIGTERM (or Ctrl-C) while a Spark session started for a command is being stopped
on its own thread (``session_scope``'s ``_stop_aside``): the wait for that thread ends, and
the session was then stopped a second time, on the main thread, whose py4j connection was
owed the answer of the call the first signal broke off (two SIGTERMs 0.3 s apart during
``train --engine spark``'s fit: py4j's ``Py4JError`` traceback, exit 1, not "terminated").

Oracle: the threads a stand-in session's ``stop`` was called on, and the exception the block
ends with; the second signal is sent to the main thread (``pthread_kill``) by that ``stop``,
as it runs. No JVM is started (``_Interrupt.start`` hands the stand-in over)."""

from __future__ import annotations

import signal
import threading

import pytest

from recommender.errors import Terminated
from recommender.spark import session


class Stalled:
    """A session whose stop sends the main thread a signal, then waits to be let go."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.stopped_on: list[str] = []
        self.go = threading.Event()

    def stop(self) -> None:
        self.stopped_on.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            main = threading.main_thread().ident
            assert main is not None
            signal.pthread_kill(main, self.signum)  # the second signal, while this stops
            self.go.wait(60)


@pytest.mark.parametrize(("signum", "raised"), [(signal.SIGTERM, Terminated),
                                                (signal.SIGINT, KeyboardInterrupt)])
def test_a_second_signal_while_the_session_stops_stops_it_once(
        monkeypatch: pytest.MonkeyPatch, signum: int, raised: type[BaseException]) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    fake = Stalled(signum)

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
                signal.raise_signal(signum)  # the first: the block ends, the stop starts
    finally:
        fake.go.set()
    assert fake.stopped_on == ["spark-stop"]  # once, on its own thread
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
