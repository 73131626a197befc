"""A bound on the campaign-store requests a worker runs at once, waited for without a thread.

Every route that reads or writes the campaign store (``/events``, ``/campaigns``) is a plain
``def`` run in Starlette's thread pool (anyio's default limiter: 40 threads a worker), which
every other synchronous route (a film's card, a summary, an audience page the cache does not
hold, ``POST /admin/reload``) shares. A store that is locked (SQLite's 30 s busy timeout) or
slow kept each of its requests in a thread for as long, and 40 of them left no thread to any
of those routes: the whole worker stopped answering until the store came back. These routes
now first take one of ``store_pool_size + store_pool_overflow - 1`` places (the store's own
connections but one: a request past them only waited for a connection), at most half the
thread pool, waiting for one in the event loop; one that finds no place within
``store_pool_timeout`` seconds is the 503 a request finding no free connection was. The
connection left out is the reload's (``POST /admin/reload``, the watcher) and the events
poller's, which read the store's events outside the gate: with every connection held by
writers queued on a locked SQLite file, a reload's read of the events waited out the pool's
timeout and failed ("no campaign-store connection was free within 30 s"). A pool of one
connection gives the gate that one. The place is given back when
the route returns (``scope="function"``), not after its answer is sent: a client reading a
plan's CSV slowly holds none. A route that returns tells the events poller the store answers
(``EventsSync.answered``): one backing off after an outage looks again at once. An unknown
film's 404 counts the store's events for it through the gate too (``film_events``). A write
route (any method but ``READS``) is refused first, with the 503 a read-only store's write
gets, while this worker's probe of the store finds it read-only (``StoreHealth.refuse_writes``,
/health's "read_only").
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
from fastapi import Request

from recommender.errors import NoConnectionError

#: the methods of the store routes that only read it: every other one writes (events, a plan,
#: a withdrawal, a wave sent or retracted)
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def gate_size(settings: object, threads: float) -> int:
    """The places of the gate: the store's connections but one (the reload's and the events
    poller's: see the module docstring), at most half of ``threads``, at least one."""
    connections = int(getattr(settings, "store_pool_size", 5)) + \
        int(getattr(settings, "store_pool_overflow", 10))
    return max(1, min(connections - 1, int(threads) // 2))


def gate_of(request: Request) -> anyio.Semaphore:
    """The worker's gate (made at its first use, on the event loop)."""
    gate = getattr(request.app.state, "store_gate", None)
    if gate is None:
        threads = anyio.to_thread.current_default_thread_limiter().total_tokens
        gate = request.app.state.store_gate = anyio.Semaphore(
            gate_size(request.app.state.service.settings, threads))
    return gate


async def store_gate(request: Request) -> AsyncIterator[None]:
    """A dependency of the store's routes: holds a place of the worker's gate while the
    route runs (see the module docstring)."""
    settings = request.app.state.service.settings
    sync = getattr(request.app.state, "events_sync", None)
    if sync is not None and request.method not in READS:  # a write: not to a read-only store
        sync.refuse_writes()
    gate = gate_of(request)
    wait = float(settings.store_pool_timeout)
    acquired = False
    with anyio.move_on_after(wait):
        await gate.acquire()
        acquired = True
    if not acquired:
        raise NoConnectionError(f"no campaign-store connection was free within {wait:g} s "
                                "(RECOMMENDER_STORE_POOL_TIMEOUT)")
    try:
        yield
    finally:
        gate.release()
    if sync is not None:  # reached only when the route returned: the store answered it
        sync.answered()
