"""HEAD answered as GET is, without the body: a monitor's ``HEAD /health`` was a 405.

HTTP requires a general-purpose server to answer HEAD on what it answers GET on (RFC 9110,
9.3.2), and uptime monitors send it (UptimeRobot by default): FastAPI's routes take only the
methods they declare, so ``HEAD /health`` and every API route answered 405 and such a monitor
reported the service down. This pure ASGI layer, outermost but for the security headers, runs
a HEAD request as the GET it stands for (the key check, the limits and the routes see a GET;
the export log records a HEAD of 0 rows, since it sends none) and sends its status and
headers, ``Content-Length`` included, with no body. A route that does not take GET still
answers 405. The schema lists GET only (Schemathesis never probes HEAD as an unsupported
method). The GET's scope carries ``HEAD`` (true), so the metrics count the request as the HEAD
it was (a monitor's ``HEAD /health`` every few seconds was counted as that many GETs).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the scope key, true on the GET a HEAD request runs as
HEAD = "recommender.head"


class HeadAsGet:
    """A HEAD request runs as a GET; the answer's body is dropped (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def without_body(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                if ended:
                    return
                ended = not message.get("more_body", False)
                if not ended:  # the body's first parts: nothing to send, and no end yet
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET", HEAD: True}, receive, without_body)
