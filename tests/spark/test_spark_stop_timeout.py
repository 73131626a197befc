"""A signal during a Spark command whose session does not stop (a hung JVM): the stop on its
own thread (``session_scope``'s ``_stop_aside``) was waited for with no limit, and the command
never ended after Ctrl-C or SIGTERM. It is now waited for ``STOP_AFTER_SIGNAL`` seconds, then
left to stop, and the command exits with the signal's code, saying so, without a traceback;
likewise a session whose start the signal came during (it was stopped on the main thread,
with no limit, once started).

Oracle: the child process's exit status and stderr. The child runs the CLI's ``train
--engine spark`` with ``train_spark`` replaced by a block in ``session_scope`` around a
stand-in session whose ``stop`` never returns; the block raises the signal itself, in the
child only (the scope's handler is installed there), so no JVM is started.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = """
import signal, sys, threading
import recommender.spark.session as session
import recommender.spark.training as training
from recommender.cli import main

class Hung:
    def stop(self):
        threading.Event().wait()  # a JVM that never answers

def start(self, master, progress=None):
    self.started = True
    return Hung(), True

def get_session(master, conf=None, progress=None):  # the signal comes while the JVM starts
    signal.raise_signal(int(sys.argv[1]))
    return Hung(), True

def train_spark(*args, **kwargs):
    with session.session_scope(None, "local[1]"):
        if sys.argv[2] == "starting":
            raise AssertionError("the block ran after a signal while the session started")
        signal.raise_signal(int(sys.argv[1]))
        raise AssertionError("the signal did not end the block")

session.STOP_AFTER_SIGNAL = 0.5
if sys.argv[2] == "starting":
    session.get_session = get_session
else:
    session._Interrupt.start = start
training.train_spark = train_spark
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("when", ["running", "starting"])
@pytest.mark.parametrize(("signum", "said"), [(signal.SIGTERM, "terminated"),
                                              (signal.SIGINT, "interrupted")])
def test_a_session_that_does_not_stop_is_left_to_stop(tmp_path: Path, signum: int,
                                                      said: str, when: str) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    data = tmp_path / "log.csv"
    data.write_text("user_id,film_id\nu1,f1\n")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(int(signum)), when, "train", "--engine", "spark",
         "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("the command did not end after the signal: its session's stop was "
                    "waited for without a limit")
    assert child.returncode == 128 + signum, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1] == said, err
    assert any("did not stop within 0.5 s; it was left to stop" in line for line in lines), err
    assert not (tmp_path / "m").exists()
