"""What a signal arriving does in the test process, without sending one to the test runner.

A real signal to the pytest process (``os.kill(os.getpid(), ...)``, ``signal.raise_signal``,
``signal.pthread_kill`` of its main thread) can stop or confuse a parallel run, which shares
the process group and, under xdist, the worker; ``test_house`` keeps such calls out of the
tests' own code (a child process may still be signalled: ``stopped_child``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def signal_arrives(signum: int) -> None:
    """What ``signum`` arriving now does in this process: the handler installed for it runs
    (``signal.getsignal``; Python runs a signal's handler in the main thread, between two
    bytecodes, as here), so Ctrl-C raises ``KeyboardInterrupt`` and SIGTERM, under the CLI's
    ``_terminable``, ``Terminated``; a handler that holds the signal (``HeldInterrupts``)
    records it."""
    handler = signal.getsignal(signum)
    assert callable(handler), f"no handler of {signal.Signals(signum).name}: {handler!r}"
    handler(signum, None)


#: the last line of stderr of a command stopped by each held signal
STOPPED = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


def stopped_child(script: str, signum: int, code: int, *args: str
                  ) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (``python -c``; it signals itself, as a signal arriving from outside
    would, since a test may not signal the test runner) in a child process with the checkout
    on its path, no ``RECOMMENDER_STORE`` and ``signum`` then ``args`` as its arguments; what
    it did, once checked that it stopped as ``signum`` stops the CLI: exit status ``code``,
    its last line saying so, no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "RECOMMENDER_STORE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", script, str(signum), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == code, done.stderr
    assert done.stderr.strip().splitlines()[-1] == STOPPED[signal.Signals(signum)], done.stderr
    assert "Traceback" not in done.stderr
    return done
