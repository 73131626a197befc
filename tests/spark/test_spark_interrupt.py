"""Ctrl-C during a Spark command: exit 130 and one line, "interrupted", whether it lands while
the JVM starts or while a job runs. pyspark's own SIGINT handler cancelled the jobs inside the
py4j call the signal interrupted (a reentrant read) and py4j printed its tracebacks; a Ctrl-C
while the JVM started left Java stack traces after "interrupted".

Oracle: the process's own exit status and stderr, the signal sent at a marker the command
prints where the interrupt is to land (``recommender.spark.session.get_session`` or the
MLlib fit, wrapped in the child process only).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

CHILD = """
import sys, time
import recommender.spark.session as session
import recommender.spark.training as training
from recommender.cli import main

def marked(module, name, marker):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        print(marker, file=sys.stderr, flush=True)
        return real(*args, **kwargs)
    setattr(module, name, wrapper)

marked(session, "get_session", "MARK starting")
marked(training, "_fit", "MARK fitting")
sys.exit(main(sys.argv[1:]))
"""


def _interrupt_at(marker: str, csv: Path, out: Path, delay: float) -> tuple[int, str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "train", "--engine", "spark", "--spark-master",
         "local[2]", "--data", str(csv), "--out", str(out), "--no-tune", "--factors", "8",
         "--iterations", "200", "--segments", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            lines.append(line)
            if line.strip() == marker:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(180), "".join(lines)
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        code = child.wait(120)
    finally:
        if child.poll() is None:
            child.kill()
    reader.join(30)
    return code, "".join(lines)


@pytest.mark.parametrize(("marker", "delay"), [("MARK starting", 1.0), ("MARK fitting", 1.0)])
def test_ctrl_c_says_interrupted_and_nothing_else(csv_files: tuple[Path, Path, Path],
                                                  tmp_path: Path, marker: str,
                                                  delay: float) -> None:
    code, err = _interrupt_at(marker, csv_files[0], tmp_path / "m", delay)
    after = err[err.index(marker) + len(marker):]
    assert code == 130, err
    assert after.strip().splitlines()[-1] == "interrupted", err
    for noise in ("Traceback", "Exception", "ERROR", "\tat "):
        assert noise not in after, err
    assert not (tmp_path / "m").exists()


TWICE = """
import sys
import pyspark.core.context as context
import pyspark.java_gateway as gateway
import recommender.spark.session as session
from recommender.cli import main

def say(marker):
    print(marker, file=sys.stderr, flush=True)

real_get, real_popen, real_launch = session.get_session, gateway.Popen, gateway.launch_gateway
real_call = session._Interrupt.__call__

def get_session(*args, **kwargs):
    say("MARK starting")
    return real_get(*args, **kwargs)

def popen(*args, **kwargs):
    proc = real_popen(*args, **kwargs)
    say("MARK launched")  # spark-submit started: the JVM is on its way up
    return proc

def launch(*args, **kwargs):
    found = real_launch(*args, **kwargs)
    say("MARK gateway")  # the JVM is up: its SparkContext is being made
    return found

def call(self, signum, frame):
    first = not self.hit
    try:
        return real_call(self, signum, frame)
    finally:
        if first:
            say("MARK held")

session.get_session, gateway.Popen = get_session, popen
# recommender.spark.jvm launches it (its stderr relayed), pyspark when a JVM is started anew
context.launch_gateway = gateway.launch_gateway = launch
session._Interrupt.__call__ = call
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("second", ["MARK launched", "MARK gateway"])
def test_a_second_ctrl_c_while_spark_starts_ends_it_without_a_word_after(
        csv_files: tuple[Path, Path, Path], tmp_path: Path, second: str) -> None:
    """Two Ctrl-Cs while the JVM starts: the first is kept (the session is stopped once it
    has started), the second ends the wait at once. The JVM, which ignores SIGINT and writes
    on the same stderr, went on starting after the process had said "interrupted" and
    printed its start-up lines after it ("Using Spark's default log4j profile", "Setting
    default log level"); it is now ended before that line. The second Ctrl-C is sent once
    the first was handled and spark-submit was started (or the JVM's gateway is up)."""
    child = subprocess.Popen(
        [sys.executable, "-c", TWICE, "train", "--engine", "spark", "--spark-master",
         "local[2]", "--data", str(csv_files[0]), "--out", str(tmp_path / "m"), "--no-tune",
         "--factors", "8", "--iterations", "5", "--segments", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SPARK_LOCAL_DIRS": str(tmp_path / "local")})
    assert child.stderr is not None
    lines: list[str] = []
    seen: set[str] = set()
    try:
        for line in child.stderr:  # to the end: the JVM holds this stderr too
            lines.append(line)
            seen.add(line.strip())
            if line.strip() == "MARK starting":
                child.send_signal(signal.SIGINT)
            if {"MARK held", second} <= seen and "sent" not in seen:
                seen.add("sent")
                child.send_signal(signal.SIGINT)
        code = child.wait(120)
    finally:
        if child.poll() is None:
            child.kill()
    err = "".join(lines)
    assert "sent" in seen, err  # both Ctrl-Cs landed while the session was starting
    assert code == 130, err
    assert err.rstrip().splitlines()[-1] == "interrupted", err
    after = err[err.index("MARK held"):]
    for noise in ("Traceback", "Exception", "ERROR", "\tat "):
        assert noise not in after, err
    assert not (tmp_path / "m").exists()
    local = tmp_path / "local"
    assert not local.exists() or not any(local.iterdir()), "Spark's folders were left"
