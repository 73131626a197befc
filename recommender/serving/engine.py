"""Serving a loaded model to many concurrent callers: an exact ranking cache, a micro-batcher
that scores concurrent audience requests in one matrix product, and the small read-only
queries behind the HTTP service (model metadata, catalog search, film statistics, segments).

Nothing here imports a web framework; ``service/`` wraps an ``Engine`` in routes.

How an audience request is answered (``Engine.audience``):

1. Requests with a segment or attribute filter go straight to ``audience.film_audience``.
2. Otherwise the film's ranking prefix is looked up in the ``RankingCache``, keyed by
   (model key, film, exclude_seen). The model key is the model version plus a per-load
   generation number, so a cache can never answer for another model, and every reload
   starts from an empty cache.
3. On a miss the request joins the ``MicroBatcher``: requests that arrive while a batch is
   being scored wait, and the next batch scores all of them with one (films x f) @ (f x users)
   product, reading the user factors from memory once instead of once per film.
4. A ranking prefix holds the best ``depth`` candidates (ties broken by the lower user index,
   exactly as ``ranking.top_k``) and the number of candidates, which is all a page needs:
   ranks, percentiles and tiers are positions in that order. A page deeper than the prefix
   recomputes a deeper one.

Scores come from a matrix-matrix product rather than the matrix-vector product of
``audience.film_scores``; the two differ in the last bits, so both rankings are settled on
exact dot products (``ranking.settled_top_k_rows``, ``ranking.settle_top_k``) and agree to
the last digit.

Recommendations (``Engine.recommendations_body``) keep their rendered bodies in the same
per-engine body cache; on an event loop a miss waits for a second micro-batcher, which scores
the users of concurrent requests with one product (``recommend.recommend_many``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.kernels.ranking import exclude_rows, score_block, settled_top_k_rows
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.model.segments import lift_table
from recommender.query.audience import (
    MAX_K,
    AudiencePage,
    Tiers,
    check_k,
    film_audience,
    tier_of,
)
from recommender.query.recommend import recommend_many, recommend_user

# users ranked per cached film: covers the default page (k=100) and the next one; a deeper
# page ranks again, twice as deep. Selecting 256 of 138k users costs half of selecting 1024.
DEFAULT_DEPTH = 256

# ------------------------------------------------------------------ ranking prefixes


@dataclass(frozen=True)
class Ranking:
    """The best ``len(order)`` candidates of one film, best first.

    ``order``: user indices; ``scores``: their scores; ``n_cand``: how many users were ranked
    (all users, minus the film's viewers when ``exclude_seen``). ``complete`` when the prefix
    holds every candidate.
    """

    order: NDArray[np.integer]
    scores: NDArray[np.float32]
    n_cand: int

    @property
    def complete(self) -> bool:
        return len(self.order) >= self.n_cand

    def covers(self, depth: int) -> bool:
        return self.complete or len(self.order) >= depth

    @property
    def nbytes(self) -> int:
        return int(self.order.nbytes + self.scores.nbytes) + 64


def rank_films(
    model: Model, films: Sequence[int], exclude_seen: Sequence[bool], depth: int
) -> list[Ranking]:
    """Ranking prefixes of several films with one (films x f) @ (f x users) product.

    ``exclude_seen[r]`` drops film ``films[r]``'s viewers from its candidates. Each prefix has
    ``min(depth, n_cand)`` users, ordered as ``ranking.top_k`` orders them.
    """
    idx = np.asarray(films, np.int64)
    scores = score_block(np.asarray(model.user_factors),
                         np.asarray(model.film_factors[idx], np.float32))
    # the whole batch in a few numpy calls: each call releases and retakes the GIL, which the
    # event loop holds most of the time under load
    exclude_rows(scores, model.seen_by_film, idx, np.flatnonzero(np.asarray(exclude_seen, bool)))
    n_cand = [int(np.count_nonzero(row > -np.inf)) for row in scores]  # 1-D counts are fast
    # settle each prefix on exact dot products, as audience.rank_users does, so a batched or
    # pre-computed ranking is the one a single request (or the CLI) computes
    uf = np.asarray(model.user_factors)
    vectors = np.asarray(model.film_factors[idx], np.float32)
    # int32 user indices halve a cached prefix (every warmed film must fit in the cache)
    itype = np.int32 if model.n_users < 2**31 else np.int64
    slacks = model.score_slacks(vectors)
    top, exact, got = settled_top_k_rows(scores, depth, uf, vectors, slacks)
    return [Ranking(top[r, :c].astype(itype), exact[r, :c].copy(), n_cand[r])
            for r, c in enumerate(got.tolist())]


def page_from_ranking(
    model: Model, film_id: str, ranking: Ranking, k: int, offset: int,
    tiers: Tiers = DEFAULT_TIERS,
) -> AudiencePage:
    """The page ``offset``..``offset+k`` of a film's audience from its ranking prefix: the same
    page ``audience.film_audience`` returns (without segment or attribute filters)."""
    if not ranking.covers(offset + k):
        raise ValueError("ranking prefix too short for this page")
    top = ranking.order[offset:offset + k].astype(np.int64)
    ranks = np.arange(offset + 1, offset + 1 + len(top), dtype=np.int64)
    n_cand = ranking.n_cand
    return AudiencePage(
        film_id=film_id, user_idx=top, user_ids=model.users.to_ids(top), rank=ranks,
        score=ranking.scores[offset:offset + k],
        percentile=100.0 * (n_cand - ranks + 1) / max(n_cand, 1),
        tier=tier_of(ranks, n_cand, tiers),
        segment=np.asarray(model.segments.labels)[top].astype(np.int64), total=n_cand,
        offset=offset, k=k,
    )


class RankingCache:
    """A thread-safe LRU of ranking prefixes, bounded by bytes.

    Keys are ``(model_key, film_idx, exclude_seen)``. ``clear()`` drops everything (called
    when the model is replaced).
    """

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[tuple[str, int, bool], Ranking] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def get(self, key: tuple[str, int, bool]) -> Ranking | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[str, int, bool], ranking: Ranking) -> None:
        if ranking.nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
                if len(old.order) > len(ranking.order):  # keep the deeper prefix
                    ranking = old
            self._items[key] = ranking
            self._bytes += ranking.nbytes
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


class BodyCache:
    """A thread-safe LRU of rendered response bodies (bytes), bounded by bytes.

    Lives on one ``Engine``, so every entry belongs to the model version that engine serves;
    a reload builds a new engine and with it an empty cache. Keys are the request's
    parameters after validation.
    """

    def __init__(self, max_bytes: int = 32 << 20) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._items[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)


def render_json(obj: Any) -> bytes:
    """JSON bytes exactly as FastAPI's ``JSONResponse`` renders them (compact, UTF-8)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


_json_str = json.encoder.encode_basestring  # how json.dumps(ensure_ascii=False) quotes a str


def render_page(page: AudiencePage) -> bytes:
    """``render_json(page.to_json())``, byte for byte, about three times faster.

    An audience page is the one body rendered on every cache miss, and building 100 row
    dicts only for ``json.dumps`` to take them apart again is most of its cost. Numbers are
    written with ``repr`` as ``json`` writes them; a non-finite score or percentile (which
    ``json.dumps(allow_nan=False)`` refuses) falls back to ``render_json`` and its error.
    """
    scores = np.asarray(page.score, np.float32)
    pct = np.asarray(page.percentile, np.float64)
    if not (np.isfinite(scores).all() and np.isfinite(pct).all()):
        return render_json(page.to_json())
    rows = ",".join([
        f'{{"user_id":{_json_str(u)},"rank":{r!r},"score":{round(sc, 6)!r},'
        f'"percentile":{round(p, 4)!r},"tier":{"null" if t is None else _json_str(t)},'
        f'"segment":{g!r}}}'
        for u, r, sc, p, t, g in zip(
            np.asarray(page.user_ids).tolist(), np.asarray(page.rank, np.int64).tolist(),
            scores.tolist(), pct.tolist(), page.tier,
            np.asarray(page.segment, np.int64).tolist(), strict=True)
    ])
    film = "null" if page.film_id is None else _json_str(str(page.film_id))
    return (f'{{"film_id":{film},"users":[{rows}],"total":{int(page.total)!r},'
            f'"offset":{int(page.offset)!r},"k":{int(page.k)!r}}}').encode()


# ------------------------------------------------------------------ micro-batching


@dataclass
class _Job:
    film: int
    exclude_seen: bool
    depth: int
    wakeup: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    result: Ranking | None = None
    error: BaseException | None = None


class MicroBatcher:
    """Coalesces concurrent ranking requests into batches, without waiting for company.

    The first caller computes at once. Callers arriving while a batch is being computed
    queue up; when the batch is done its leader hands over to the oldest queued caller, who
    computes everything queued (up to ``max_batch``) in one product. Under light load there
    is no added latency; under heavy load the user factors are read once per batch.
    ``on_batch(size)`` is called after each batch (for metrics).
    """

    def __init__(self, model: Model, max_batch: int = 32,
                 on_batch: Callable[[int], None] | None = None) -> None:
        self.model = model
        self.max_batch = max(1, int(max_batch))
        self.on_batch = on_batch
        self._lock = threading.Lock()
        self._queue: list[_Job] = []
        self._busy = False

    def rank(self, film: int, exclude_seen: bool, depth: int) -> Ranking:
        job = _Job(film, exclude_seen, depth)
        with self._lock:
            self._queue.append(job)
            if not self._busy:
                self._busy = True
                job.lead = True
        if not job.lead:
            job.wakeup.wait()
        if job.lead:
            self._lead()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _lead(self) -> None:
        with self._lock:  # the leader is always the oldest queued job, so it is in this batch
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
        try:
            self._compute(batch)
        except BaseException as e:  # handed to every caller in the batch
            for j in batch:
                j.error = e
        finally:
            with self._lock:
                if self._queue:
                    nxt = self._queue[0]
                    nxt.lead = True
                    nxt.wakeup.set()
                else:
                    self._busy = False
            for j in batch:
                if not j.lead:
                    j.wakeup.set()

    def _compute(self, batch: list[_Job]) -> None:
        rankings = rank_requests(self.model, [(j.film, j.exclude_seen, j.depth) for j in batch])
        for j, ranking in zip(batch, rankings, strict=True):
            j.result = ranking
        if self.on_batch is not None:
            self.on_batch(len(batch))


def rank_requests(model: Model, requests: Sequence[tuple[int, bool, int]]) -> list[Ranking]:
    """The ranking of each (film, exclude_seen, depth) request: every distinct (film,
    exclude_seen) is ranked once, as deep as its deepest request, with one product per depth
    (so each prefix is exactly as deep as asked)."""
    unique: dict[tuple[int, bool], int] = {}
    for film, excl, depth in requests:
        unique[(film, excl)] = max(unique.get((film, excl), 0), depth)
    by_depth: dict[int, list[tuple[int, bool]]] = {}
    for key, depth in unique.items():
        by_depth.setdefault(depth, []).append(key)
    results: dict[tuple[int, bool], Ranking] = {}
    for depth, group in by_depth.items():
        rankings = rank_films(model, [f for f, _ in group], [e for _, e in group], depth)
        results.update(zip(group, rankings, strict=True))
    return [results[(film, excl)] for film, excl, _ in requests]


Request = TypeVar("Request")
Result = TypeVar("Result")

# one thread scores every batch of every engine: batches run one at a time anyway, and a
# shared thread survives a reload (requests still running on the old engine finish on it)
_SCORING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audience-batch")


class AsyncBatcher(Generic[Request, Result]):
    """``MicroBatcher`` for callers on an asyncio event loop, without a thread per request.

    Requests become futures on the loop. When none is being computed, a request is sent to the
    scoring thread at once; requests arriving meanwhile wait, and all of them (up to
    ``max_batch``) go in the next batch when the current one completes. A batch costs one
    hand-off to the scoring thread and one back, whatever its size: ``compute(requests)``
    returns the result of each request. Not thread-safe: every call must come from the loop
    the batcher was made for (``Engine`` keeps one per loop and kind of request).
    """

    def __init__(self, compute: Callable[[list[Request]], list[Result]],
                 loop: asyncio.AbstractEventLoop, max_batch: int = 32,
                 on_batch: Callable[[int], None] | None = None) -> None:
        self.compute = compute
        self.loop = loop
        self.max_batch = max(1, int(max_batch))
        self.on_batch = on_batch
        self._queue: list[tuple[Request, asyncio.Future[Result]]] = []
        self._busy = False

    async def submit(self, request: Request) -> Result:
        future: asyncio.Future[Result] = self.loop.create_future()
        self._queue.append((request, future))
        if not self._busy:
            self._dispatch()
        return await future

    def _dispatch(self) -> None:
        batch = self._queue[: self.max_batch]
        del self._queue[: self.max_batch]
        self._busy = True
        done = self.loop.run_in_executor(_SCORING, self.compute, [r for r, _ in batch])
        done.add_done_callback(lambda outcome: self._finish(batch, outcome))

    def _finish(self, batch: list[tuple[Request, asyncio.Future[Result]]],
                outcome: asyncio.Future[list[Result]]) -> None:
        error = outcome.exception()
        for i, (_, future) in enumerate(batch):
            if future.done():  # the caller went away (cancelled)
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(outcome.result()[i])
        if self.on_batch is not None:
            self.on_batch(len(batch))
        self._busy = False
        if self._queue:
            self._dispatch()


def recommendation_bodies(model: Model, requests: list[tuple[int, int, bool]]
                          ) -> list[bytes]:
    """The JSON body of each (user index, k, exclude_seen) recommendations request (as
    ``Engine.recommendations_body`` renders it), scored together by ``recommend_many``."""
    return [render_json(films.to_json(model)) for films in recommend_many(model, requests)]


# ------------------------------------------------------------------ the engine

_generation = itertools.count(1)


class Engine:
    """One loaded model and its serving state (ranking cache, micro-batcher, lookups).

    Replace the whole engine to serve another model; an engine never changes model.
    """

    def __init__(
        self,
        model: Model,
        *,
        path: str = "",
        max_k: int = MAX_K,
        cache_bytes: int = 64 << 20,
        depth: int = DEFAULT_DEPTH,
        max_batch: int = 32,
        on_batch: Callable[[int], None] | None = None,
        on_cache: Callable[[bool], None] | None = None,
        on_recommendations_batch: Callable[[int], None] | None = None,
        on_recommendations_cache: Callable[[bool], None] | None = None,
    ) -> None:
        self.model = model
        self.path = path
        self.version = model.version
        self.key = f"{self.version}#{next(_generation)}"
        self.max_k = max_k
        self.depth = max(1, depth)
        self.cache = RankingCache(cache_bytes)
        # rendered audience and recommendation bodies: a repeated request (Zipf traffic)
        # skips ranking, the response model and JSON encoding alike
        self.bodies = BodyCache(cache_bytes // 2)
        self.batcher = MicroBatcher(model, max_batch, on_batch)
        self._async_batchers: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, AsyncBatcher[Any, Any]]
        ] = weakref.WeakKeyDictionary()
        self.on_cache = on_cache
        self.on_recommendations_batch = on_recommendations_batch
        self.on_recommendations_cache = on_recommendations_cache
        self.closed = False
        self.warm_status: dict[str, Any] = {"state": "off", "films": 0,
                                            "total": model.n_films, "seconds": 0.0}
        self._film_counts: NDArray[np.int64] | None = None
        self._titles_lower: list[str] | None = None

    def close(self) -> None:
        """Drop cached rankings (the engine still answers requests already holding it)."""
        self.closed = True
        self.cache.clear()

    # -- audiences

    def check_page(self, k: int, offset: int) -> None:
        check_k(k, offset, self.max_k)

    def cached_body(self, key: tuple[Any, ...]) -> bytes | None:
        """A rendered body from ``bodies`` (counted as a cache hit), or None."""
        body = self.bodies.get(key)
        if body is not None and self.on_cache is not None:
            self.on_cache(True)
        return body

    def cached_audience(
        self, film_id: str, k: int = 100, offset: int = 0, exclude_seen: bool = True
    ) -> AudiencePage | None:
        """The page from the cache, or None when it must be computed. Never blocks on scoring;
        raises ``UnknownFilmError`` / ``InvalidParameterError`` like ``audience``."""
        self.check_page(k, offset)
        f = self.model.film_index(film_id)
        ranking = self.cache.get((self.key, f, exclude_seen))
        if ranking is None or not ranking.covers(offset + k):
            return None
        if self.on_cache is not None:
            self.on_cache(True)
        return page_from_ranking(self.model, film_id, ranking, k, offset)

    def audience(
        self,
        film_id: str,
        k: int = 100,
        offset: int = 0,
        exclude_seen: bool = True,
        segment: int | None = None,
        filters: Mapping[str, str | Sequence[str]] | None = None,
    ) -> AudiencePage:
        """A film's audience page, as ``audience.film_audience`` computes it (cached and
        micro-batched when there is no segment or attribute filter)."""
        self.check_page(k, offset)
        if segment is not None or filters:
            return film_audience(self.model, film_id, k, offset, exclude_seen, segment, filters)
        f, ranking, depth = self._lookup(film_id, k, offset, exclude_seen)
        if ranking is None:
            ranking = self._keep(f, exclude_seen, self.batcher.rank(f, exclude_seen, depth))
        return page_from_ranking(self.model, film_id, ranking, k, offset)

    async def audience_async(
        self, film_id: str, k: int = 100, offset: int = 0, exclude_seen: bool = True
    ) -> AudiencePage:
        """``audience`` without a segment or attribute filter, for a caller on an event loop:
        a cached ranking answers at once; a miss waits for the loop's ``AsyncBatcher``."""
        f, ranking, depth = self._lookup(film_id, k, offset, exclude_seen)
        if ranking is None:
            ranking = self._keep(f, exclude_seen, await self._async_batcher("audience").submit(
                (f, exclude_seen, depth)))
        return page_from_ranking(self.model, film_id, ranking, k, offset)

    def _lookup(self, film_id: str, k: int, offset: int, exclude_seen: bool
                ) -> tuple[int, Ranking | None, int]:
        """Validate a page and look its ranking up (counted as a hit or a miss): (film index,
        the cached ranking when it covers the page, else None; the depth to rank on a miss)."""
        self.check_page(k, offset)
        f = self.model.film_index(film_id)
        need = offset + k
        ranking = self.cache.get((self.key, f, exclude_seen))
        hit = ranking is not None and ranking.covers(need)
        if self.on_cache is not None:
            self.on_cache(hit)
        return f, ranking if hit else None, max(self.depth, 1 << (need - 1).bit_length())

    def _keep(self, f: int, exclude_seen: bool, ranking: Ranking) -> Ranking:
        if not self.closed:
            self.cache.put((self.key, f, exclude_seen), ranking)
        return ranking

    def _async_batcher(self, kind: str) -> AsyncBatcher[Any, Any]:
        """The running loop's batcher of ``kind``: "audience" (rankings, reported to
        ``on_batch``) or "recommendations" (bodies)."""
        loop = asyncio.get_running_loop()
        batchers = self._async_batchers.setdefault(loop, {})
        batcher = batchers.get(kind)
        if batcher is None:
            model = self.model
            if kind == "audience":
                # looked up at each batch, not bound here (tests replace it)
                batcher = AsyncBatcher(lambda requests: rank_requests(model, requests), loop,
                                       self.batcher.max_batch, self.batcher.on_batch)
            else:
                batcher = AsyncBatcher(lambda requests: recommendation_bodies(model, requests),
                                       loop, self.batcher.max_batch,
                                       self.on_recommendations_batch)
            batchers[kind] = batcher
        return batcher

    def warm_cache(self, batch: int = 32, fill: float = 0.9) -> int:
        """Rank films' audiences (exclude-seen, ``depth`` deep) into the ranking cache, the
        most-watched first, until every film is ranked or the next batch would fill the cache
        past ``fill`` of its size (warming never evicts). Runs in the caller's thread and
        stops early once the engine is closed; ``warm_status`` shows the progress. Returns
        the number of films ranked. Answers stay exact: a cached prefix is the one a request
        would have computed for this model.
        """
        order = np.argsort(-self.film_counts, kind="stable").tolist()
        per_film = self.depth * 8 + 64  # int32 index + float32 score per user, and overhead
        status = self.warm_status
        status.update(state="running", films=0, total=len(order), seconds=0.0)
        t0 = time.perf_counter()
        done = 0
        for start in range(0, len(order), batch):
            if self.closed:
                status["state"] = "stopped"
                break
            chunk = order[start:start + batch]
            if self.cache.nbytes + per_film * len(chunk) > fill * self.cache.max_bytes:
                status["state"] = "full"
                break
            rankings = rank_films(self.model, chunk, [True] * len(chunk), self.depth)
            for f, ranking in zip(chunk, rankings, strict=True):
                self.cache.put((self.key, f, True), ranking)
            done += len(chunk)
            status.update(films=done, seconds=round(time.perf_counter() - t0, 2))
        else:
            status["state"] = "done"
        status["seconds"] = round(time.perf_counter() - t0, 2)
        return done

    def start_warming(self) -> threading.Thread:
        """``warm_cache`` on a background (daemon) thread."""
        thread = threading.Thread(target=self.warm_cache, name="audience-warm", daemon=True)
        thread.start()
        return thread

    # -- recommendations

    def recommendations_body(self, user_id: str, k: int = 10, exclude_seen: bool = True
                             ) -> bytes:
        """The JSON body of a user's recommendations (``recommend.recommend_user`` with its
        explanations, rendered as the HTTP response model renders it), kept in ``bodies``: a
        returning user costs a look-up. Raises the library's errors (unknown user, bad
        ``k``) before anything is cached."""
        key, body = self._cached_recommendations(user_id, k, exclude_seen)
        if body is None:
            films = recommend_user(self.model, user_id, k, exclude_seen=exclude_seen)
            body = render_json(films.to_json(self.model))
            self.bodies.put(key, body)
        return body

    def _cached_recommendations(self, user_id: str, k: int, exclude_seen: bool
                                ) -> tuple[tuple[str, str, int, bool], bytes | None]:
        """Validate ``k`` and look the body up (counted as a hit or a miss): (its body-cache
        key, the cached body or None)."""
        self.check_page(k, 0)
        key = ("recommendations", user_id, k, exclude_seen)
        body = self.bodies.get(key)
        if self.on_recommendations_cache is not None:
            self.on_recommendations_cache(body is not None)
        return key, body

    async def recommendations_body_async(self, user_id: str, k: int = 10,
                                         exclude_seen: bool = True) -> bytes:
        """``recommendations_body`` for a caller on an event loop: a cached body answers at
        once; a miss waits for the loop's recommendations batcher, which scores the users of
        concurrent requests with one product."""
        key, body = self._cached_recommendations(user_id, k, exclude_seen)
        if body is None:
            u = self.model.user_index(user_id)
            body = await self._async_batcher("recommendations").submit((u, k, exclude_seen))
            self.bodies.put(key, body)
        return body

    # -- catalog

    @property
    def film_counts(self) -> NDArray[np.int64]:
        if self._film_counts is None:
            self._film_counts = self.model.film_counts()
        return self._film_counts

    def search_films(
        self, query: str = "", limit: int = 20, offset: int = 0, genre: str | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Films whose title contains ``query`` (case-insensitive) or whose id equals it,
        optionally in ``genre``; most watched first. Returns (total matches, one page)."""
        if self._titles_lower is None:
            self._titles_lower = [t.lower() for t in self.model.catalog.titles.tolist()]
        return search_films(self.model, query, limit, offset, genre,
                            titles_lower=self._titles_lower, counts=self.film_counts)

    def film_details(self, film_id: str) -> dict[str, Any]:
        return film_details(self.model, film_id, counts=self.film_counts)


def load_engine(path: str, **kwargs: Any) -> Engine:
    """Load, validate and wrap a model folder (see ``validate_model``)."""
    from recommender.model import artifact

    model = artifact.load(path, mmap=True)
    validate_model(model, path)
    return Engine(model, path=str(path), **kwargs)


def validate_model(model: Model, path: str = "") -> None:
    """Checks beyond ``artifact.load``'s shapes: finite factors, segment labels in range.

    Reading the factors through also brings them into the page cache before the model serves.
    """
    from recommender.errors import ArtifactError

    where = f"{path}: " if path else ""
    for name, arr in (("user_factors", model.user_factors), ("film_factors", model.film_factors)):
        if not np.isfinite(np.asarray(arr)).all():
            raise ArtifactError(f"{where}{name} holds NaN or infinite values")
    if model.n_users == 0 or model.n_films == 0:
        raise ArtifactError(f"{where}the model has no users or no films")
    labels = np.asarray(model.segments.labels)
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= max(model.segments.n, 1)):
        raise ArtifactError(f"{where}user_segments out of range of segments.json")


# ------------------------------------------------------------------ read-only queries


def model_info(model: Model) -> dict[str, Any]:
    """Metadata for ``/health``: version, model type and parameters, data counts."""
    meta = model.meta
    data = meta.get("data", {}) if isinstance(meta.get("data"), dict) else {}
    return {
        "model_version": model.version,
        "model": str(meta.get("model", "")),
        "format_version": meta.get("format_version"),
        "created": meta.get("created"),
        "users": model.n_users,
        "films": model.n_films,
        "interactions": int(model.seen.nnz),
        "factors": int(model.user_factors.shape[1]),
        "segments": model.segments.n,
        "user_attributes": sorted(model.user_table.attributes),
        "data_fingerprint": data.get("fingerprint"),
        "data_source": data.get("source"),
        "params": meta.get("params", {}) if isinstance(meta.get("params"), dict) else {},
        "has_calibration": bool(model.calibration),
    }


def film_row(model: Model, f: int, counts: NDArray[np.int64] | None = None) -> dict[str, Any]:
    counts = model.film_counts() if counts is None else counts
    return {
        "film_id": str(model.films.ids[f]),
        "title": str(model.catalog.titles[f]),
        "year": int(model.catalog.years[f]) or None,
        "genres": [g for g in str(model.catalog.genres[f]).split("|") if g],
        "viewers": int(counts[f]),
    }


def search_films(
    model: Model,
    query: str = "",
    limit: int = 20,
    offset: int = 0,
    genre: str | None = None,
    titles_lower: list[str] | None = None,
    counts: NDArray[np.int64] | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Catalog search by title substring (case-insensitive) or exact film id, most watched
    first (ties by film order). An empty query lists every film. Returns (total, page)."""
    if limit < 1:
        raise InvalidParameterError(f"limit must be >= 1, got {limit}")
    if offset < 0:
        raise InvalidParameterError(f"offset must be >= 0, got {offset}")
    counts = model.film_counts() if counts is None else counts
    n = model.n_films
    mask = np.ones(n, bool)
    q = query.strip().lower()
    if q:
        if titles_lower is None:
            titles_lower = [t.lower() for t in model.catalog.titles.tolist()]
        # a plain substring test: numpy's fixed-width strings would drop a NUL in the query
        mask = np.fromiter((q in t for t in titles_lower), bool, count=n)
        if query in model.films:
            mask[model.film_index(query)] = True
    if genre is not None:
        from recommender.errors import UnknownGenreError

        vocab = {g.lower(): g for g in model.catalog.genre_vocabulary()}
        if genre.lower() not in vocab:
            raise UnknownGenreError([genre])
        wanted = vocab[genre.lower()]
        in_genre = np.array([wanted in g.split("|") for g in model.catalog.genres.tolist()],
                            dtype=bool)
        mask &= in_genre
    hits = np.flatnonzero(mask)
    hits = hits[np.lexsort((hits, -counts[hits]))]
    return len(hits), [film_row(model, int(f), counts) for f in hits[offset:offset + limit]]


def segment_labels(model: Model) -> list[str]:
    return [str(s.get("label", f"Segment {i}")) for i, s in enumerate(model.segments.info)]


def segment_split(model: Model, users: NDArray[np.integer]) -> list[dict[str, Any]]:
    """How ``users`` spread over the segments, against all users, with lift."""
    names = segment_labels(model)
    rows = lift_table(np.asarray(model.segments.labels), np.asarray(users, np.int64))
    for r in rows:
        r["segment"] = int(r.pop("value"))
        r["label"] = names[r["segment"]] if r["segment"] < len(names) else ""
    return rows


def film_details(model: Model, film_id: str, counts: NDArray[np.int64] | None = None
                 ) -> dict[str, Any]:
    """A catalog entry with its audience statistics: viewers (count, share of users,
    popularity rank), how many candidates its audience ranks, and its viewers' segments."""
    f = model.film_index(film_id)
    counts = model.film_counts() if counts is None else counts
    row = film_row(model, f, counts)
    viewers = model.film_viewers(f)
    row.update({
        "viewer_share": round(len(viewers) / max(model.n_users, 1), 6),
        "popularity_rank": int(np.count_nonzero(counts > counts[f])) + 1,
        "candidates": model.n_users - len(viewers),
        "viewer_segments": segment_split(model, viewers),
    })
    return row


def segments_table(model: Model) -> list[dict[str, Any]]:
    """The model's audience segments: id, label, size, share, top genres, representative films."""
    out = []
    for i, s in enumerate(model.segments.info):
        out.append({
            "segment": int(s.get("segment", i)),
            "label": str(s.get("label", f"Segment {i}")),
            "size": int(s.get("size", 0)),
            "share": round(float(s.get("share", 0.0)), 4),
            "top_genres": list(s.get("top_genres", [])),
            "representative_films": list(s.get("representative_films", [])),
        })
    return out
