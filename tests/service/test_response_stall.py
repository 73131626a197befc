"""The response-stall cut (``service.server.GuardedH11``) on one connection, served over a
socket pair (no port): a client that stops reading is cut; one that reads slowly is not."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState

from service.server import GuardedH11

BODY = b"u" * (3 << 20)  # one write, far larger than the socket buffers below


async def app(scope: Any, receive: Any, send: Any) -> None:
    """A large answer sent in one piece, as a 10,000-row audience.csv or a plan's chunk."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})


class Stall(GuardedH11):
    head_timeout = 30.0
    stall_timeout = 1.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # a small kernel buffer: what the client has not read waits in the transport's
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                                                      4096)
        super().connection_made(transport)


async def download(pause: float, chunk: int = 4096, target: str = "/") -> int:
    """Bytes of the answer the client got to ``GET target``, reading ``chunk`` bytes then
    waiting ``pause`` s (forever when ``pause`` < 0), until the body is complete or the server
    cuts it."""
    config = uvicorn.Config(app, lifespan="off", log_level="warning")
    config.load()
    loop = asyncio.get_running_loop()
    server, client = socket.socketpair()
    client.setblocking(False)
    await loop.connect_accepted_socket(lambda: Stall(config, ServerState(), {}), server)
    await loop.sock_sendall(client, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    got = b""
    try:
        while len(got) < len(BODY) and pause >= 0:
            try:
                part = await loop.sock_recv(client, chunk)
            except OSError:  # aborted
                break
            if not part:
                break
            got += part
            await asyncio.sleep(pause)
        if pause < 0:
            await asyncio.sleep(3.0)  # the stall timeout passes: the connection is aborted
            while part := await loop.sock_recv(client, 1 << 20):
                got += part
    except OSError:
        pass
    finally:
        client.close()
    return len(got.partition(b"\r\n\r\n")[2])


def test_a_client_that_reads_slowly_is_not_cut() -> None:
    """The timer ran from the send buffer's filling to its draining: a client reading a large
    answer steadily, but slower than the buffer's size per ``stall_timeout``, was cut
    mid-download (a 3 MiB answer at under 3 MiB a second, here; at the default 60 s, a
    10,000-row audience.csv on a link of under ~17 kB/s). It is cut only when no byte of the
    buffer drained for ``stall_timeout`` seconds."""
    assert asyncio.run(download(pause=0.004)) == len(BODY)


def test_a_client_that_stops_reading_is_cut() -> None:
    assert asyncio.run(download(pause=-1.0)) < len(BODY)


def test_a_cut_is_logged_naming_the_request_and_the_bytes_sent(
        caplog: pytest.LogCaptureFixture) -> None:
    """The access log had written 200 when the head went out, and nothing said the download
    was cut: a warning names the request and the bytes sent (the head's included) before the
    cut. Oracle: what the client received (at most what was sent) and the body's size."""
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        got = asyncio.run(download(pause=-1.0))
    lines = [r.getMessage() for r in caplog.records if "response was cut" in r.getMessage()]
    assert len(lines) == 1, caplog.records
    assert "the answer to GET / for 1 s (RECOMMENDER_TIMEOUT_RESPONSE_STALL)" in lines[0]
    sent = int(re.search(r"after ([0-9,]+) bytes", lines[0]).group(1).replace(",", ""))
    assert got <= sent < len(BODY)


def test_a_slow_reader_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        assert asyncio.run(download(pause=0.004)) == len(BODY)
    assert not [r for r in caplog.records if "response was cut" in r.getMessage()]


@pytest.mark.parametrize("keep", [False, True])
def test_a_cut_writes_no_user_id_unless_kept(caplog: pytest.LogCaptureFixture,
                                             monkeypatch: pytest.MonkeyPatch,
                                             keep: bool) -> None:
    """The cut's line named the path as decoded, ``/users/<the id>/recommendations``, where the
    access line writes ``{user_id}``; ``RECOMMENDER_LOG_USER_IDS=true`` keeps it in both."""
    from service import stall_log

    monkeypatch.setenv("RECOMMENDER_LOG_USER_IDS", str(keep).lower())
    stall_log._keeps_user_ids.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="recommender.service"):
            asyncio.run(download(pause=-1.0,
                                 target="/users/alice.smith%40example.com/recommendations"))
    finally:
        stall_log._keeps_user_ids.cache_clear()  # read again from the environment as it was
    lines = [r.getMessage() for r in caplog.records if "response was cut" in r.getMessage()]
    assert len(lines) == 1, caplog.records
    shown = "alice.smith@example.com" if keep else "{user_id}"
    assert f"the answer to GET /users/{shown}/recommendations for 1 s" in lines[0]
    assert ("alice" in lines[0]) == keep
