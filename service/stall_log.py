"""The warning line of a response cut for stalling, and the byte count it needs.

``service.server.GuardedH11`` aborts a connection whose client stopped reading its response
(``RECOMMENDER_TIMEOUT_RESPONSE_STALL``). The access log had already written the response's
status (200) when its head went out, so nothing said the download was cut: this line names
the request, its client and the bytes of the response sent before the cut; a user id in the
request's path written ``{user_id}``, as the access line writes it, unless
``RECOMMENDER_LOG_USER_IDS`` keeps it (``service/server_logs.py``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from typing import Any

from service.server_logs import hide_user_id

log = logging.getLogger("recommender.service")


@functools.cache
def _keeps_user_ids() -> bool:
    """``RECOMMENDER_LOG_USER_IDS``, read once per worker."""
    from service.settings import Settings

    return bool(Settings().log_user_ids)


class CountedTransport:
    """``transport`` counting the bytes written to it (``written``); everything else is the
    transport's own."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self.written = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += len(data)
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def warn_cut(scope: Mapping[str, object] | None, client: tuple[str, int] | None, sent: int,
             timeout: float) -> None:
    """Log that the response to ``scope``'s request was cut after ``sent`` bytes (its head
    included), its client having read none of it for ``timeout`` seconds."""
    scope = scope or {}
    where = f"{client[0]}:{client[1]}" if client else "a client"
    path = str(scope.get("path", "?"))
    if not _keeps_user_ids():  # /users/ID/recommendations: the id was logged raw
        path = hide_user_id(path)
    log.warning("a response was cut: %s stopped reading the answer to %s %s for %g s "
                "(RECOMMENDER_TIMEOUT_RESPONSE_STALL), after %s bytes of it were sent (the "
                "access log shows the status its head carried)", where,
                scope.get("method", "?"), path, timeout, f"{sent:,}")
