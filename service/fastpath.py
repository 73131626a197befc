"""Direct lanes for the two hottest requests, a film's audience and a user's recommendations.

``GET /films/{film_id}/audience`` and ``GET /users/{user_id}/recommendations``: campaign tools
poll a film's audience page far more often than anything else, and apps ask for a user's
recommendations on every visit. Both bodies are cached per model version (``body_cache``), so
a repeated request costs a dictionary look-up; through FastAPI it also costs parameter parsing,
dependency resolution, a hop to the thread pool and response building, several times the
look-up itself (``benchmarks/README.md``). This pure ASGI layer sits between the metrics
middleware and the app: when a request is a plain one, with only its page parameters (``k``,
``offset``, ``exclude_seen``) given in their canonical spelling, it answers with the same
bytes and headers the route would send. Anything else falls through to FastAPI untouched:
other routes, other methods, a segment or attribute filter, an unusual spelling of a
parameter (``k=+5``, ``exclude_seen=True``), a repeated parameter, any other query parameter
(the app answers 422 for one the route does not declare), and every error (an unknown film
or user, ``k`` over the limit), so validation and error bodies have one source, the route.
This module only matches requests and sends the bytes ``body_cache`` gives. When read keys are
configured, ``service.auth.ReadKeys`` wraps this layer, so a request reaches a lane only with a
valid key (tests/service/test_security.py); a pseudonymised page (``pseudonymize=true``) is not
a plain request and goes to the route. When an export log is configured
(``RECOMMENDER_ACCESS_LOG``) the audience lane records each page it answers there, as the route
would (``service/access_log.py``): one record write, the same cost the route pays, and without
a log the lane pays one attribute look-up; a log that cannot be written sends the request to
the route, which refuses it with 503.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from recommender.errors import RecommenderError
from recommender.serving.engine import Engine
from service.access_log import ANONYMOUS, active_log, endpoint_name, page_rows, write_record
from service.body_cache import BodyCache, audience_body, recommendations_body_async
from service.head import HEAD
from service.schemas import MAX_OFFSET
from service.state import ServiceState

_UINT = re.compile(r"0|[1-9][0-9]{0,8}")
_BOOL = {"true": True, "false": False, "1": True, "0": False}


def _canonical_query(query_string: bytes, defaults: dict[str, int | bool],
                     maximum: dict[str, int]) -> dict[str, int | bool] | None:
    """The query's values of the parameters in ``defaults`` (integers >= 0, ``k`` >= 1, no
    larger than ``maximum``; booleans), when each is given at most once and in canonical
    spelling and no other parameter is given; else None (the route then answers, 422 for a
    parameter it does not declare)."""
    values = dict(defaults)
    seen: set[str] = set()
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        default = defaults.get(name)
        if default is None or name in seen:
            return None
        seen.add(name)
        if isinstance(default, bool):
            if value not in _BOOL:
                return None
            values[name] = _BOOL[value]
        else:
            if not _UINT.fullmatch(value) or (name == "k" and value == "0"):
                return None
            number = int(value)
            if number > maximum.get(name, number):
                return None
            values[name] = number
    return values


def plain_page(query_string: bytes) -> tuple[int, int, bool] | None:
    """(k, offset, exclude_seen) when the query is a plain audience page in canonical
    spelling (defaults 100, 0, true), else None."""
    v = _canonical_query(query_string, {"k": 100, "offset": 0, "exclude_seen": True},
                         {"offset": MAX_OFFSET})
    return None if v is None else (int(v["k"]), int(v["offset"]), bool(v["exclude_seen"]))


def plain_recommendations(query_string: bytes) -> tuple[int, bool] | None:
    """(k, exclude_seen) when the query is a plain recommendations request in canonical
    spelling (defaults 10, true), else None."""
    v = _canonical_query(query_string, {"k": 10, "exclude_seen": True}, {})
    return None if v is None else (int(v["k"]), bool(v["exclude_seen"]))


async def _audience_lane(bodies: BodyCache, engine: Engine, film_id: str, query: bytes
                         ) -> bytes | None:
    page = plain_page(query)
    if page is None:
        return None
    k, offset, exclude_seen = page
    engine.check_page(k, offset)
    return await audience_body(bodies, engine, film_id, k, offset, exclude_seen)


async def _recommendations_lane(bodies: BodyCache, engine: Engine, user_id: str, query: bytes
                                ) -> bytes | None:
    recs = plain_recommendations(query)
    if recs is None:
        return None
    return await recommendations_body_async(bodies, engine, user_id, *recs)


def _logged(log: Any, scope: Scope, route: BaseRoute, film_id: str, body: bytes) -> bool:
    """Record the audience page ``body`` in the export log as the route would; False when
    the log cannot be written."""
    page = plain_page(scope.get("query_string", b""))
    if page is None:  # never: the lane answered, so the query was plain
        return False
    k, offset, exclude_seen = page
    key_id = scope.get("state", {}).get("key_id") or ANONYMOUS
    try:
        head = bool(scope.get(HEAD))  # a HEAD sends no row: logged as what it was
        write_record(log, key_id=str(key_id),
                     endpoint=endpoint_name("HEAD" if head else "GET",
                                            str(getattr(route, "path", ""))),
                     film_id=film_id, rows=0 if head else page_rows(body), pseudonymized=False,
                     params={"k": k, "offset": offset, "exclude_seen": exclude_seen})
    except OSError:
        return False
    return True


Lane = Callable[[BodyCache, Engine, str, bytes], Awaitable[bytes | None]]


class FastPath:
    """Pure ASGI middleware; see the module docstring. ``audience`` and ``recommendations``
    are the app's two routes (their own ``matches`` decides which paths are theirs and decodes
    the id)."""

    def __init__(self, app: ASGIApp, service: ServiceState, audience: BaseRoute,
                 recommendations: BaseRoute) -> None:
        self.app = app
        self.service = service
        # (route, its id parameter, the lane: the body of a plain request, else None)
        self.lanes: tuple[tuple[BaseRoute, str, Lane], ...] = (
            (audience, "film_id", _audience_lane),
            (recommendations, "user_id", _recommendations_lane))

    def _match(self, scope: Scope) -> tuple[BaseRoute, str, Lane] | None:
        """(route, the id in its path, lane) when ``scope`` is a GET of a lane's route."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        for route, param, lane in self.lanes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                value: Any = child.get("path_params", {}).get(param)
                return (route, value, lane) if isinstance(value, str) else None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = self._match(scope)
        engine = self.service.engine
        # the sequence it reflects, read now: installs while its body is made drop it from
        # the poller's table of recent engines (the header said 0 for a body with events)
        sync = getattr(getattr(scope.get("app"), "state", None), "events_sync", None)
        seq = sync.seq_for(engine) if sync is not None and engine is not None and \
            matched is not None else None
        body = None
        if matched is not None and engine is not None:
            _, id_, lane = matched
            try:
                body = await lane(self.service.bodies, engine, id_,
                                  scope.get("query_string", b""))
            except RecommenderError:  # the route answers with its own error body
                body = None
        if body is not None and matched is not None and matched[2] is _audience_lane:
            log = active_log(scope.get("app"))
            if log is not None and not _logged(log, scope, matched[0], matched[1], body):
                body = None  # the route answers (503: the log cannot be written)
        if body is None or engine is None or matched is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = matched[0]  # the metrics label, as routing would set it
        state = scope.setdefault("state", {})
        state["model_version"] = engine.version
        if seq is not None:  # as deps.get_engine says it (X-Events-Seq)
            state["events_seq"] = seq
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]})
        await send({"type": "http.response.body", "body": body})
