"""Requests only a real socket makes, against a uvicorn server the test starts (the service's
own uvicorn options, ``GuardedH11``): a client that closes its connection mid-upload is one
warning line, not a traceback of ``ClientDisconnect``; a request target in absolute form
(``GET http://127.0.0.1:PORT/health``, RFC 9112 §3.2.2) is answered as its path and query
(uvicorn passed the whole URL on as the path: ``/health`` was a 401 or 404, a film list a
404), and a target naming a host the server does not answer is the 400 that Host would be.
Oracle: the same request in origin form (``GET /health``), and the Host check's own answer.
``TestClient`` normalises URLs, so these go through a socket."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from service_fixtures import save_model

from service.app import create_app
from service.server import uvicorn_options
from service.settings import Settings

WAIT = 30.0  # seconds at most for the server to start or to log a cut (a bound, not a timing)
ADMIN = "admin-key-0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a running server answering the loopback names only."""
    folder = tmp_path_factory.mktemp("socket")
    save_model(folder / "model", seed=0)
    settings = Settings(model_path=str(folder / "model"), store=str(folder / "store.db"),
                        warm_cache=False, allowed_hosts="localhost,127.0.0.1,::1",
                        admin_key=ADMIN)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None,
                            log_level="info", **uvicorn_options(settings))
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not running.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the server did not start"
    yield running.servers[0].sockets[0].getsockname()[1]
    running.should_exit = True
    thread.join(WAIT)


def _exchange(port: int, head: bytes) -> tuple[int, bytes]:
    """(status, body) of one request sent as ``head`` on its own connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _get(port: int, target: str, host: str = "127.0.0.1") -> tuple[int, bytes]:
    return _exchange(port, f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Connection: close\r\n\r\n".encode())


def _answer(reply: tuple[int, bytes]) -> tuple[int, Any]:
    """(status, JSON body) without /health's ``campaign_store_checked_s``: seconds since the
    last probe, a clock reading that moves between two requests (it read 0.4, then 0.5)."""
    body = json.loads(reply[1])
    body.pop("campaign_store_checked_s", None)
    return reply[0], body


def test_an_absolute_form_target_is_answered_as_its_path(server: int) -> None:
    base = f"http://127.0.0.1:{server}"
    for path in ("/health", "/films?limit=1", "/segments"):
        origin = _get(server, path)
        assert origin[0] == 200, (path, origin)
        assert _answer(_get(server, base + path)) == _answer(origin), path
        assert _get(server, f"HTTP://localhost:{server}{path}")[0] == 200, path
    assert _get(server, base)[0] == _get(server, "/")[0]  # no path: "/"


def test_an_absolute_form_target_naming_another_host_is_refused_as_that_host(
        server: int) -> None:
    said = _get(server, "http://evil.example/health")
    as_host = _get(server, "/health", host="evil.example")
    assert as_host[0] == 400 and b"evil.example" in as_host[1], as_host
    assert said[0] == 400 and b"evil.example" in said[1], said
    assert said[1].replace(b":" + str(server).encode(), b"") == as_host[1].replace(
        b":" + str(server).encode(), b""), (said, as_host)
    assert _get(server, "http://user@127.0.0.1/health")[0] == 400  # no name: as a Host


@pytest.mark.parametrize("path", ["/recommendations", "/admin/reload", "/admin/forget"])
def test_a_client_gone_mid_upload_is_one_warning_not_a_traceback(
        server: int, caplog: pytest.LogCaptureFixture, path: str) -> None:
    """The admin routes read their bodies themselves (``json_body.model_body``)."""
    caplog.set_level(logging.INFO)
    with socket.create_connection(("127.0.0.1", server), timeout=WAIT) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                     f"{ADMIN}\r\nContent-Type: application/json\r\nContent-Length: 100"
                     "\r\n\r\n{".encode())
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not any(
            r.levelno >= logging.WARNING and path in r.getMessage()
            or r.levelno >= logging.ERROR for r in caplog.records):
        time.sleep(0.05)
    assert _get(server, "/health")[0] == 200  # still serving
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    cut = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
           and path in r.getMessage()]
    assert len(cut) == 1 and "127.0.0.1:" in cut[0] and "Content-Length: 100" in cut[0], cut
