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

Audience Studio's answers (``/studio`` and below) carry a whole policy, ``STUDIO_CSP``: its
pages run only the scripts and styles of its own files (``script-src 'self'``: no inline script,
no ``eval``, no other site's script), load nothing from another site, embed no plug-in and take
no ``<base>``; the docs pages keep ``frame-ancestors`` alone (they run inline scripts). A text
an answer holds (a title, an id) that reached the page as markup by a slip could then run
nothing. The Studio's one image is its blank icon, a ``data:`` URL. Every answer also says
``Referrer-Policy: no-referrer``: no address of the service (a plan id, a film, a search) goes
to a site a page links to.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer"))
CSP = b"content-security-policy"
#: the policy of every answer but the Studio's: no page of the service in a frame
FRAMES_CSP = b"frame-ancestors 'none'"
#: the Studio's: its own files only (service/studio holds no inline script, style or handler)
STUDIO_CSP = (b"default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
              b"img-src 'self' data:; frame-ancestors 'none'")
STUDIO_PREFIX = "/studio"
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

        path = scope.get("path", "")
        studio = path == STUDIO_PREFIX or path.startswith(STUDIO_PREFIX + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                if CSP not in present:
                    headers.append((CSP, STUDIO_CSP if studio else FRAMES_CSP))
                if not present & CACHE_HEADERS:  # the API's answers: never kept by a cache
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
