"""A real ``recommender serve`` in a subprocess, for the tests that need one: a free loopback
port, the command, waiting until ``/health`` answers, and stopping the server with its workers."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import IO

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command() -> list[str]:
    """``recommender`` from this interpreter's environment (the module when not installed)."""
    script = shutil.which("recommender", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "recommender.cli"]


#: what ``recommender serve`` says when its port was taken: its own check before uvicorn
#: ("cannot listen on 127.0.0.1:PORT: Address already in use"), or uvicorn's bind error
IN_USE = re.compile(r"address already in use", re.IGNORECASE)
#: how many ports ``start_server`` tries before it gives up
ATTEMPTS = 5

#: a started server -> the file its output goes to (dropped, and closed, with the process)
_LOGS: weakref.WeakKeyDictionary[subprocess.Popen[bytes], IO[bytes]] = weakref.WeakKeyDictionary()


def server_output(proc: subprocess.Popen[bytes], last: int = 4000) -> str:
    """The last ``last`` characters a server :func:`start_server` started has written (its
    stdout and stderr, interleaved)."""
    log = _LOGS.get(proc)
    if log is None:
        return ""
    # read at offset 0 without moving the offset the server writes at (one file description,
    # shared): a seek(0) there made its next write land over the start of its output
    fd = log.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")[-last:]


def start_server(model_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None,
                 clean: bool = False, timeout: float = 60.0
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``recommender serve MODEL_DIR`` on a free port and wait until it is healthy:
    (process, base URL). ``env`` is added to this process's environment, from which
    ``clean=True`` first drops every ``RECOMMENDER_*`` variable. The server runs in its own
    session, so :func:`stop_server` stops its workers too and nothing else.

    The port is free when :func:`free_port` picks it, but another process (a test of another
    xdist worker) may take it before the server binds it: a server that exits saying the
    address is in use is started again on a new port (``ATTEMPTS`` ports in all), and
    ``/health`` is asked only once this server has said it listens on its port (uvicorn's
    "Uvicorn running on" line, written once bound) and is still running after the answer, so
    the answer is this server's, never that of another server on the port."""
    base_env = {k: v for k, v in os.environ.items()
                if not (clean and k.startswith("RECOMMENDER_"))}
    for attempt in range(1, ATTEMPTS + 1):
        port = free_port()
        cmd = serve_command() + ["serve", str(model_dir), "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", str(workers)]
        # the output goes to a file, never a pipe: a busy server's access log would fill a
        # pipe nobody reads and block the server
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                env={**base_env, **(env or {})}, start_new_session=True)
        _LOGS[proc] = log
        base = f"http://127.0.0.1:{port}"
        if _healthy(proc, base, timeout):
            return proc, base
        exited, out = proc.poll() is not None, server_output(proc)
        stop_server(proc)  # one that ran past the timeout; an exited one's log closed
        if not exited:
            pytest.fail(f"server did not become healthy in {timeout:.0f} s:\n{out}")
        if not IN_USE.search(out) or attempt == ATTEMPTS:
            pytest.fail(f"server exited with {proc.returncode} (port {port}, try {attempt} "
                        f"of {ATTEMPTS}):\n{out}")
    raise AssertionError("unreachable")


def _healthy(proc: subprocess.Popen[bytes], base: str, timeout: float) -> bool:
    """True once ``proc`` listens on ``base`` and answers its ``/health``; False when it exited
    first or ``timeout`` seconds passed."""
    listening = f"Uvicorn running on {base}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if listening in server_output(proc, last=1 << 20):
            try:
                answered = httpx.get(f"{base}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                answered = False
            # bound before the request and alive after it: no other process held the port
            if answered and proc.poll() is None:
                return True
        time.sleep(0.1)
    return False


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's session (its workers, nothing else), SIGKILL after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    log = _LOGS.pop(proc, None)
    if log is not None:
        log.close()
