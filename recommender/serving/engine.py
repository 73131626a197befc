"""The serving engine: one loaded model answering many concurrent callers, exactly.

Nothing here imports a web framework; ``service/`` wraps an ``Engine`` in routes (and keeps
the rendered HTTP bodies and their cache).

How an audience request is answered (``Engine.audience``):

1. Requests with a segment, attribute filter or ring go straight to ``audience.film_audience``,
   read at the engine's ``min_cell`` (the server's setting; the environment's by default).
2. Otherwise the film's ranking prefix (``rankings.Ranking``) is looked up in the
   ``RankingCache``, keyed by (model key, film, exclude_seen). The model key is the model
   version plus a per-load generation number, so a cache can never answer for another model,
   and every reload starts from an empty cache.
3. On a miss the request joins a micro-batcher (``batching``): requests that arrive while a
   batch is being scored wait, and the next batch scores all of them with one
   (films x f) @ (f x users) product, reading the user factors once instead of once per film.
4. A page is cut from the prefix (``rankings.page_from_ranking``); a page deeper than the
   prefix ranks again, deeper.

Scores come from a matrix-matrix product rather than the matrix-vector product of
``audience.film_scores``; the two differ in the last bits, so both rankings are settled on
exact dot products (``ranking.settled_top_k_rows``, ``ranking.settle_top_k``) and agree to
the last digit.

Recommendations (``Engine.recommendations``) are ``recommend.recommend_user``'s lists; on an
event loop a request waits for a second micro-batcher, which scores the users of concurrent
requests with one product (``recommend.recommend_many``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import ArtifactError, InvalidParameterError, UnknownFilmError
from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.audience import MAX_K, AudiencePage, check_k, film_audience
from recommender.query.catalog import film_details
from recommender.query.filters import Filters
from recommender.query.hints import with_title_hint
from recommender.query.id_titles import also_titled, also_titled_known, holding_titles
from recommender.query.recommend import FilmList, recommend_many, recommend_user
from recommender.serving.batching import AsyncBatcher, MicroBatcher, rank_requests
from recommender.serving.rankings import (
    DEFAULT_DEPTH,
    Ranking,
    RankingCache,
    page_from_ranking,
    rank_films,
)

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
        min_cell: int | None = None,
    ) -> None:
        if min_cell is not None and min_cell < 1:
            raise InvalidParameterError(f"min_cell must be >= 1, got {min_cell}")
        self.model = model
        # the minimum cell size (users) a segment, filter or film's split is read at: the
        # server's setting (``Settings.min_cell``); None: RECOMMENDER_MIN_CELL at each call
        self.min_cell = min_cell
        self.path = path
        self.version = model.version
        # the store's event sequence the model reflects (recommender/serving/overlay.py): part
        # of every cache key, so a cached ranking or body is exact for (version, events)
        self.events_seq = int((model.meta.get("overlay") or {}).get("seq", 0))
        self.key = f"{self.version}+{self.events_seq}#{next(_generation)}"
        self.max_k = max_k
        self.depth = max(1, depth)
        self.cache = RankingCache(cache_bytes)
        self.batcher = MicroBatcher(model, max_batch, on_batch)
        self._async_batchers: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, AsyncBatcher[Any, Any]]
        ] = weakref.WeakKeyDictionary()
        self.on_cache = on_cache
        self.on_recommendations_batch = on_recommendations_batch
        self.closed = False
        self.warm_status: dict[str, Any] = {"state": "off", "films": 0,
                                            "total": model.n_films, "seconds": 0.0}
        self._film_counts: NDArray[np.int64] | None = None

    def close(self) -> None:
        """Drop cached rankings (the engine still answers requests already holding it)."""
        self.closed = True
        self.cache.clear()

    # -- audiences

    def check_page(self, k: int, offset: int) -> None:
        check_k(k, offset, self.max_k)

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
        segment: int | str | None = None,
        filters: Filters | None = None,
        tier: str | None = None,
    ) -> AudiencePage:
        """A film's audience page, as ``audience.film_audience`` computes it at this engine's
        ``min_cell`` (cached and micro-batched when there is no segment, attribute filter or
        ring)."""
        self.check_page(k, offset)
        if segment is not None or filters or tier is not None:
            return film_audience(self.model, film_id, k, offset, exclude_seen, segment, filters,
                                 tier=tier, min_cell=self.min_cell)
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
        own = str(self.model.film_labels[0][f])
        if not also_titled_known(self.model, own):  # the page names it: the first search
            await asyncio.to_thread(also_titled, self.model, own)  # off the loop (2-17 ms)
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
        ``on_batch``) or "recommendations" (film lists, reported to
        ``on_recommendations_batch``)."""
        loop = asyncio.get_running_loop()
        batchers = self._async_batchers.setdefault(loop, {})
        batcher = batchers.get(kind)
        if batcher is None:
            model = self.model
            # the computations are looked up at each batch, not bound here (tests replace them)
            if kind == "audience":
                batcher = AsyncBatcher(lambda requests: rank_requests(model, requests), loop,
                                       self.batcher.max_batch, self.batcher.on_batch)
            else:
                batcher = AsyncBatcher(lambda requests: recommend_many(model, requests),
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
        # the title index behind an audience page's also_titled (pages.named_film), built
        # here rather than by the first page on the event loop (0.66 s for 87,000 titles)
        holding_titles(self.model)
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

    def recommendations(self, user_id: str, k: int = 10, exclude_seen: bool = True
                        ) -> FilmList:
        """A user's recommendations with their explanations, as ``recommend.recommend_user``
        computes them (``k`` checked against this engine's ``max_k``)."""
        self.check_page(k, 0)
        return recommend_user(self.model, user_id, k, exclude_seen=exclude_seen)

    async def recommendations_async(self, user_id: str, k: int = 10, exclude_seen: bool = True
                                    ) -> FilmList:
        """``recommendations`` for a caller on an event loop: the request waits for the loop's
        recommendations batcher, which scores the users of concurrent requests with one
        product (``recommend.recommend_many``: the same lists, to the last digit)."""
        self.check_page(k, 0)
        u = self.model.user_index(user_id)
        films: FilmList = await self._async_batcher("recommendations").submit(
            (u, k, exclude_seen))
        return films

    # -- catalog

    @property
    def film_counts(self) -> NDArray[np.int64]:
        if self._film_counts is None:
            self._film_counts = self.model.film_counts()
        return self._film_counts

    def unknown_film_detail(self, error: UnknownFilmError) -> str:
        """The message of an unknown film id, with the titles it matches (a 404's detail)."""
        return str(with_title_hint(self.model, error))

    def film_details(self, film_id: str, min_cell: int | None = None) -> dict[str, Any]:
        """A film's catalog entry and statistics, its split read at ``min_cell`` (default
        this engine's)."""
        cell = self.min_cell if min_cell is None else min_cell
        return film_details(self.model, film_id, counts=self.film_counts, min_cell=cell)


def model_folder_path(path: str | os.PathLike[str]) -> str:
    """A model folder as ``/health`` and ``info`` name it: absolute, ``~`` expanded, its
    links kept (``ln -sfn`` swaps a link to another folder: ``serve`` follows the link)."""
    return str(Path(path).expanduser().absolute())  # "..": as the system reads it


def load_engine(path: str, **kwargs: Any) -> Engine:
    """Load, validate and wrap a model folder (see ``validate_model``); the engine's
    ``path`` is ``model_folder_path``'s (``$RECOMMENDER_MODEL_PATH`` may be relative)."""
    model = artifact.load(path, mmap=True)
    validate_model(model, path)
    return Engine(model, path=model_folder_path(path), **kwargs)


def validate_model(model: Model, path: str = "") -> None:
    """The checks a served model needs beyond ``artifact.load``'s (which has checked the
    shapes, and that no segment label reaches past segments.json): finite factors, at least
    one user and one film, no negative segment label.

    Reading the factors through also brings them into the page cache before the model serves.
    """
    where = f"{path}: " if path else ""
    for name, arr in (("user_factors", model.user_factors), ("film_factors", model.film_factors)):
        if not np.isfinite(np.asarray(arr)).all():
            raise ArtifactError(f"{where}{name} holds NaN or infinite values")
    if model.n_users == 0 or model.n_films == 0:
        raise ArtifactError(f"{where}the model has no users or no films")
    labels = np.asarray(model.segments.labels)
    if len(labels) and int(labels.min()) < 0:
        raise ArtifactError(f"{where}user_segments out of range of segments.json")
