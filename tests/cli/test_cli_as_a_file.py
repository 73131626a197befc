"""The CLI run as a file, as README's ``spark-submit "$CLI"`` runs ``recommender/cli/__init__.py``:
the module then exists twice (``__main__`` and ``recommender.cli``, which the commands import),
and a SIGTERM (how YARN or ``spark-submit`` ends a driver) raised the second copy's
``Terminated``, which the first copy's ``main`` does not catch: a traceback and exit 1, not
"terminated" and 143.

Oracle: the process's exit status and stderr, with ``python -m recommender`` (one copy) as the
reference; the signal is sent from inside ``artifact.save`` (patched in the child only).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import recommender.cli

CHILD = """
import os, runpy, signal, sys
from recommender.model import artifact

def save(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)

artifact.save = save
path = sys.argv[1]
sys.argv = [path, *sys.argv[2:]]
runpy.run_path(path, run_name="__main__")
"""


def test_sigterm_says_terminated_when_the_cli_runs_as_a_file(tmp_path: Path) -> None:
    data = tmp_path / "log.csv"
    data.write_text("user_id,film_id\n" + "".join(
        f"u{u},f{(u * 7 + k) % 12}\n" for u in range(30) for k in range(4)))
    as_file = recommender.cli.__file__
    as_module = str(Path(as_file).parent.parent / "__main__.py")
    env = {**os.environ, "PYTHONPATH": str(Path(as_file).parent.parent.parent)}
    for script in (as_module, as_file):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, script, "train", "--data", str(data), "--out",
             str(tmp_path / "m"), "--no-tune", "--factors", "4", "--iterations", "2"],
            capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 143, (script, done.stderr)
        assert done.stderr.strip().splitlines()[-1] == "terminated", (script, done.stderr)
        assert "Traceback" not in done.stderr, (script, done.stderr)
        assert not (tmp_path / "m").exists()
