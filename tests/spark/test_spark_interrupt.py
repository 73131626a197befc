"""Ctrl-C during a Spark command: exit 130 and one line, "interrupted", whether it lands while
the JVM starts or while a job runs. pyspark's own SIGINT handler cancelled the jobs inside the
py4j call the signal interrupted (a reentrant read) and py4j printed its tracebacks; a Ctrl-C
while the JVM started left Java stack traces after "interrupted".

Oracle: the process's own exit status and stderr, the signal sent at a marker the command
prints where the interrupt is to land (``recommender.spark.session.get_session`` or the
MLlib fit, wrapped in the child process only).
"""

from __future__ import annotations

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
