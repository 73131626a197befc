"""Film ids that end like a film route's suffix, read from the raw path before routing.

``GET /films/heat%2Fsimilar`` (a film whose id is ``heat/similar``, its slash encoded) is that
film's detail, not film ``heat``'s similar films. The server decodes ``%2F`` before routing,
so the path alone cannot tell the two apart; the raw path can. This pure ASGI layer sits
outside the fast path and the router: a GET whose raw path is ``/films/<one segment holding
an encoded slash>``, decoding to an id that ends in a film route's suffix, goes to the film
detail route under a private path (``DETAIL_PATH``) with the id in the scope. Everything else
passes untouched (an id sent with literal slashes is read as the routes read it, as before).
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send

SUFFIXES = ("/audience", "/audience.csv", "/audience/summary", "/similar", "/distribution")
DETAIL_PATH = "/_film-detail"
SCOPE_KEY = "raw_film_id"
_PREFIX = b"/films/"


class RawFilmIds:
    """Send ``/films/<id with an encoded slash ending in a route suffix>`` to the detail."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD"):
            raw = scope.get("raw_path") or b""
            rest = raw[len(_PREFIX):] if raw.startswith(_PREFIX) else b""
            if rest and b"/" not in rest and b"%2f" in rest.lower():
                film_id = unquote(rest.decode("ascii", "replace"))
                if film_id.endswith(SUFFIXES):
                    scope = {**scope, "path": DETAIL_PATH, SCOPE_KEY: film_id}
        await self.app(scope, receive, send)
