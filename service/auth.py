"""Keys: which key each route takes, and the ASGI layer that checks a request's keys.

``RECOMMENDER_ADMIN_KEY`` (or the older ``RECOMMENDER_API_KEY``; either works) opens
``/admin/*``; without one the admin endpoints answer 403. ``RECOMMENDER_READ_KEYS`` is a
list of keys, each ``KEY`` or ``ID:KEY``, several at once so they can be rotated (the
settings' format, their parsing into named keys and the headers a key is read from are
``service/keys.py``'s). When read keys are set, every data endpoint (every route in the OpenAPI
schema but ``/health``, ``/metrics`` and ``/admin/*``, and the schema ``/openapi.json`` itself,
which names the model's genres, segments and places) needs one, as ``X-API-Key: KEY`` or
``Authorization: Bearer KEY``; the admin key is accepted there too (id ``admin``).

``/metrics`` stays open unless ``RECOMMENDER_METRICS_KEYS`` is set (same format): then it
needs one of those keys or the admin key (a read or write key does not open it: the request
counts and the served model's version and size are an operator's, and a scraper's key reads
no data).

The endpoints that write to the campaign store (``WRITE_PATHS``: events, a new plan, a next wave, a
withdrawal, a wave's send time and its retraction) take a write key (``RECOMMENDER_WRITE_KEYS``,
same format) or the admin key as soon as any read or write key is configured: a read key there is
403, so a key handed to a reporting tool cannot change what the engine serves. With no key
configured at all the service is open, writes included (a trial on a laptop). ``/health``'s
``access`` says which of them the keys a request carries open (:func:`key_access`); once a read or
write key is configured, a key sent to ``/health`` that is none of the server's keys is a 401 as on
a data endpoint (no key is answered 200, as a liveness probe needs), so a wrong key is told so, not
shown as no key.

:class:`ReadKeys` checks them before routing, so the fast path (``service/fastpath.py``), the
unknown-parameter check and body parsing never run for a caller without a key: a caller without
a key learns nothing but 401. Keys are compared with ``hmac.compare_digest`` against every
configured key (``keys.KeyRing``), and never logged or echoed. A request carrying
``Authorization`` or ``X-API-Key`` more than once is a 400 saying so (``repeated_key_header``),
with read keys and on the admin routes alike: the first header was the one read, so a right key
then a wrong one opened them and a wrong one then a right one did not. Two different keys, one
in each header (a read key and the admin key, say), are taken only if both are the server's
keys: otherwise a 401, which the key throttle counts once per wrong key
(``scope["state"]["wrong_keys"]``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

# the key settings' parsing moved to service/keys.py: its names are still read from here
from service.keys import API_KEY_HEADER as API_KEY_HEADER
from service.keys import KEY_HEADERS as KEY_HEADERS
from service.keys import KeyRing, bearer_key, presented_keys, repeated_key_header
from service.keys import admin_ring as admin_ring
from service.keys import key_id as key_id
from service.keys import key_items as key_items
from service.keys import metrics_ring as metrics_ring
from service.keys import presented_key as presented_key
from service.keys import read_ring as read_ring
from service.keys import warn_short_admin_keys as warn_short_admin_keys
from service.keys import warn_short_ring_keys as warn_short_ring_keys
from service.keys import write_ring as write_ring
from service.raw_ids import route_path

#: data-free routes that stay open when read keys are set (``/health`` without model details)
OPEN_PATHS = frozenset({"/health", "/metrics"})
ADMIN_PREFIX = "/admin/"
READ_KEY_NEEDED = ("missing or wrong read key: send 'X-API-Key: <key>' or "
                   "'Authorization: Bearer <key>' (the keys are set in RECOMMENDER_READ_KEYS)")
ADMIN_CLOSED = ("admin endpoints are closed: set RECOMMENDER_ADMIN_KEY on the server to "
                "enable them, then send 'Authorization: Bearer <key>'")
ADMIN_KEY_NEEDED = "missing or wrong API key: send 'Authorization: Bearer <key>'"
METRICS_PATH = "/metrics"
METRICS_KEY_NEEDED = ("missing or wrong metrics key: send 'Authorization: Bearer <key>' or "
                      "'X-API-Key: <key>' (the keys are set in RECOMMENDER_METRICS_KEYS)")
WRITE_KEY_NEEDED = ("this endpoint writes to the campaign store: it needs a write key "
                    "(RECOMMENDER_WRITE_KEYS) or the admin key, not a read key")
#: the 401 of a write route: it names the key the route takes (it asked for a read key, and
#: one sent then was a 403; on a server of write keys alone it said "not a read key")
WRITE_KEY_MISSING = ("missing or wrong write key: this endpoint writes to the campaign store: "
                     "send a write key (the keys are set in RECOMMENDER_WRITE_KEYS) or the admin "
                     "key as 'X-API-Key: <key>' or 'Authorization: Bearer <key>'; a read key "
                     "does not open it")
#: the ``WWW-Authenticate`` of a read key's 403 on a write (RFC 6750's insufficient_scope):
#: a client tells it from the other 403s (``pseudonymize=true`` without a pseudonym key) by
#: this header, not by the detail's words
WRITE_SCOPE_NEEDED = 'Bearer error="insufficient_scope", scope="write"'
HEALTH_PATH = "/health"
HEALTH_KEY_UNKNOWN = ("the key sent is none of this server's keys: send a read, write or admin "
                      "key as 'X-API-Key: <key>' or 'Authorization: Bearer <key>', or no key "
                      "(/health answers without one)")
#: routes that write to the campaign store, by the methods in ``WRITE_METHODS`` (a wave's send
#: is recorded with POST and taken back with DELETE)
WRITE_PATHS = frozenset({"/events", "/campaigns/plan", "/campaigns/{plan_id}/next",
                         "/campaigns/{plan_id}/withdraw", "/campaigns/{plan_id}/waves/{wave}/sent"})
WRITE_METHODS = frozenset({"POST", "DELETE"})
SCHEMA_PATH = "/openapi.json"
OPEN, READ, WRITE, ADMIN = "open", "read", "write", "admin"


TWO_KEYS_ONE_WRONG = ("the request carries two keys (X-API-Key and Authorization: Bearer) and "
                      "not both are this server's keys: send only keys the server holds")


def repeated_key_refusal(header: str) -> str:
    """The 400's detail for a request carrying ``header`` more than once."""
    return (f"the request carries more than one {header} header: send the key in one header, "
            "once (which of several to read is not guessed)")


def key_access(headers: Sequence[tuple[bytes, bytes]], read: KeyRing, write: KeyRing,
               admin: KeyRing) -> dict[str, bool]:
    """What the keys a request carries (raw ASGI ``headers``; none counts too) let it do, as
    :class:`ReadKeys` decides: ``read``, the data endpoints (no read key configured, or a read,
    write or admin key sent); ``write``, the campaign store's writes (``WRITE_PATHS``: no read
    or write key configured, or a write key or the admin key sent). ``/health`` says it, so a
    client (Audience Studio) offers only what its key may do; no key's id is said. (A key that
    is none of the server's keys never gets here once read or write keys are set: 401.)"""
    given = presented_keys(headers)

    def holds(*rings: KeyRing) -> bool:
        return any(ring.match(key) is not None for key in given for ring in rings)

    return {"read": not read or holds(read, write, admin),
            "write": not (read or write) or holds(write, admin)}


def is_protected(route: BaseRoute) -> bool:
    """Whether read keys guard ``route``: a route of the OpenAPI schema, but not an open
    one (``OPEN_PATHS``) nor an admin one (the admin key guards those)."""
    return (isinstance(route, APIRoute) and route.include_in_schema
            and route.path not in OPEN_PATHS and not route.path.startswith(ADMIN_PREFIX))


def _kind(route: APIRoute, path: str) -> str:
    if path in WRITE_PATHS and WRITE_METHODS & set(route.methods or ()):
        return WRITE
    return READ if is_protected(route) else OPEN


def walk_routes(routes: Sequence[BaseRoute], prefix: str = ""
                ) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of the API routes in ``routes``, included routers' (FastAPI wraps
    each ``include_router`` in an object holding the router and its prefix) walked in order;
    the path as the route declares it (``/films/{film_id:path}``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from walk_routes(inner.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _api_routes(routes: Sequence[BaseRoute]
                ) -> Iterator[tuple[re.Pattern[str], str, frozenset[str]]]:
    """(full path regex, kind: open, read or write, methods) of the API routes in ``routes``."""
    for path, route in walk_routes(routes):
        yield compile_path(path)[0], _kind(route, path), frozenset(route.methods or ())


class ReadKeys:
    """Pure ASGI middleware: a request with a valid key carries its id in
    ``scope["state"]["key_id"]``; one without is answered 401 unless its route is open, and a
    read key on a write route is answered 403 (see the module docstring; an unknown path
    counts as protected, so it reveals nothing, and one under ``/admin/`` is refused as the
    admin routes refuse a caller without the admin key: it was told to send a read key,
    which opens no admin path)."""

    def __init__(self, app: ASGIApp, keys: KeyRing, admin: KeyRing,
                 routes: Sequence[BaseRoute], write: KeyRing | None = None,
                 metrics: KeyRing | None = None) -> None:
        self.app = app
        self.keys = keys
        self.admin = admin
        self.write = write if write is not None else KeyRing([])
        self.metrics = metrics if metrics is not None else KeyRing([])
        self.routes = routes  # the app's route list (routers included later are in it too)
        self._routes_table: list[tuple[re.Pattern[str], str, frozenset[str]]] | None = None

    def _table(self) -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
        """(path regex, kind, methods) of every API route, in routing order (built on first
        use, when every router is included)."""
        if self._routes_table is None:
            self._routes_table = list(_api_routes(self.routes))
        return self._routes_table

    def _kind(self, scope: Scope) -> str:
        path = route_path(scope)
        if path == SCHEMA_PATH:
            return READ
        # as the router picks: the first route of the path and the method, else (a 405) the
        # first of the path, a write route's counted as a read: DELETE /events was a read
        # key's 403 "this endpoint writes", for a method no route has (the router's 405)
        method, partial = scope.get("method"), None
        for regex, kind, methods in self._table():
            if regex.match(path):
                if not methods or method in methods:
                    return kind
                partial = partial or (READ if kind == WRITE else kind)
        if partial is not None:
            return partial
        if path.startswith(ADMIN_PREFIX):  # no admin route: the admin key's, not a read key's
            return ADMIN
        # not an API route: open when another route (docs, static files) answers it
        answered = any(not isinstance(r, APIRoute) and r.matches(scope)[0] is not Match.NONE
                       for r in self.routes if type(r).__name__ in ("Route", "Mount"))
        return OPEN if answered else READ

    def _match(self, given: list[str], *rings: KeyRing) -> str | None:
        for key in given:
            for ring in rings:
                found = ring.match(key)
                if found is not None:
                    return found
        return None

    def _wrong_beside(self, given: list[str], scope: Scope) -> int:
        """How many of two different keys sent (one per header) are none of the server's keys,
        where keys are checked (read or write keys set, or ``/metrics`` with metrics keys);
        0 for one key. Each was tried and the first match let in: a wrong key beside a right
        one went unseen, so a caller with a read key tried write or admin keys beside it (a
        403, a 200 or ``/health``'s ``access`` told a right guess) with no 401 counted."""
        keys = set(given)
        if len(keys) < 2 or not (self.keys or self.write or (
                self.metrics and route_path(scope) == METRICS_PATH)):
            return 0
        rings = (self.keys, self.write, self.admin, self.metrics)
        return sum(self._match([key], *rings) is None for key in keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        if (repeated := repeated_key_header(headers)) is not None:
            await _refuse(send, 400, repeated_key_refusal(repeated), _unread_body(scope))
            return
        given = presented_keys(headers)
        if (wrong := self._wrong_beside(given, scope)):
            scope.setdefault("state", {})["wrong_keys"] = wrong  # the throttle counts each
            await _refuse(send, 401, TWO_KEYS_ONE_WRONG, _unread_body(scope))
            return
        if self.metrics and route_path(scope) == METRICS_PATH:
            found = self._match(given, self.metrics, self.admin)
            if found is None:
                await _refuse(send, 401, METRICS_KEY_NEEDED, _unread_body(scope))
                return
            scope.setdefault("state", {})["key_id"] = found
            await self.app(scope, receive, send)
            return
        kind = self._kind(scope)
        if kind == ADMIN:  # refused as an admin route refuses (deps.require_admin), else 404
            if not self.admin or self.admin.match(bearer_key(headers)) is None:
                await _refuse(send, 401 if self.admin else 403,
                              ADMIN_KEY_NEEDED if self.admin else ADMIN_CLOSED,
                              _unread_body(scope))
                return
            scope.setdefault("state", {})["key_id"] = "admin"
            await self.app(scope, receive, send)
            return
        # writes are guarded once a read or a write key is set (metrics keys alone close
        # /metrics only: they closed the writes to all but the admin key, with a 401 asking
        # for a read key that did not exist, while the schema declared them open)
        if kind == WRITE and scope.get("method") in WRITE_METHODS and (self.keys or self.write):
            found = self._match(given, self.write, self.admin)
            if found is None:
                read = self._match(given, self.keys)
                if read is not None:  # a caller with a key: its 403 names the model version
                    scope.setdefault("state", {})["key_id"] = read
                await _refuse(send, 403 if read else 401,
                              WRITE_KEY_NEEDED if read else WRITE_KEY_MISSING,
                              _unread_body(scope), WRITE_SCOPE_NEEDED if read else None)
                return
        else:
            found = self._match(given, self.keys, self.write, self.admin)
            if found is None and kind != OPEN and self.keys:
                await _refuse(send, 401, READ_KEY_NEEDED, _unread_body(scope))
                return
            # a wrong key on /health (a metrics key is one of the server's keys): 401, as
            # the routes it asks about answer it; it was 200 saying what no key may do
            if found is None and given and route_path(scope) == HEALTH_PATH and (
                    self.keys or self.write) and self._match(given, self.metrics) is None:
                await _refuse(send, 401, HEALTH_KEY_UNKNOWN, _unread_body(scope))
                return
        if found is not None:
            scope.setdefault("state", {})["key_id"] = found
        await self.app(scope, receive, send)


def _unread_body(scope: Scope) -> bool:
    """Whether the request announces a body (refused unread). The limits are inside the key
    check: without ``Connection: close`` the server read and dropped a body of any size a
    caller without a key kept sending (a Content-Length of 10 GB was a 413 before), for as
    long as it kept sending."""
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


async def _refuse(send: Send, status: int, detail: str, close: bool = False,
                  authenticate: str | None = None) -> None:
    """Answer ``status`` with ``{"detail"}``; a 401 with ``WWW-Authenticate: Bearer``, a 403
    with ``authenticate`` as that header when given (``WRITE_SCOPE_NEEDED``)."""
    # compact and UTF-8, as FastAPI writes every other answer ({"detail":"..."})
    body = json.dumps({"detail": detail}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")
    headers = [(b"content-length", str(len(body)).encode()),
               (b"content-type", b"application/json")]
    if authenticate or status == 401:
        headers.append((b"www-authenticate", (authenticate or "Bearer").encode("ascii")))
    if close:  # its body is not read: the connection cannot carry another request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
