"""Back-pressure: bounds on requests in flight, on body size and on body arrival time.

Past the bound on requests in flight a request gets 503 and ``Retry-After``; a body over the
size limit gets 413; a body that does not arrive in time gets 408. A request framed by both
``Transfer-Encoding`` and ``Content-Length`` gets 400 and its connection is closed (RFC 9112
6.1: a proxy that reads the Content-Length sees one request where the server, reading the
chunks, saw a second one behind it).

A pure ASGI middleware, inside the metrics middleware and the key check (so refusals are
counted and carry ``X-Model-Version`` to a caller with a key; a request without a key is
refused 401 before it, its body unread and its connection closed) and outside everything that
scores. Per worker: with ``--workers N`` the
server holds up to N times ``max_in_flight`` requests. ``/health``, ``/metrics``, ``/admin/*``
and the documentation are never refused for load, so a busy server still answers its
monitoring and its operator.

Slow clients are cut in two places: uvicorn's connection timeouts (``service.server``) for a
request head that does not arrive and an idle keep-alive connection, and here for a body that
has not arrived whole ``timeout_request_body`` seconds after the app began to read it (one
second more per ``MIN_BODY_RATE`` bytes received, so that a slow link's upload goes through).
"""

from __future__ import annotations

import asyncio
import json

from fastapi import HTTPException  # FastAPI passes its own on while reading a body
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.raw_ids import route_path

EXEMPT = ("/health", "/metrics", "/admin/", "/docs", "/redoc", "/openapi.json", "/static/")
MIN_BODY_RATE = 16 << 10  # bytes a second a body arriving past timeout_request_body must keep up


class Limits:
    """See the module docstring. ``max_in_flight=0`` means no bound. ``in_flight`` is the
    number of bounded requests running now."""

    def __init__(self, app: ASGIApp, max_in_flight: int, max_body_bytes: int,
                 body_timeout: float, retry_after: int = 1) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.retry_after = retry_after
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _framed_twice(scope):
            await _refuse(send, 400, "a request may not carry both Transfer-Encoding and "
                                     "Content-Length (RFC 9112, 6.1)", close=True)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body_bytes:
            await _refuse(send, 413, f"request body of {length:,} bytes is over the limit of "
                                     f"{self.max_body_bytes:,} bytes (RECOMMENDER_MAX_BODY_BYTES)",
                          close=True)
            return
        path = route_path(scope)  # behind a proxy's root path too (uvicorn --root-path)
        bounded = self.max_in_flight > 0 and not path.startswith(EXEMPT)
        if bounded and self.in_flight >= self.max_in_flight:
            await _refuse(send, 503, f"the server is busy ({self.in_flight} requests in flight, "
                                     f"the limit is {self.max_in_flight}, "
                                     "RECOMMENDER_MAX_IN_FLIGHT); retry after "
                                     f"{self.retry_after} s",
                          headers=[(b"retry-after", str(self.retry_after).encode())])
            return
        if bounded:
            self.in_flight += 1
        try:
            await self.app(scope, self._guarded(receive), send)
        finally:
            if bounded:
                self.in_flight -= 1

    def _guarded(self, receive: Receive) -> Receive:
        """``receive`` that counts body bytes (413 past the limit, for a body sent without a
        Content-Length) and gives the whole body ``body_timeout`` seconds from the app's
        first read, and one more per ``MIN_BODY_RATE`` bytes received (408). The wait was
        per part, so a body sent a byte at a time, each within the timeout, held its request
        (and its place among those in flight) for as long as the client kept it up."""
        received = 0
        done = False
        deadline: float | None = None

        async def guarded() -> Message:
            nonlocal received, done, deadline
            if done:  # the body is complete: the app is waiting for a disconnect
                return await receive()
            now = asyncio.get_running_loop().time()
            if deadline is None:
                deadline = now + self.body_timeout
            # each byte received buys 1 / MIN_BODY_RATE s more: a slow link's large upload
            # goes through, a body trickled in a byte at a time does not
            left = deadline + received / MIN_BODY_RATE - now
            try:
                message = await asyncio.wait_for(receive(), max(0.0, left))
            except TimeoutError:
                raise HTTPException(408, f"the request body did not arrive within "
                                         f"{self.body_timeout:g} s (and 1 s more per "
                                         f"{MIN_BODY_RATE >> 10} KiB received; "
                                         "RECOMMENDER_TIMEOUT_REQUEST_BODY)",
                                    headers={"Connection": "close"}) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                done = not message.get("more_body", False)
                if received > self.max_body_bytes:
                    raise HTTPException(413, f"request body over the limit of "
                                             f"{self.max_body_bytes:,} bytes "
                                             "(RECOMMENDER_MAX_BODY_BYTES)",
                                        headers={"Connection": "close"})
            else:
                done = True
            return message

        return guarded


def _framed_twice(scope: Scope) -> bool:
    """Whether the request carries both ``Transfer-Encoding`` and ``Content-Length``: the
    server read it by its chunks and kept the connection for what followed them (two
    answers to what a Content-Length proxy took as one request)."""
    names = {name for name, _ in scope.get("headers", [])}
    return b"transfer-encoding" in names and b"content-length" in names


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, status: int, detail: str, close: bool = False,
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    # compact and UTF-8, as FastAPI writes every other answer ({"detail":"..."})
    body = json.dumps({"detail": detail}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    extra = list(headers or [])
    if close:
        extra.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})
