"""A real ``recommender serve`` in a subprocess, for the tests that need one: a free loopback
port, the command, waiting until ``/health`` answers, and stopping the server with its workers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def start_server(model_dir: Path, *, workers: int = 1, env: dict[str, str] | None = None,
                 clean: bool = False, timeout: float = 60.0
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``recommender serve MODEL_DIR`` on a free port and wait until it is healthy:
    (process, base URL). ``env`` is added to this process's environment, from which
    ``clean=True`` first drops every ``RECOMMENDER_*`` variable. The server runs in its own
    session, so :func:`stop_server` stops its workers too and nothing else."""
    port = free_port()
    cmd = serve_command() + ["serve", str(model_dir), "--host", "127.0.0.1", "--port",
                             str(port), "--workers", str(workers)]
    base_env = {k: v for k, v in os.environ.items()
                if not (clean and k.startswith("RECOMMENDER_"))}
    # the output goes to a file, never a pipe: a busy server's access log would fill a pipe
    # nobody reads and block the server
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            env={**base_env, **(env or {})}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            out = log.read().decode(errors="replace")[-4000:]
            pytest.fail(f"server exited with {proc.returncode}:\n{out}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_server(proc)
    pytest.fail(f"server did not become healthy in {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's session (its workers, nothing else), SIGKILL after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
