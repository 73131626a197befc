"""What a caller of ``/events`` is shown of the store's events: every writer's, or its own.

``POST /events`` answered the store's ``sequence`` and ``GET /events/status`` the store's
latest sequence and this worker's applied one to any read or write key: sequence numbers are
drawn by every writer, so a partner's key read how many events the other partners sent (their
volumes), and the overlay's counts said as much. A read or write key is now shown its own
position (:func:`posted`, :func:`status`): ``sequence``, the events stored under its key id
(``event_writers.writer_id``; a read key given the id of a write key counts that key's), and
``applied``, those of them this worker's served model reflects; ``caught_up`` says they are
all applied, and ``counted`` says whose events the counts are (``"key"``). The admin key and
every caller of a server with no read or write key (each the one writer there) keep the
store's counts (``"store"``). The events' ids a key's batch is looked up against are its own
too (``sheet_ids.unquoted_ids``'s ``writer``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from recommender.campaigns.event_writers import CLI_WRITER, writer_id
from recommender.campaigns.events import max_sequence
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.writer_counts import writer_position
from service.auth import presented_keys

STORE, KEY = "store", "key"


def sees_store(request: Request) -> bool:
    """Whether ``request`` is shown the store's counts: the server has no read or write key
    (every caller is the same writer, ``CLI_WRITER``) or the request carries the admin key."""
    read, write, admin = request.app.state.key_rings
    if not (read or write):
        return True
    return bool(admin) and any(admin.match(key) is not None
                               for key in presented_keys(request.scope.get("headers", [])))


def caller_writer(request: Request) -> str | None:
    """The writer of ``request``'s events: its key id's fingerprint; with no key matched,
    ``CLI_WRITER`` on a server without read or write keys (decided by the match, never by
    the key's id), else None (a caller that may read, not write: no events of its own)."""
    matched = getattr(request.state, "key_id", None)
    if matched is not None:
        return writer_id(str(matched))
    read, write, _admin = request.app.state.key_rings
    return None if (read or write) else CLI_WRITER


def search_writer(request: Request, writer: str) -> str | None:
    """The writer whose events a batch ``writer`` sends is looked up in for its quoted ids
    (``unquoted_ids``): None (every writer's) for a caller shown the store, else its own."""
    return None if sees_store(request) else writer


def posted(request: Request, store: CampaignStore, writer: str, seq: int) -> dict[str, Any]:
    """``POST /events``'s ``sequence`` and ``counted`` after ``writer`` stored a batch, the
    store's sequence being ``seq`` after the commit."""
    if sees_store(request):
        return {"sequence": seq, "counted": STORE}
    return {"sequence": writer_position(store, writer)[0], "counted": KEY}


def status(request: Request, store: CampaignStore, applied: int) -> dict[str, Any]:
    """``GET /events/status``'s ``sequence``, ``applied``, ``caught_up`` and ``counted``,
    ``applied`` being the store sequence this worker's served model reflects."""
    if sees_store(request):
        seq, done, view = max_sequence(store), applied, STORE
    else:
        writer = caller_writer(request)
        seq, done = (0, 0) if writer is None else writer_position(store, writer, applied)
        view = KEY
    return {"sequence": seq, "applied": done, "caught_up": done >= seq, "counted": view}
