"""A direct lane for the hottest request, ``GET /films/{film_id}/audience``.

Campaign tools poll a film's audience page far more often than anything else, and the body is
cached per model version, so a repeated request costs a dictionary look-up. Through FastAPI it
also costs parameter parsing, dependency resolution and response building, several times the
look-up itself (``benchmarks/README.md``). This pure ASGI layer sits between the metrics
middleware and the app: when a request is a plain audience page, with only ``k``, ``offset`` and
``exclude_seen`` given in their canonical spelling, it answers with the same bytes and headers
the route would send. Anything else falls through to FastAPI untouched: other routes, other
methods, a segment or attribute filter, an unusual spelling of a parameter (``k=+5``,
``exclude_seen=True``), a repeated parameter, and every error (an unknown film, ``k`` over the
limit), so validation and error bodies have one source, the route.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from recommender.audience import AudiencePage
from recommender.errors import RecommenderError
from recommender.serving import Engine, render_page
from service.schemas import MAX_OFFSET
from service.state import ServiceState

# pages up to this size are built on the event loop (their ranking comes from the batcher)
INLINE_K = 1000

_UINT = re.compile(r"0|[1-9][0-9]{0,8}")
_BOOL = {"true": True, "false": False, "1": True, "0": False}
_FALL_THROUGH = frozenset({"segment", "filter"})


def audience_key(film_id: str, k: int, offset: int, exclude_seen: bool
                 ) -> tuple[str, int, int, bool]:
    """The body-cache key of an unfiltered audience page (after validation)."""
    return (film_id, k, offset, exclude_seen)


async def audience_page(engine: Engine, film_id: str, k: int, offset: int,
                        exclude_seen: bool) -> AudiencePage:
    """An unfiltered audience page: its ranking from the cache or the micro-batcher (scoring
    on the batcher's thread), the page built on the event loop; very deep pages in the thread
    pool."""
    if k <= INLINE_K:
        return await engine.audience_async(film_id, k, offset, exclude_seen)
    return await run_in_threadpool(engine.audience, film_id, k, offset, exclude_seen)


async def audience_body(engine: Engine, film_id: str, k: int, offset: int,
                        exclude_seen: bool) -> bytes:
    """The JSON body of an unfiltered audience page: from the body cache, else
    ``audience_page`` rendered and cached. Raises the library's errors (unknown
    film, bad page) before anything is cached."""
    key = audience_key(film_id, k, offset, exclude_seen)
    body = engine.cached_body(key)
    if body is not None:
        return body
    body = render_page(await audience_page(engine, film_id, k, offset, exclude_seen))
    engine.bodies.put(key, body)
    return body


def plain_page(query_string: bytes) -> tuple[int, int, bool] | None:
    """(k, offset, exclude_seen) when the query is a plain page in canonical spelling
    (defaults 100, 0, true), else None. Unknown parameters are ignored, as FastAPI does."""
    k, offset, exclude_seen = 100, 0, True
    seen: set[str] = set()
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in _FALL_THROUGH or name in seen:
            return None
        seen.add(name)
        if name == "k":
            if not _UINT.fullmatch(value) or value == "0":
                return None
            k = int(value)
        elif name == "offset":
            if not _UINT.fullmatch(value) or int(value) > MAX_OFFSET:
                return None
            offset = int(value)
        elif name == "exclude_seen":
            if value not in _BOOL:
                return None
            exclude_seen = _BOOL[value]
    return k, offset, exclude_seen


class AudienceFastPath:
    """Pure ASGI middleware; see the module docstring. ``route`` is the app's audience route
    (its own ``matches`` decides which paths are audience requests and decodes the film id)."""

    def __init__(self, app: ASGIApp, service: ServiceState, route: BaseRoute) -> None:
        self.app = app
        self.service = service
        self.route = route

    def _film_id(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        match, child = self.route.matches(scope)
        if match is not Match.FULL:
            return None
        film_id: Any = child.get("path_params", {}).get("film_id")
        return film_id if isinstance(film_id, str) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        film_id = self._film_id(scope)
        engine = self.service.engine
        page = plain_page(scope.get("query_string", b"")) if film_id is not None else None
        if film_id is None or page is None or engine is None:
            await self.app(scope, receive, send)
            return
        k, offset, exclude_seen = page
        try:
            engine.check_page(k, offset)
            body = await audience_body(engine, film_id, k, offset, exclude_seen)
        except RecommenderError:  # the route answers with its own error body
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # the metrics label, as routing would set it
        scope.setdefault("state", {})["model_version"] = engine.version
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]})
        await send({"type": "http.response.body", "body": body})
