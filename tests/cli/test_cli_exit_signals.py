"""Ctrl-C or SIGTERM once a command has returned its code, during the interpreter's exit.

The outputs were complete ("erased 1 user(s)" printed, the store committed), but a stop in the
shutdown that follows (atexit handlers, garbage collection: most of a second after the last
line) killed the process by that signal (-2 or -15 to a caller, 130 or 143 to a shell) with
no word, or printed a ``KeyboardInterrupt`` traceback; README promises 130 and "interrupted"
only for an interrupted command. The console script's entry (``recommender.console.main``)
now ignores the first for the rest of the exit, and so do ``python -m recommender`` and
``python -m recommender.cli`` (the latter called the CLI's ``main`` directly: killed, -15). A
second ends the exit by its signal: an exit that hangs (an atexit join waiting forever) could
else be stopped by SIGKILL alone.

Oracle: the child's exit status and stderr. The child is the console script's entry as
pyproject.toml declares it; an atexit handler registered before the CLI is imported (so run
after every handler the CLI registers, at the end of the exit) sends the child the signal
itself: no timing, no sleep. ``exec``: the stop lands in an ``exec`` of a string, which marks
the interpreter (CPython then kills itself with SIGINT at exit, whatever code it was given).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from recommender.campaigns.store import open_store

ROOT = Path(__file__).resolve().parents[2]
SEND = {"kill": "os.kill(os.getpid(), {sig})",
        "exec": "exec('import os; os.kill(os.getpid(), {sig})')"}


@pytest.mark.parametrize("how", sorted(SEND))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_in_the_exit_after_the_command_leaves_exit_0(tmp_path: Path, sig: int,
                                                            how: str) -> None:
    store = tmp_path / "s.db"
    open_store(str(store)).close()
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = script["recommender"].split(":")
    send = SEND[how].format(sig=int(sig))
    child_code = f"""
import atexit, importlib, os, sys
def stop():
    print("MARK exiting", file=sys.stderr, flush=True)
    {send}
    print("MARK after", file=sys.stderr, flush=True)
atexit.register(stop)  # registered first: runs last, after the CLI's own
sys.argv = ["recommender", "forget", "--store", {str(store)!r}, "--user", "u1"]
sys.exit(getattr(importlib.import_module({module!r}), {func!r})())
"""
    done = subprocess.run([sys.executable, "-c", child_code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stdout.startswith("erased 1 user(s)"), done.stdout + done.stderr
    # the signal was sent (ignored: the handler ran on), and nothing more was said
    assert done.stderr.endswith("MARK exiting\nMARK after\n"), done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
    assert done.returncode == 0, (done.returncode, done.stderr)


ENTRIES = {  # how the child runs the CLI, as each entry route does
    "python -m recommender": "runpy.run_module('recommender', run_name='__main__', "
                             "alter_sys=True)",
    "python -m recommender.cli": "runpy.run_module('recommender.cli', run_name='__main__', "
                                 "alter_sys=True)",
}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_every_entry_route_lets_a_stop_in_the_exit_go(tmp_path: Path, entry: str,
                                                      sig: int) -> None:
    """The same stop as above, sent by the last atexit handler, through ``python -m``."""
    store = tmp_path / "s.db"
    open_store(str(store)).close()
    child_code = f"""
import atexit, os, runpy, sys
def stop():
    print("MARK exiting", file=sys.stderr, flush=True)
    os.kill(os.getpid(), {int(sig)})
    print("MARK after", file=sys.stderr, flush=True)
atexit.register(stop)  # registered first: runs last, after the CLI's own
sys.argv = ["recommender", "forget", "--store", {str(store)!r}, "--user", "u1"]
{ENTRIES[entry]}
"""
    done = subprocess.run([sys.executable, "-c", child_code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stdout.startswith("erased 1 user(s)"), done.stdout + done.stderr
    assert done.stderr.endswith("MARK exiting\nMARK after\n"), done.stderr
    assert done.returncode == 0, (done.returncode, done.stderr)


def _hung_exit(store: Path, sig: int) -> subprocess.Popen[str]:
    """A child whose exit hangs in an atexit handler (an Event nobody sets, as a join of a
    thread that never ends), after it sent itself ``sig`` there once; the handler is
    registered once the entry module loaded, so it runs among the CLI's own."""
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = script["recommender"].split(":")
    child_code = f"""
import atexit, importlib, os, sys, threading
entry = importlib.import_module({module!r})
def hang():
    os.kill(os.getpid(), {int(sig)})
    print("MARK hanging", file=sys.stderr, flush=True)
    threading.Event().wait()
atexit.register(hang)
sys.argv = ["recommender", "forget", "--store", {str(store)!r}, "--user", "u1"]
sys.exit(getattr(entry, {func!r})())
"""
    return subprocess.Popen([sys.executable, "-c", child_code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_second_stop_ends_an_exit_that_hangs(tmp_path: Path, sig: int) -> None:
    """The first stop in the exit is let go (the handler ran on: "MARK hanging"); the second,
    sent once the child says it hangs, kills it by that signal, as Python's default does.
    The wait is a guard only: ignoring every stop left the child hanging (killed here)."""
    store = tmp_path / "s.db"
    open_store(str(store)).close()
    child = _hung_exit(store, sig)
    assert child.stderr is not None and child.stdout is not None
    said = []  # the command's own notes come first
    code: int | None = None
    try:
        while (line := child.stderr.readline()) not in ("", "MARK hanging\n"):
            said.append(line)
        assert line == "MARK hanging\n", "".join(said)  # "": it ended first
        os.kill(child.pid, sig)  # the child's pid, never this process's
        code = child.wait(60)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    out = child.stdout.read()
    err = "".join(said) + child.stderr.read()
    child.stdout.close()
    child.stderr.close()
    assert out.startswith("erased 1 user(s)"), out + err
    assert code == -sig, (code, err)
    assert "Traceback" not in err, err
