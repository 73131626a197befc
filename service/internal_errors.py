"""A bug's answer (500) in the shape of every other error, with the headers every answer has.

An exception no handler maps (``service.errors``) reached Starlette's outermost
``ServerErrorMiddleware``, which answered ``Internal Server Error`` as ``text/plain`` straight to
the server: outside the security headers (no ``nosniff``, no ``X-Frame-Options``, no
``Cache-Control: no-store``) and without ``X-Model-Version``, and in no shape a client of the
API reads (``{"detail": "..."}``). This pure ASGI layer, inside the metrics middleware (which
adds the version) and the security headers, answers such a request with a JSON 500 whose
detail says nothing of the exception (it may name a path or a value), then raises the
exception again, so that the server still logs its traceback. An exception raised after the
answer began (a streamed export cut in the middle) can send nothing more: it is only raised.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.bodies import render_json

DETAIL = "internal server error: the server's log has the details"


class InternalErrors:
    """A JSON 500 for an exception raised before the answer began (see the module
    docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if not started:
                body = render_json({"detail": DETAIL})
                await send({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            raise
