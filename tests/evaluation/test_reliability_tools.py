"""The reliability gauntlet's server helper (benchmarks/reliability_tools.py)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from servers import start_server, stop_server
from service_fixtures import save_model

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_a_server_not_healthy_in_time_is_not_left_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Server.start`` raised "server not healthy in 120 s" on a loaded machine and left the
    server running in its own session, where nothing stopped it (the gauntlet's sections
    stop theirs in a ``finally`` entered only after a start)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # its dataclass needs it in sys.modules
    tools = importlib.import_module("reliability_tools")
    stuck = tmp_path / "recommender"
    stuck.write_text("#!/bin/sh\nexec sleep 60\n")  # a server that never answers
    stuck.chmod(0o755)
    monkeypatch.setattr(tools.shutil, "which", lambda *_a, **_kw: str(stuck))
    real = tools.Server.wait_healthy
    monkeypatch.setattr(tools.Server, "wait_healthy",
                        lambda self, t0, timeout=120: real(self, t0, timeout=0.5))
    server = tools.Server(tmp_path / "model")
    with pytest.raises(RuntimeError, match="not healthy"):
        server.start()
    assert server.proc is not None and server.proc.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(server.proc.pid, 0)


def test_the_probe_and_the_load_are_answered_by_a_loopback_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server bound to 127.0.0.1 answers its own Host names only (``service.hosts``): the
    health probe sent ``Host: x`` and the load ``Host: bench``, so every request got 400,
    ``Server.start`` never saw the server healthy and every server section of the gauntlet
    stopped after 120 s."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    tools = importlib.import_module("reliability_tools")
    proc, base = start_server(save_model(tmp_path / "model"), clean=True)
    try:
        port = int(base.rsplit(":", 1)[1])
        assert tools.health(port)
        statuses: list[int] = []
        tools.run_load(port, 1, 0.3, lambda n: "/segments", lambda r: statuses.append(r.status))
        assert statuses and set(statuses) == {200}
    finally:
        stop_server(proc)
