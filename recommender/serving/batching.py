"""Micro-batchers: concurrent requests coalesced so that each batch costs one matrix product.

``MicroBatcher`` serves callers on threads, ``AsyncBatcher`` callers on an asyncio event loop;
neither waits for company, so under light load they add no latency, and under heavy load the
factor matrices are read once per batch instead of once per request. ``rank_requests`` is the
audience batch computation both are given.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from recommender.model.model import Model
from recommender.serving.rankings import Ranking, rank_films


@dataclass
class _Job:
    """One caller's ranking request, waiting in a ``MicroBatcher``."""

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
