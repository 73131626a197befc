"""Security headers on every answer: no MIME sniffing, and no page of the service in a frame.

Audience Studio (``/studio/``) acts with the key its user typed, so a page of another site
that framed it could lead a marketer into clicking through a plan or a wave
(clickjacking): every answer says ``X-Frame-Options: DENY`` and ``Content-Security-Policy:
frame-ancestors 'none'`` (only that directive: the API docs pages run inline scripts). And
``X-Content-Type-Options: nosniff``, so that a browser never reads a JSON or CSV answer
holding a caller's text (an id, a title) as a script or a page. And ``Cache-Control:
no-store`` on every answer that says nothing of caching itself (no ``Cache-Control``, ``ETag``
or ``Last-Modified``: the API's, not the static files'): a shared cache in front of the service
(Varnish keeps such a 200 for two minutes unless the request sent ``Authorization`` or a
cookie) gave an audience fetched with ``X-API-Key`` to the next caller, who sent no key. A
header a route set itself is kept.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"content-security-policy", b"frame-ancestors 'none'"))
#: an answer carrying one of these says itself how it may be cached (static files, the Studio)
CACHE_HEADERS = frozenset({b"cache-control", b"etag", b"last-modified"})


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` to every HTTP answer (outermost: refusals too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                if not present & CACHE_HEADERS:  # the API's answers: never kept by a cache
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
