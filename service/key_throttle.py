"""Wrong keys throttled per client address: past a number of 401s in a window, 429 for a while.

Every key check answered 401 at full speed (763 wrong guesses a second were measured from one
client), so a short key fell to a patient caller. :class:`KeyFailures` counts, per client
address (``scope["client"]``: the address the server sees, a proxy's own unless
``RECOMMENDER_FORWARDED_ALLOW_IPS`` names it, ``server.uvicorn_options``), the requests that
carried a key header (``Authorization``, ``X-API-Key``) and were answered 401, by any layer (the
key check, the admin routes, a wrong key on ``/health``). Once an address has
``RECOMMENDER_KEY_FAILURES`` of them within the last ``RECOMMENDER_KEY_FAILURE_WINDOW`` seconds,
:class:`KeyThrottle` answers its requests that carry a key header 429, with ``Retry-After`` (the
seconds until the oldest of them leaves the window), before any key is checked: a right key is
no exception, or the 429 would tell a right guess from a wrong one. A request without a key
header passes as ever (it guesses nothing, and a 401 for it counts nothing); a request with a
good key adds nothing to the count.

An IPv6 address counts as its /64 network (one host holds a whole /64). The counts are in
memory, per worker process (``serve --workers 4`` lets one address four times as many
failures), and start afresh when the worker does. ``RECOMMENDER_KEY_FAILURES=0`` turns the
throttle off.
"""

from __future__ import annotations

import ipaddress
import json
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.auth import KEY_HEADERS

#: addresses followed at most in each of two tables: those with fewer than the limit of
#: failures (past it, the one whose last failure is oldest is forgotten: at most a limit's
#: worth of failures forgiven) and those that reached it (past it, likewise: a throttled
#: address is forgotten before its window ends only once MAX_CLIENTS other addresses have each
#: reached the limit after its last failure); so many addresses cannot grow them for ever
MAX_CLIENTS = 10_000
#: IPv6 addresses are counted by network: one host holds a whole /64 (2**64 addresses)
IPV6_PREFIX = 64
TOO_MANY = ("too many requests with a wrong key from this address: wait the seconds in "
            "Retry-After, then send a right key (RECOMMENDER_KEY_FAILURES wrong keys in "
            "RECOMMENDER_KEY_FAILURE_WINDOW seconds)")


class KeyFailures:
    """Per address, the times of its last ``limit`` key failures; ``clock`` (monotonic seconds)
    may be replaced, as a test does. Each table is ordered by last failure, so forgetting the
    oldest is one step (a scan of 10,000 addresses per new one ran on the event loop)."""

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._counting: OrderedDict[str, deque[float]] = OrderedDict()  # below the limit
        self._full: OrderedDict[str, deque[float]] = OrderedDict()  # at it: may be throttled

    def wait(self, client: str) -> int | None:
        """Whole seconds ``client`` must wait before a key is checked again, or None."""
        times = self._full.get(client)
        if self.limit <= 0 or times is None:
            return None
        left = self.window - (self.clock() - times[0])
        return max(1, math.ceil(left)) if left > 0 else None

    def failed(self, client: str, count: int = 1) -> None:
        """Count ``count`` key failures of ``client`` now."""
        if self.limit <= 0 or count <= 0:
            return
        times = self._full.pop(client, None)  # re-inserted last: the order is recency
        if times is None:
            times = self._counting.pop(client, None)
        if times is None:
            times = deque(maxlen=self.limit)
            if len(self._counting) >= MAX_CLIENTS:
                self._counting.popitem(last=False)
        times.extend([self.clock()] * min(count, self.limit))
        if len(times) < self.limit:
            self._counting[client] = times
            return
        if client not in self._full and len(self._full) >= MAX_CLIENTS:
            self._full.popitem(last=False)
        self._full[client] = times


def _client(scope: Scope) -> str:
    """The address counted: the client's, an IPv6 one as its /64 network (an IPv4 one mapped
    into IPv6 as the IPv4 address)."""
    client = scope.get("client")
    host = str(client[0]) if client else ""
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host.partition("%")[0])
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))


def _carries_key(scope: Scope) -> bool:
    return any(name.lower() in KEY_HEADERS for name, _ in scope.get("headers", []))


class KeyThrottle:
    """Pure ASGI middleware around the key check (see the module docstring)."""

    def __init__(self, app: ASGIApp, failures: KeyFailures) -> None:
        self.app = app
        self.failures = failures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _carries_key(scope):
            await self.app(scope, receive, send)
            return
        client = _client(scope)
        wait = self.failures.wait(client)
        if wait is not None:
            await _too_many(send, wait, _announces_body(scope))
            return

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                # two wrong keys in one request (auth.ReadKeys) are two guesses
                self.failures.failed(client, int(scope.get("state", {}).get("wrong_keys", 1)))
            await send(message)

        await self.app(scope, receive, watched)


def _announces_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


async def _too_many(send: Send, wait: int, close: bool) -> None:
    body = json.dumps({"detail": TOO_MANY}, separators=(",", ":")).encode("utf-8")
    headers = [(b"content-length", str(len(body)).encode()),
               (b"content-type", b"application/json"),
               (b"retry-after", str(wait).encode())]
    if close:  # its body is not read: the connection cannot carry another request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
