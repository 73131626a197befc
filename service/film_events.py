"""An unknown film's 404 counts the store's events for it as the store routes read the store.

The 404 of a film the served model lacks says how many events the worker's campaign store
holds for it (``recommender.query.hints.store_events_hint``), counted on demand. That count
ran in the 404's thread, outside the store gate (``store_gate``): a store that was locked or
slow kept each such 404 in a thread of the worker's pool for as long, beside every store
request the gate holds back, and the whole worker could stop answering. ``counted`` now reads
the counts first, as the store routes read the store: a place of the gate waited for on the
event loop, the count in the thread pool, both within ``store_pool_timeout`` seconds; a place
not found in time, a count not done in time (its thread keeps the place until it ends) or a
store failure leave the plain 404, uncounted. The counts reach the counter the events poller
gave the model (``events_sync``) through ``COUNTED``, set while the 404's detail is written.

The count is of the events the caller is shown (``event_views``' rule): every writer's to the
admin key and on a server without read or write keys, else the caller's key's own. It counted
every key's, so a partner asking of an id learnt that another partner sent events for that
film, and how many. ``HINT_WRITER`` says whose (``event_views.shown_writer``, decided once per
request), set for every model route (``deps.get_engine``) and for the 404's count; unset (a
hint written outside a request's model), nothing is counted.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi import Request

from recommender.query.hints import HINT_IDS, store_counter
from service.event_views import EVERY, shown_writer
from service.store_gate import gate_of

if TYPE_CHECKING:
    from recommender.model.model import Model

#: the counts ``counted`` read for the 404 being written (None: none read, count directly)
COUNTED: ContextVar[dict[str, int] | None] = ContextVar("film_event_counts", default=None)
#: whose events an unknown film's hint counts: ``EVERY`` (every writer's; importable from
#: here too, ``events_sync``), one writer's, or None: none
HINT_WRITER: ContextVar[str | None] = ContextVar("film_hint_writer", default=None)


def own_events() -> bool:
    """Whether the unknown-film hint being written counts the caller's key's own events (a
    read or write key's, ``HINT_WRITER``), not every writer's: it says "your key's N events"."""
    return HINT_WRITER.get() not in (None, EVERY)


async def counted(request: Request, model: Model, film_ids: Sequence[str]) -> dict[str, int]:
    """The events the store holds for each of the first ``HINT_IDS`` of ``film_ids`` (those
    an unknown film's 404 may count) as ``model``'s counter reads them; {} where the model has
    none (no event for a film it lacks) or the store does not answer (module docstring)."""
    counter = store_counter(model)
    ids = [f for f in dict.fromkeys(film_ids[:HINT_IDS]) if f]
    if counter is None or not ids:
        return {}
    whose = shown_writer(request)
    gate = gate_of(request)
    got: dict[str, int] = {}
    held = False
    turn = threading.Lock()
    ran = dropped = False

    def count() -> dict[str, int]:
        nonlocal ran
        with turn:
            if dropped:  # the 404 went on without it and gave its place back
                return {}
            ran = True
        shown = HINT_WRITER.set(whose)
        try:
            return {f: counter(f) for f in ids}
        finally:  # given back when the count ends, even one the 404 stopped waiting for
            HINT_WRITER.reset(shown)
            try:
                anyio.from_thread.run_sync(gate.release)
            except RuntimeError:  # the worker's event loop is gone, and its gate with it
                pass

    with anyio.move_on_after(float(request.app.state.service.settings.store_pool_timeout)):
        await gate.acquire()
        held = True
        try:
            got = await anyio.to_thread.run_sync(count, abandon_on_cancel=True)
        except Exception:  # noqa: BLE001 - a hint: a store failure leaves the plain 404
            got = {}
    with turn:  # a count that never started (the time ran out first) holds no place
        if held and not ran:
            dropped = True
            gate.release()
    sync = getattr(request.app.state, "events_sync", None)
    if got and sync is not None:  # the store answered (``store_gate``)
        sync.answered()
    return got
