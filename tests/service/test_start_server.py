"""``servers.start_server`` when another process takes its port between ``free_port``'s pick
and the server's bind (an xdist worker's server, or anything listening): it starts the server
again on a fresh port, and the server it returns is the one it started, never the process
that holds the port. Oracle: the ports ``free_port`` gave, and the served model's own folder
as ``/health`` of the returned address names it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import servers
from service_fixtures import save_model

from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("start-server") / "model", seed=6)


class _Impostor(BaseHTTPRequestHandler):
    """Another server on the port: every GET (``/health`` too) answered 200."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"status": "ok", "model": {"path": "not the model started"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (its name)
        pass


@pytest.fixture(params=["http", "silent"])
def taken_port(request: pytest.FixtureRequest) -> Iterator[int]:
    """A loopback port another process's socket listens on: a server that answers every
    ``/health`` with 200 (``http``), or one that accepts and never answers (``silent``)."""
    if request.param == "http":
        impostor = ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
        thread = threading.Thread(target=impostor.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(impostor.server_address[1])
        finally:
            impostor.shutdown()
            impostor.server_close()
            thread.join(timeout=10)
    else:
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            yield int(silent.getsockname()[1])


def test_a_port_taken_before_the_bind_is_left_for_a_fresh_one(
        model_dir: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[int] = []
    pick = servers.free_port

    def taken_first() -> int:
        given.append(taken_port if not given else pick())
        return given[-1]

    monkeypatch.setattr(servers, "free_port", taken_first)
    proc, base = servers.start_server(model_dir, clean=True)
    try:
        assert given[0] == taken_port and len(given) >= 2, given
        assert base == f"http://127.0.0.1:{given[-1]}"
        assert proc.poll() is None
        health = httpx.get(f"{base}/health", timeout=10).json()
        # the model served is the one given (its path is named to an admin key only)
        assert health["model"]["model_version"] == artifact.load(model_dir).version
        assert "Uvicorn running on " + base in servers.server_output(proc)
    finally:
        servers.stop_server(proc)
    assert proc.poll() is not None


def test_a_server_that_fails_otherwise_is_not_started_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder that is no model: the server exits saying so, and no other port is tried."""
    given: list[int] = []
    pick = servers.free_port

    def counted() -> int:
        given.append(pick())
        return given[-1]

    monkeypatch.setattr(servers, "free_port", counted)
    with pytest.raises(pytest.fail.Exception, match="server exited with 2") as failed:
        servers.start_server(tmp_path / "missing", clean=True)
    assert len(given) == 1
    assert str(tmp_path / "missing") in str(failed.value)


def test_reading_a_server_output_leaves_its_writes_in_place() -> None:
    """``server_output`` polled while the server writes (``start_server`` polls it every
    0.1 s for "Uvicorn running on"): the output keeps every line in order. One file
    description is shared with the child, so a seek to read moved the offset it writes at
    and later lines overwrote the first (a worker's start-up lines over the listening line)."""
    import subprocess
    import sys
    import tempfile

    n = 20_000
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-c", f"import sys\nfor i in range({n}): "
                             "sys.stdout.write(f'{i:06d}\\n'); sys.stdout.flush()"],
                            stdout=log, stderr=subprocess.STDOUT)
    servers._LOGS[proc] = log
    try:
        while proc.poll() is None:
            servers.server_output(proc, last=100)
        assert proc.wait() == 0
        got = servers.server_output(proc, last=1 << 30).splitlines()
        assert got == [f"{i:06d}" for i in range(n)]
    finally:
        servers._LOGS.pop(proc, None)
        log.close()
