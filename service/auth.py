"""Keys: the admin key, read keys for every data endpoint, and the ASGI layer that checks them.

``RECOMMENDER_ADMIN_KEY`` (or the older ``RECOMMENDER_API_KEY``; either works) opens
``/admin/*``; without one the admin endpoints answer 403. ``RECOMMENDER_READ_KEYS`` is a
comma-separated list of keys, each ``KEY`` or ``ID:KEY`` (the id names the key in the export
log; without one the id is ``key-`` and 8 hex digits of the key's SHA-256), several at once so
they can be rotated. When read keys are set, every data endpoint (every route in the OpenAPI
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

:class:`ReadKeys` checks them before routing, so the fast path (``service/fastpath.py``),
the unknown-parameter check and body parsing never run for a caller without a key: a caller
without a key learns nothing but 401. Keys are compared with ``hmac.compare_digest`` against
every configured key, and never logged or echoed. A request carrying ``Authorization`` or
``X-API-Key`` more than once is a 400 saying so (``repeated_key_header``), with read keys and
on the admin routes alike: the first header was the one read, so a right key then a wrong one
opened them and a wrong one then a right one did not. Two different keys, one in each header (a
read key and the admin key, say), are taken only if both are the server's keys: otherwise a 401,
which the key throttle counts once per wrong key (``scope["state"]["wrong_keys"]``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterator, Sequence

from fastapi.routing import APIRoute
from pydantic import SecretStr
from starlette.routing import BaseRoute, Match, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from recommender.query.pseudonym import MIN_KEY_BYTES
from service.raw_ids import route_path

#: data-free routes that stay open when read keys are set (``/health`` without model details)
OPEN_PATHS = frozenset({"/health", "/metrics"})
ADMIN_PREFIX = "/admin/"
API_KEY_HEADER = "X-API-Key"
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
#: the headers a key is read from (raw ASGI name -> as written)
KEY_HEADERS = {b"authorization": "Authorization", b"x-api-key": API_KEY_HEADER}
OPEN, READ, WRITE, ADMIN = "open", "read", "write", "admin"
log = logging.getLogger("recommender.service")


def key_id(key: str) -> str:
    """The id of a key given without one: ``key-`` and 8 hex digits of its SHA-256."""
    return "key-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def key_items(text: str) -> list[tuple[str | None, str]]:
    """(id, key) of each item of a key setting, ``"KEY,ID:KEY,..."``: blanks around items and
    around each part ignored, empty items dropped, id None for a key given without one (a key
    holding ``:`` must be given with an id); the key may be empty (``crm:``)."""
    out: list[tuple[str | None, str]] = []
    for item in (i.strip() for i in text.split(",")):
        if item:
            name, sep, key = item.partition(":")
            out.append((name.strip(), key.strip()) if sep else (None, item))
    return out


class KeyRing:
    """Named keys; :meth:`match` finds the id of a presented key in constant time per key."""

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        self._keys = [(name, key.encode("utf-8")) for name, key in keys if key]

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """``"KEY,ID:KEY,..."`` (``key_items``)."""
        return cls([(key_id(key) if name is None else name, key)
                    for name, key in key_items(text)])

    def __bool__(self) -> bool:
        return bool(self._keys)

    def match(self, presented: str | None) -> str | None:
        """The id of the key ``presented`` is, or None. Every key is compared (no early
        exit), each with ``hmac.compare_digest``."""
        if not presented:
            return None
        given = presented.encode("utf-8", "surrogateescape")
        found = None
        for name, key in self._keys:
            if hmac.compare_digest(given, key) and found is None:
                found = name
        return found


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def admin_ring(admin_key: SecretStr | None, api_key: SecretStr | None) -> KeyRing:
    """The admin keys: ``RECOMMENDER_ADMIN_KEY`` and the older ``RECOMMENDER_API_KEY``."""
    return KeyRing([("admin", _secret(admin_key)), ("admin", _secret(api_key))])


def warn_short_admin_keys(admin_key: SecretStr | None, api_key: SecretStr | None) -> None:
    """Log a warning at start for an admin key shorter than the pseudonym key must be
    (``MIN_KEY_BYTES``), saying its length, never the key: one of a few characters ("k") was
    taken in silence. A warning, not a refusal: a trial or a test may use a short one."""
    for setting, value in (("RECOMMENDER_ADMIN_KEY", admin_key),
                           ("RECOMMENDER_API_KEY", api_key)):
        size = len(_secret(value).encode("utf-8"))
        if 0 < size < MIN_KEY_BYTES:
            log.warning("%s is %d byte(s) long: an admin key this short can be guessed; use at "
                        "least %d random bytes (e.g. the output of 'openssl rand -hex 32')",
                        setting, size, MIN_KEY_BYTES)


def warn_short_ring_keys(setting: str, kind: str, value: SecretStr | None) -> None:
    """Log a warning at start, one line each, for a key of a key setting (``setting``, e.g.
    ``RECOMMENDER_READ_KEYS``; ``kind``, e.g. ``read``) shorter than ``MIN_KEY_BYTES``, naming
    the setting and the key's id, never the key (a key given without an id by its place in
    the list: the id made of its hash would let the log's reader try every short key):
    ``crm:k`` was taken in silence where a short admin key was warned of."""
    items = key_items(_secret(value))
    for place, (name, key) in enumerate(items, 1):
        size = len(key.encode("utf-8"))
        if 0 < size < MIN_KEY_BYTES:
            which = (f"the key of id {name!r}" if name is not None
                     else f"key {place} of {len(items)} (given without an id)")
            log.warning("%s: %s is %d byte(s) long: a %s key this short can be guessed; use "
                        "at least %d random bytes (e.g. the output of 'openssl rand -hex 32')",
                        setting, which, size, kind, MIN_KEY_BYTES)


def read_ring(read_keys: SecretStr | None) -> KeyRing:
    return KeyRing.parse(_secret(read_keys))


def write_ring(write_keys: SecretStr | None) -> KeyRing:
    return KeyRing.parse(_secret(write_keys))


def metrics_ring(metrics_keys: SecretStr | None) -> KeyRing:
    return KeyRing.parse(_secret(metrics_keys))


def presented_keys(headers: Sequence[tuple[bytes, bytes]]) -> list[str]:
    """The keys in ``X-API-Key`` and in ``Authorization: Bearer``, from raw ASGI headers."""
    keys = []
    for name, value in headers:
        lower = name.lower()
        if lower == b"x-api-key":
            keys.append(value.decode("latin-1").strip())
        elif lower == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                keys.append(token.strip())
    return [k for k in keys if k]


def bearer_key(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The key in the first ``Authorization: Bearer``, from raw ASGI headers: the admin
    routes read theirs there only (``deps.require_admin``)."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return (token.strip() or None) if scheme.lower() == "bearer" else None
    return None


def presented_key(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The key in ``X-API-Key``, else in ``Authorization: Bearer``, from raw ASGI headers."""
    keys = presented_keys(headers)
    return keys[0] if keys else None


def repeated_key_header(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    """The key header (``Authorization``, ``X-API-Key``) the raw ASGI ``headers`` carry more
    than once, or None."""
    seen: set[bytes] = set()
    for name, _value in headers:
        lower = name.lower()
        if lower in KEY_HEADERS:
            if lower in seen:
                return KEY_HEADERS[lower]
            seen.add(lower)
    return None


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
