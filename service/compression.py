"""The CSV downloads gzip-compressed for a client that accepts it, still streamed.

An audience export of ``max_k`` rows (10,000 by default) is about 400 kB of CSV, a stored plan's
download about 100 bytes a row (8 MB for the demo model's 80,803-row plan), and their columns
repeat (a film id, a plan id, a tier on every row): gzip sent a third of the demo's audience
download and a fifth of its plan's. They went out
uncompressed whatever the client's ``Accept-Encoding``. Only the downloads (a route path ending
``.csv``) are compressed: the JSON answers are the body cache's hot path
(``service.body_cache``), where a repeated request costs a dictionary look-up that compressing
each answer again would dwarf. Starlette's ``GZipMiddleware`` compresses a streamed answer part
by part (each part flushed), so a plan's download still streams, and it adds ``Vary:
Accept-Encoding``; its responder is used alone, this module reading ``Accept-Encoding``. A
client that does not accept gzip gets the bytes as before; one that names gzip with ``q=0``
refuses it (RFC 9110, 12.5.3) and gets them too.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipResponder
from starlette.types import ASGIApp, Receive, Scope, Send

from service.raw_ids import route_path

#: answers shorter than this go out as they are (a header line and a few rows)
MINIMUM_SIZE = 1024
#: zlib's default: level 9 (Starlette's) took 3.7 times as long for 0.8 % fewer bytes (the
#: demo model's 8 MB plan download: 3.1 s against 0.82 s of one core)
LEVEL = 6


class CsvGzip:
    """Gzip for the ``.csv`` routes' answers when the client accepts it (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and route_path(scope).endswith(".csv")
                and accepts_gzip(Headers(scope=scope).get("accept-encoding", ""))):
            # Starlette's GZipMiddleware tests the header again, as a substring: it sent
            # "GZIP" and "*" (which accept gzip) the bytes as they are, Vary and all
            await GZipResponder(self.app, MINIMUM_SIZE, compresslevel=LEVEL)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` value accepts gzip: named (or ``*``) with a q-value
    above 0 (RFC 9110, 12.5.3). ``gzip;q=0`` refuses it, and Starlette's test was whether
    the text holds "gzip"."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            weights[coding.lower()] = q
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0
