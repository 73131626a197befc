"""SIGTERM to ``audiences --engine spark`` while it writes ``--out``: Python's default ended the
process at once (exit -15, no word), and the export's temporary folder beside ``--out``
(``atomic_dir``'s) stayed. The Spark session now takes SIGTERM as it takes Ctrl-C: the
jobs are cancelled, the block's cleanup runs, and the command says "terminated" (exit 143).

Oracle: the child's exit status and stderr, and the folder listing beside ``--out`` (the
model folder only). The signal is sent at a marker the child prints once the temporary folder
exists: where it then waits for the signal, or as Spark writes into it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from service_fixtures import save_model

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import signal, sys
from contextlib import contextmanager
import recommender.spark.scoring as scoring
from recommender.cli import main

real, wait = scoring.atomic_dir, sys.argv.pop(1) == "wait"

@contextmanager
def marked(*args, **kwargs):
    with real(*args, **kwargs) as tmp:
        print("MARK writing", file=sys.stderr, flush=True)
        if wait:
            signal.pause()
        yield tmp

scoring.atomic_dir = marked
sys.exit(main(sys.argv[1:]))
"""


def test_the_handler_raises_terminated_for_sigterm() -> None:
    """Once the session has started, SIGTERM raises ``Terminated`` and Ctrl-C
    ``KeyboardInterrupt`` (the first signal's, for a second one too)."""
    from recommender.errors import Terminated
    from recommender.spark.session import _Interrupt

    for signum, raised in ((signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)):
        handler = _Interrupt()
        handler.started = True
        for again in (signum, signal.SIGINT if signum == signal.SIGTERM else signal.SIGTERM):
            with pytest.raises(raised):
                handler(again, None)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("when", ["wait", "write"])
def test_sigterm_while_the_export_writes_leaves_no_temporary_folder(
        tmp_path: Path, when: str) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    model = save_model(tmp_path / "model")
    out = tmp_path / "out.parquet"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, when, "audiences", str(model), "--all", "--k", "5",
         "--out", str(out), "--engine", "spark", "--spark-master", "local[1]"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    assert child.stderr is not None
    lines: list[str] = []
    try:
        for line in child.stderr:
            lines.append(line)
            if line.strip() == "MARK writing":
                break
        assert lines and lines[-1].strip() == "MARK writing", "".join(lines)
        child.send_signal(signal.SIGTERM)
        after = child.stderr.read()
        code = child.wait(120)
    finally:
        if child.poll() is None:
            child.kill()
    assert code == 143, "".join(lines) + after
    assert after.strip().splitlines()[-1] == "terminated", after
    assert "Traceback" not in after, after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
