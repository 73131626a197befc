"""Whom an erased id's 404 names as erased: the admin key's caller alone, as the CLI names it.

An id ``recommender forget`` erased is cut from the served model (``recommender.model.dropped``);
its unknown-id error says "erased (right to be forgotten ...)" where ``ERASED_NAMED`` is True.
Over HTTP that told any read key whether a person was erased (a never-known id got a plain
"unknown user_id"), so this pure ASGI layer sets it, per request, True only for a request
presenting the admin key (``RECOMMENDER_ADMIN_KEY`` or ``RECOMMENDER_API_KEY``, in ``X-API-Key``
or ``Authorization: Bearer``, compared in constant time by ``keys.KeyRing``): every other
caller, a read or write key or none on an open server, gets the 404 body, and a lookalike's
``unknown_seed_hints``, word for word as for an id the model never held.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from recommender.model.dropped import ERASED_NAMED
from service.keys import KeyRing, presented_keys


class ErasedWords:
    """Pure ASGI middleware: ``ERASED_NAMED`` for the request (module docstring)."""

    def __init__(self, app: ASGIApp, admin: KeyRing) -> None:
        self.app = app
        self.admin = admin

    def _admin(self, scope: Scope) -> bool:
        return bool(self.admin) and any(self.admin.match(key) is not None
                                        for key in presented_keys(scope.get("headers", [])))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = ERASED_NAMED.set(self._admin(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            ERASED_NAMED.reset(token)
