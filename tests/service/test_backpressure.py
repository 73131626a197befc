"""Back-pressure instead of collapse: 503 with Retry-After past the bound on requests in
flight, 413 for a body over the size limit, 408 for a body that does not arrive, and slow or
idle connections closed by the server's connection timeouts (a real uvicorn server in a
thread, with ``service.server``'s options)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.bodies import render_json
from service.server import GuardedH11, uvicorn_options
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("pressure") / "model", seed=3)


def settings(model_dir: Path, **kw: Any) -> Settings:
    return Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0, **kw)


def test_requests_past_the_bound_get_503_with_retry_after(model_dir: Path) -> None:
    release = threading.Event()
    entered = threading.Semaphore(0)
    with TestClient(create_app(settings(model_dir, max_in_flight=2))) as client:
        engine = client.app.state.service.engine  # type: ignore[attr-defined]
        real = engine.audience_async

        async def held(*args: Any, **kwargs: Any) -> Any:
            entered.release()
            while not release.is_set():
                await asyncio.sleep(0.01)
            return await real(*args, **kwargs)

        engine.audience_async = held
        results: list[int] = []
        threads = [threading.Thread(target=lambda f=f: results.append(client.get(
            f"/films/{f}/audience", params={"k": 5}).status_code)) for f in ("00004", "00008")]
        for t in threads:
            t.start()
        try:
            for _ in threads:  # both are in flight, held
                assert entered.acquire(timeout=60)
            busy = client.get("/films/00012/audience", params={"k": 5})
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "1"
            assert ("busy (2 requests in flight, the limit is 2, RECOMMENDER_MAX_IN_FLIGHT)"
                    in busy.json()["detail"])
            assert busy.headers["X-Model-Version"]
            # monitoring and the operator are never refused for load
            assert client.get("/health").status_code == 200
            assert client.get("/metrics").status_code == 200
        finally:
            release.set()
            for t in threads:
                t.join()
        assert results == [200, 200]
        assert client.get("/films/00012/audience", params={"k": 5}).status_code == 200
        assert 'recommender_http_requests_total{method="GET",route="/films/{film_id:path}/' \
               'audience",status="503"} 1.0' in client.get("/metrics").text


def test_the_schema_lists_the_busy_503_and_its_retry_after(model_dir: Path) -> None:
    """Every scoring operation's 503 says the server may be busy, and every 503 declares the
    Retry-After a client waits (it said "no model loaded" only, with no header, beside a
    busy 503 every scoring route answers; a route's own 503 reason is kept)."""
    with TestClient(create_app(settings(model_dir, max_in_flight=2))) as client:
        paths = client.get("/openapi.json").json()["paths"]
    for path, item in paths.items():
        for method, op in item.items():
            if path == "/metrics":
                assert "503" not in op["responses"]
                continue
            gone = op["responses"]["503"]
            assert gone["headers"]["Retry-After"]["schema"] == {"type": "integer"}, path
            text = gone["description"]
            assert "no model is loaded" in text, (method, path)
            assert ("busy" in text) == (not path.startswith(("/health", "/admin/"))), path
    # a route's own reason stays: the slate's cinema table, the store's outage
    assert "cinema table" in paths["/distribution/slate"]["post"]["responses"]["503"][
        "description"]
    assert "campaign store" in paths["/events"]["post"]["responses"]["503"]["description"]


def test_bodies_over_the_limit_get_413(model_dir: Path) -> None:
    with TestClient(create_app(settings(model_dir, max_body_bytes=2000))) as client:
        small = json.dumps({"seed_user_ids": ["u3", "u5"], "k": 5})
        assert client.post("/audiences/lookalike", content=small,
                           headers={"Content-Type": "application/json"}).status_code == 200
        big = json.dumps({"seed_user_ids": ["u3"] * 500, "k": 5})
        assert len(big) > 2000
        r = client.post("/audiences/lookalike", content=big,
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "over the limit of 2,000 bytes" in r.json()["detail"]
        assert r.content == render_json(r.json())  # compact, as every other answer

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            data = big.encode()
            for i in range(0, len(data), 300):
                yield data[i:i + 300]

        r = client.post("/audiences/lookalike", content=chunks(),
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "over the limit" in r.json()["detail"]
        # counted under the route (the one refused by its Content-Length, before routing, was
        # counted under <unmatched>); a path no route has stays there
        assert client.post("/no/such/route", content=big).status_code == 413
        counts = client.get("/metrics").text
        assert 'recommender_http_requests_total{method="POST",route="/audiences/lookalike",' \
               'status="413"} 2.0' in counts, counts
        assert 'recommender_http_requests_total{method="POST",route="<unmatched>",' \
               'status="413"} 1.0' in counts, counts


def test_refusals_to_a_caller_with_a_key_carry_the_model_version(model_dir: Path) -> None:
    """Every answer to a caller with a read key carries X-Model-Version (README): a 413 did
    not, since the limits answered before the key was read; one without a key gets 401."""
    key = "limits-read-key-0001"
    big = json.dumps({"seed_user_ids": ["u3"] * 500, "k": 5})
    with TestClient(create_app(settings(model_dir, read_keys=key, max_body_bytes=2000))) as c:
        version = c.get("/segments", headers={"X-API-Key": key}).headers["X-Model-Version"]
        r = c.post("/audiences/lookalike", content=big, headers={
            "Content-Type": "application/json", "X-API-Key": key})
        assert r.status_code == 413 and r.headers.get("X-Model-Version") == version
        r = c.post("/audiences/lookalike", content=big,
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 401 and "X-Model-Version" not in r.headers


@pytest.mark.parametrize("path", ["/health", "/metrics", "/admin/reload"])
def test_monitoring_is_never_refused_behind_a_proxys_root_path(path: str) -> None:
    """Behind uvicorn --root-path /api the request's path is /api/health: it was bounded like
    a scoring request (503 when the server is busy)."""
    from service.limits import Limits

    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    async def nothing(*_: Any) -> Any:
        return {}

    limits = Limits(app, max_in_flight=1, max_body_bytes=100, body_timeout=1.0)
    limits.in_flight = 1  # busy
    scope = {"type": "http", "method": "GET", "path": "/api" + path, "root_path": "/api",
             "headers": []}
    asyncio.run(limits(scope, nothing, nothing))
    assert reached == ["/api" + path]


def test_a_body_that_does_not_arrive_gets_408(model_dir: Path) -> None:
    app = create_app(settings(model_dir, timeout_request_body=0.2))
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # a client that never sends its body
        return {}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/audiences/lookalike",
             "raw_path": b"/audiences/lookalike", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", b"50")],
             "http_version": "1.1", "scheme": "http", "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80)}
    with TestClient(app):  # the lifespan has loaded the model
        asyncio.run(asyncio.wait_for(app(scope, receive, send), 60))
    start = sent[0]
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    assert b"did not arrive within 0.2 s" in b"".join(m.get("body", b"") for m in sent)


def test_a_body_that_trickles_in_gets_408_too(model_dir: Path) -> None:
    """The timeout is for the whole body (README): it was for each part, so a body sent a
    byte at a time, each well within the timeout, was never cut and held its place among
    the requests in flight for as long as the client kept it up."""
    from service.limits import Limits

    parts: list[int] = []
    sent: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):  # reads the body, as a route does
            pass

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.02)  # one byte per part, far more often than the timeout
        parts.append(1)
        return {"type": "http.request", "body": b" ", "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    limits = Limits(app, max_in_flight=4, max_body_bytes=10**6, body_timeout=0.3)
    scope = {"type": "http", "method": "POST", "path": "/events",
             "headers": [(b"content-length", b"100000")]}
    with pytest.raises(Exception) as caught:  # FastAPI's handler answers it in the app
        asyncio.run(asyncio.wait_for(limits(scope, receive, send), 60))
    assert getattr(caught.value, "status_code", None) == 408, repr(caught.value)
    assert len(parts) < 10_000  # cut by the timeout, not by the test's bound
    assert limits.in_flight == 0


def test_a_large_body_on_a_slow_link_is_not_cut(model_dir: Path) -> None:
    """A whole-body timeout alone cut a large upload on a slow link: at 30 s, the 8 MiB limit
    needed 280 kB/s. Each byte received buys 1 / MIN_BODY_RATE s more. Oracle: a body of
    parts arriving at four times that rate, over ten times the timeout, is read whole; the
    same parts arriving at a tenth of it are cut (408)."""
    from service.limits import MIN_BODY_RATE, Limits

    def run(rate: float) -> tuple[int, int | None]:
        read: list[int] = []
        part = 2048

        async def app(scope: Any, receive: Any, send: Any) -> None:
            while True:
                message = await receive()
                read.append(len(message.get("body", b"")))
                if not message.get("more_body"):
                    break

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(part / rate)
            return {"type": "http.request", "body": b" " * part,
                    "more_body": len(read) < 39}

        async def send(message: MutableMapping[str, Any]) -> None:
            pass

        limits = Limits(app, max_in_flight=4, max_body_bytes=10**7, body_timeout=0.1)
        scope = {"type": "http", "method": "POST", "path": "/events", "headers": []}
        try:
            asyncio.run(limits(scope, receive, send))
        except Exception as e:  # FastAPI's handler answers it in the app
            return sum(read), getattr(e, "status_code", None)
        return sum(read), None

    total, status = run(4.0 * MIN_BODY_RATE)  # 40 parts of 2 KiB: about 1.3 s at 64 KiB/s
    assert (total, status) == (40 * 2048, None)
    total, status = run(MIN_BODY_RATE / 10)
    assert status == 408 and total < 40 * 2048


# ------------------------------------------------------------------ slow clients (uvicorn)


class QuickHead(GuardedH11):
    head_timeout = 1.5  # longer than the keep-alive timeout (1 s), so that one cuts idle


@pytest.fixture(scope="module")
def live_server(model_dir: Path) -> Iterator[int]:
    yield from serving(settings(model_dir, timeout_keep_alive=1))


@pytest.fixture(scope="module")
def keyed_server(model_dir: Path) -> Iterator[int]:
    yield from serving(settings(model_dir, timeout_keep_alive=1,
                                read_keys="ci:limits-read-key-0002"))


def serving(conf: Settings, app: Any = None, http: type[GuardedH11] = QuickHead
            ) -> Iterator[int]:
    """A uvicorn server of ``conf`` (or of ``app``) on a free port, in a thread, until the
    generator ends. The port is bound here and its socket handed to uvicorn: a port picked
    free and bound later could be taken meanwhile by another process (an xdist worker's)."""
    options = {**uvicorn_options(conf), "http": http}
    assert uvicorn_options(conf)["http"] is GuardedH11
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(app or create_app(conf), host="127.0.0.1",
                                               port=port, log_level="warning", **options))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        try:
            yield port
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def closed_by_server(sock: socket.socket, trickle: bytes = b"", within: float = 20.0) -> bytes:
    """Read until the server closes the connection (sending ``trickle`` one byte every 0.1 s
    meanwhile); returns what it sent. Fails if it is still open after ``within`` seconds."""
    sock.settimeout(0.1)
    got = b""
    deadline = time.monotonic() + within
    i = 0
    while time.monotonic() < deadline:
        if i < len(trickle):
            try:
                sock.sendall(trickle[i:i + 1])
            except OSError:
                return got
            i += 1
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return got
        if not data:
            return got
        got += data
    pytest.fail(f"the connection is still open after {within} s")


def test_a_client_that_sends_nothing_is_cut(live_server: int) -> None:
    with socket.create_connection(("127.0.0.1", live_server)) as sock:
        assert closed_by_server(sock) == b""


def test_a_client_trickling_its_headers_is_cut(live_server: int) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 400
    with socket.create_connection(("127.0.0.1", live_server)) as sock:
        assert closed_by_server(sock, trickle=head) == b""


def test_an_idle_keep_alive_connection_is_cut_after_its_answer(live_server: int) -> None:
    with socket.create_connection(("127.0.0.1", live_server)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = closed_by_server(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_body_sent_without_a_key_is_cut_after_the_401(keyed_server: int) -> None:
    """The limits are inside the key check: a caller without a key announcing a 10 GB body
    got 401 (no longer the 413 that closed the connection) and the server then read and
    dropped the body for as long as it kept sending. The refusal now closes the connection."""
    head = (b"POST /audiences/lookalike HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\nContent-Length: 10000000000\r\n\r\n")
    with socket.create_connection(("127.0.0.1", keyed_server)) as sock:
        sock.sendall(head)
        answer = closed_by_server(sock, trickle=b"x" * 100, within=5.0)
    assert answer.startswith(b"HTTP/1.1 401 ") and b"connection: close" in answer.lower()


class QuickStall(QuickHead):
    stall_timeout = 1.0


def test_a_response_its_client_stops_reading_is_cut(model_dir: Path) -> None:
    """A client that stops reading a long response (a stalled CSV download) kept its place
    among the requests in flight for as long as its connection stayed open: with the bound
    reached, the worker answered 503 to every other request. Its connection is now aborted
    once the server's send buffer has stayed full ``stall_timeout`` seconds."""
    from fastapi.responses import StreamingResponse

    conf = settings(model_dir, max_in_flight=1)
    app = create_app(conf)

    async def endless() -> AsyncIterator[bytes]:
        while True:  # a download longer than any socket buffer, made chunk by chunk (as the
            await asyncio.sleep(0)  # plan's rows, read in a thread): the loop runs between
            yield b"u" * 65536

    @app.get("/endless")
    async def download() -> StreamingResponse:
        return StreamingResponse(endless(), media_type="text/csv")

    with contextlib.ExitStack() as stack:
        port = stack.enter_context(contextlib.contextmanager(serving)(conf, app, QuickStall))
        sock = stack.enter_context(socket.socket())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read
        statuses = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and 200 not in statuses:
            statuses.append(httpx.get(f"http://127.0.0.1:{port}/films/00004/audience",
                                      params={"k": 5}, timeout=10).status_code)
            time.sleep(0.1)
        assert statuses[-1] == 200, f"the stalled download still holds its place: {statuses}"
        assert set(statuses) <= {200, 503}
        got = closed_by_server(sock, within=30.0)  # what the buffers held, then the end
        assert got.startswith(b"HTTP/1.1 200 ")


def test_a_request_framed_twice_gets_400_and_its_connection_closed(live_server: int) -> None:
    """Transfer-Encoding and Content-Length together: the server read the chunks, answered,
    and then answered the bytes the Content-Length covered past them as a second request on
    the same connection (RFC 9112 6.1: reject it, or close the connection after answering)."""
    smuggled = b"0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    head = (b"POST /audiences/lookalike HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            b"\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" % len(smuggled))
    with socket.create_connection(("127.0.0.1", live_server)) as sock:
        sock.sendall(head + smuggled)
        answer = closed_by_server(sock, within=5.0)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"connection: close" in answer.lower()
    assert answer.count(b"HTTP/1.1 ") == 1
