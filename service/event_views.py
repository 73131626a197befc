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
too (``sheet_ids.unquoted_ids``'s ``writer``, ``pseudonym_ids.unmasked_ids``'s).

The sequence a model answer names (``X-Events-Seq``, ``service/metrics.py``) and ``/health``'s
``model.store_events`` named the store's to every key as well: to a read or write key the
header is now the ``applied`` its status gives it (:func:`shown_position`), ``store_events``
that count alone (its ``events_applied`` and ``new_users`` are every writer's) and the
training data's ``+ N events`` the words ``+ campaign events`` (:func:`health_events`). A
count asked before is answered from memory (``writer_counts.remembered``): the header asks
at its engine's sequence on every answer; the poller's ``writer_counts.latest_sequence``
forgets those counts after a restore in place. A caller without a key on a server of write
keys and no read key (reads are open there) writes no events and is not shown the store's:
its answers carry no header (:func:`header_position`; it read 0, "no event reflected").
Whose events a request is shown is decided once (:func:`shown_writer`), kept in its state.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from recommender.campaigns.event_writers import CLI_WRITER, writer_id
from recommender.campaigns.events import max_sequence
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.writer_counts import remembered, writer_position, writer_through
from service.auth import presented_keys

STORE, KEY = "store", "key"
EVERY = "*"  # every writer's events (never a writer: those are hex digits or "")
_WRITER = "events_writer"  # where ``shown_writer`` keeps its answer in the request's state


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


def shown_writer(request: Request) -> str | None:
    """Whose events ``request`` is shown: ``EVERY`` (the store's, :func:`sees_store`), else
    its key's (:func:`caller_writer`; None: no events of its own). Decided once per request
    and kept in its state, read by its model route (``deps.get_engine``, an unknown film's
    hint) and by its answer's ``X-Events-Seq`` (``service/metrics.py``) alike."""
    state: dict[str, Any] = request.scope.setdefault("state", {})
    if _WRITER not in state:
        state[_WRITER] = EVERY if sees_store(request) else caller_writer(request)
    whose: str | None = state[_WRITER]
    return whose


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


def events_position(request: Request, seq: int, read: bool = True) -> int | None:
    """The store sequence ``seq`` an engine reflects as ``request`` is shown it: ``seq`` to a
    caller shown the store, else its own events up to it (its status's ``applied``; 0 for a
    caller that writes none); None when they cannot be counted: no store is open, or ``read``
    is False and the count is not remembered."""
    writer = shown_writer(request)
    if writer == EVERY:
        return seq
    if writer is None or seq <= 0:  # none of its events (or none at all) reflected
        return 0
    store = getattr(request.app.state, "campaign_store", None)
    if store is None:
        return None
    return writer_through(store, writer, seq) if read else remembered(store, writer, seq)


async def shown_position(request: Request, seq: int) -> int | None:
    """:func:`events_position` without holding up the event loop: a remembered count at once,
    else counted in the thread pool; None when the store cannot be read (the answer then goes
    without it: a model answer does not need the store)."""
    known = events_position(request, seq, read=False)
    if known is not None or getattr(request.app.state, "campaign_store", None) is None:
        return known
    try:
        return await run_in_threadpool(events_position, request, seq)
    except (SQLAlchemyError, OSError):
        return None


async def header_position(request: Request, seq: int) -> int | None:
    """The ``X-Events-Seq`` of ``request``'s answer, its engine reflecting store sequence
    ``seq``: :func:`shown_position`; None (no header) to a caller with no events of its own
    (no key, on a server of write keys and no read key): the store's sequence is every key's
    volume, and a 0 said the model reflected no event."""
    return None if shown_writer(request) is None else await shown_position(request, seq)


async def health_events(details: dict[str, Any], request: Request) -> dict[str, Any]:
    """``/health``'s ``model`` with ``store_events`` as ``request`` is shown it: the store's
    counts (as ``recommender info`` prints them), or to a read or write key ``through_seq``
    alone, its own events the served model reflects (``counted`` "key"; left out when the
    store cannot be read)."""
    shown = details.get("store_events")
    if shown is None or shown_writer(request) == EVERY:
        return details
    own = await shown_position(request, int(shown["through_seq"]))
    return {**details, "store_events": {"counted": KEY} if own is None
            else {"through_seq": own, "counted": KEY}}
