"""Ending what a Spark start launched (a second Ctrl-C while the JVM starts): the processes
found then, and their descendants, each known by pid and start time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from recommender.spark import session

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")


def test_the_launched_tree_is_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "STOP_WAIT", 2.0)
    before = session._children()
    # a child that ignores SIGTERM (as a JVM busy starting may) with a grandchild of its own
    code = ("import signal, subprocess, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "subprocess.Popen(['sleep', '60']); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while not any(t[0] == child.pid for t in session._parents().values()):
            assert time.monotonic() < deadline, "the grandchild never started"
            time.sleep(0.01)  # until the grandchild runs
        launched = session._children() - before
        assert child.pid in launched
        grandchild = next(p for p, t in session._parents().items() if t[0] == child.pid)
        session._end_tree(launched)
        assert child.wait(5) == -signal.SIGKILL
        assert grandchild not in session._parents() or \
            session._parents()[grandchild][1] in (b"Z", b"X")
    finally:
        child.kill()


def test_a_pid_taken_by_another_process_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Between the SIGTERM and the SIGKILL a process may exit and its pid go to another."""
    tables = iter([{4242: (os.getpid(), b"S", 100)},  # when the tree is found
                   {4242: (os.getpid(), b"S", 100)},  # SIGTERM: the same process
                   {4242: (1, b"S", 900)}])  # then the pid is another process's
    last = {4242: (1, b"S", 900)}
    monkeypatch.setattr(session, "_parents", lambda: next(tables, last))
    monkeypatch.setattr(session, "STOP_WAIT", 0.2)
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))
    session._end_tree({4242})
    assert sent == [(4242, signal.SIGTERM)]
