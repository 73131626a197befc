"""Cached response bodies of the two hottest requests, audience pages and recommendations.

Only plain audience pages (no segment or attribute filter) are cached. A repeated request
(Zipf traffic) costs a dictionary look-up: it skips ranking, the response model and JSON
encoding alike. One byte-bounded LRU (``recommender.serving.lru``) holds both
kinds of body; every key starts with the engine's model key (model version and load
generation), so a body can never answer for another model, and a reload empties the cache.

Both the routes (``routes/films.py``, ``routes/users.py``) and the fast lanes
(``fastpath.py``) answer through the functions here, so an endpoint's caching is read in one
place. Each request counts one cache look-up in ``/metrics``: an audience body hit counts as
an audience-cache hit (a miss is counted by the engine's ranking cache, which answers next);
every recommendations look-up counts as a hit or a miss of the recommendations cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from recommender.query.audience import AudiencePage
from recommender.serving.engine import Engine
from recommender.serving.lru import LRU
from service.bodies import render_films, render_page

# pages up to this size are built on the event loop (their ranking comes from the batcher)
INLINE_K = 1000
# recommendation lists up to this long go through the micro-batcher
INLINE_RECOMMENDATIONS = 100


class BodyCache(LRU[tuple[Any, ...], bytes]):
    """Rendered bodies by (engine key, kind, the request's parameters after validation),
    bounded by bytes.

    ``on_audience_hit(True)`` is called for each audience body found, ``on_recommendations(hit)``
    for each recommendations look-up (for metrics).
    """

    def __init__(self, max_bytes: int = 32 << 20,
                 on_audience_hit: Callable[[bool], None] | None = None,
                 on_recommendations: Callable[[bool], None] | None = None) -> None:
        super().__init__(max_bytes, size=len)
        self.on_audience_hit = on_audience_hit
        self.on_recommendations = on_recommendations


def _keep(bodies: BodyCache, engine: Engine, key: tuple[Any, ...], body: bytes) -> None:
    """Cache ``body`` unless its engine was replaced meanwhile (a request that began before a
    reload must not refill the emptied cache with bytes no key will ask for again)."""
    if not engine.closed:
        bodies.put(key, body)


def audience_key(engine: Engine, film_id: str, k: int, offset: int, exclude_seen: bool
                 ) -> tuple[str, str, str, int, int, bool]:
    """The body-cache key of an unfiltered audience page (after validation)."""
    return (engine.key, "audience", film_id, k, offset, exclude_seen)


def recommendations_key(engine: Engine, user_id: str, k: int, exclude_seen: bool
                        ) -> tuple[str, str, str, int, bool]:
    """The body-cache key of a recommendations list (after validation)."""
    return (engine.key, "recommendations", user_id, k, exclude_seen)


async def audience_page(engine: Engine, film_id: str, k: int, offset: int,
                        exclude_seen: bool) -> AudiencePage:
    """An unfiltered audience page: its ranking from the cache or the micro-batcher (scoring
    on the batcher's thread), the page built on the event loop; very deep pages in the thread
    pool."""
    if k <= INLINE_K:
        return await engine.audience_async(film_id, k, offset, exclude_seen)
    return await run_in_threadpool(engine.audience, film_id, k, offset, exclude_seen)


async def audience_body(bodies: BodyCache, engine: Engine, film_id: str, k: int, offset: int,
                        exclude_seen: bool) -> bytes:
    """The JSON body of an unfiltered audience page: from the body cache, else
    ``audience_page`` rendered and cached. Raises the library's errors (unknown
    film, bad page) before anything is cached."""
    key = audience_key(engine, film_id, k, offset, exclude_seen)
    body = bodies.get(key)
    if body is not None:
        if bodies.on_audience_hit is not None:
            bodies.on_audience_hit(True)
        return body
    body = render_page(await audience_page(engine, film_id, k, offset, exclude_seen))
    _keep(bodies, engine, key, body)
    return body


def _cached_recommendations(bodies: BodyCache, engine: Engine, user_id: str, k: int,
                            exclude_seen: bool
                            ) -> tuple[tuple[str, str, str, int, bool], bytes | None]:
    """Validate ``k`` and look the body up (counted as a hit or a miss): (its key, the cached
    body or None)."""
    engine.check_page(k, 0)
    key = recommendations_key(engine, user_id, k, exclude_seen)
    body = bodies.get(key)
    if bodies.on_recommendations is not None:
        bodies.on_recommendations(body is not None)
    return key, body


def recommendations_body(bodies: BodyCache, engine: Engine, user_id: str, k: int,
                         exclude_seen: bool) -> bytes:
    """The JSON body of a user's recommendations (``Engine.recommendations``, rendered as the
    response model renders it), from the body cache or computed in the caller's thread and
    cached. Raises the library's errors (unknown user, bad ``k``) before anything is
    cached."""
    key, body = _cached_recommendations(bodies, engine, user_id, k, exclude_seen)
    if body is None:
        body = render_films(engine.recommendations(user_id, k, exclude_seen), engine.model)
        _keep(bodies, engine, key, body)
    return body


async def recommendations_body_async(bodies: BodyCache, engine: Engine, user_id: str, k: int,
                                     exclude_seen: bool) -> bytes:
    """``recommendations_body`` for a caller on the event loop: a cached body answers at
    once; a miss of the usual short list waits for the engine's recommendations
    micro-batcher (concurrent users scored with one product), a long one is computed in the
    thread pool."""
    if k > INLINE_RECOMMENDATIONS:
        return await run_in_threadpool(recommendations_body, bodies, engine, user_id, k,
                                       exclude_seen)
    key, body = _cached_recommendations(bodies, engine, user_id, k, exclude_seen)
    if body is None:
        films = await engine.recommendations_async(user_id, k, exclude_seen)
        body = render_films(films, engine.model)
        _keep(bodies, engine, key, body)
    return body
