"""``recommender.serving.engine``: the cached, micro-batched audience path gives the library's
answers (``audience.film_audience``), the cache is per model, and concurrent requests are
coalesced into shared matrix products."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from service_fixtures import build_model, save_model

import recommender.serving.batching as batching
import recommender.serving.engine as serving
from recommender.errors import (
    ArtifactError,
    InvalidParameterError,
    UnknownFilmError,
    UnknownUserError,
)
from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.audience import AudiencePage, film_audience
from recommender.query.recommend import FilmList, recommend_user
from recommender.serving.engine import Engine
from recommender.serving.rankings import Ranking


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(seed=3)


def assert_same_page(got: AudiencePage, want: AudiencePage) -> None:
    assert got.user_ids.tolist() == want.user_ids.tolist()
    assert got.rank.tolist() == want.rank.tolist()
    assert got.tier == want.tier
    assert got.segment.tolist() == want.segment.tolist()
    assert (got.total, got.offset, got.k) == (want.total, want.offset, want.k)
    np.testing.assert_array_equal(got.percentile, want.percentile)
    np.testing.assert_allclose(got.score, want.score, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("k, offset", [(1, 0), (10, 0), (10, 5), (100, 90), (500, 0),
                                       (3, 10_000)])
@pytest.mark.parametrize("exclude_seen", [True, False])
def test_engine_pages_equal_the_library(model: Model, k: int, offset: int,
                                        exclude_seen: bool) -> None:
    engine = Engine(model, depth=16)
    for film in model.films.ids[:6].tolist():
        want = film_audience(model, film, k, offset, exclude_seen)
        assert_same_page(engine.audience(film, k, offset, exclude_seen), want)
        cached = engine.cached_audience(film, k, offset, exclude_seen)
        assert cached is not None  # the first call filled the cache deep enough
        assert_same_page(cached, want)
        assert cached.to_json() == engine.audience(film, k, offset, exclude_seen).to_json()


def test_filtered_pages_bypass_the_cache(model: Model) -> None:
    engine = Engine(model)
    page = engine.audience("00004", 5, segment=1)
    assert_same_page(page, film_audience(model, "00004", 5, segment=1))
    assert len(engine.cache) == 0
    page = engine.audience("00004", 5, filters={"region": ["R2"]})
    assert_same_page(page, film_audience(model, "00004", 5, filters={"region": ["R2"]}))


def test_engine_errors(model: Model) -> None:
    engine = Engine(model, max_k=50)
    with pytest.raises(UnknownFilmError, match="nope"):
        engine.audience("nope", 5)
    with pytest.raises(UnknownFilmError):
        engine.cached_audience("nope", 5)
    for k, offset in ((0, 0), (51, 0), (5, -1)):
        with pytest.raises(InvalidParameterError):
            engine.audience("00004", k, offset)
        with pytest.raises(InvalidParameterError):
            engine.cached_audience("00004", k, offset)


def test_cache_is_keyed_by_model_and_cleared_on_close(model: Model) -> None:
    other = build_model(seed=4)
    a, b = Engine(model), Engine(other)
    assert a.key != b.key
    a.audience("00004", 10)
    assert a.cached_audience("00004", 10) is not None
    assert b.cached_audience("00004", 10) is None
    assert_same_page(b.audience("00004", 10), film_audience(other, "00004", 10))
    a.close()
    assert a.cached_audience("00004", 10) is None
    a.audience("00004", 10)  # a closed engine still answers, but caches nothing more
    assert len(a.cache) == 0


def test_deeper_pages_deepen_the_cached_prefix(model: Model) -> None:
    engine = Engine(model, depth=8)
    engine.audience("00006", 5)
    key = (engine.key, model.film_index("00006"), True)
    assert len(engine.cache.get(key).order) == 8  # type: ignore[union-attr]
    assert engine.cached_audience("00006", 5, 10) is None
    engine.audience("00006", 5, 10)
    assert len(engine.cache.get(key).order) == 16  # type: ignore[union-attr]


def test_concurrent_requests_are_coalesced(model: Model, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    real = batching.rank_films
    calls: list[int] = []

    def slow_rank_films(*args: Any, **kw: Any) -> list[Ranking]:
        calls.append(len(args[1]))
        time.sleep(0.05)  # keep the first batch busy so the others queue up behind it
        return real(*args, **kw)

    monkeypatch.setattr(batching, "rank_films", slow_rank_films)
    sizes: list[int] = []
    engine = Engine(model, max_batch=64, on_batch=sizes.append)
    films = model.films.ids[:12].tolist()
    start = threading.Barrier(len(films))
    results: dict[str, AudiencePage] = {}

    def ask(film: str) -> None:
        start.wait()
        results[film] = engine.audience(film, 7)

    threads = [threading.Thread(target=ask, args=(f,)) for f in films]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sizes) == len(films)
    assert max(sizes) > 1 and len(sizes) < len(films)
    assert max(calls) > 1
    for film in films:
        assert_same_page(results[film], film_audience(model, film, 7))


def _slow_down(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``serving.<name>`` (a batch computation) sleep first, so the first batch stays
    busy while the other requests queue up behind it."""
    real = getattr(serving, name)

    def slow(*args: Any, **kw: Any) -> Any:
        time.sleep(0.05)
        return real(*args, **kw)

    monkeypatch.setattr(serving, name, slow)


def test_async_requests_are_coalesced_and_exact(model: Model, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    _slow_down(monkeypatch, "rank_requests")
    sizes: list[int] = []
    engine = Engine(model, max_batch=5, on_batch=sizes.append)
    films = model.films.ids[:12].tolist()

    async def ask_all() -> list[AudiencePage]:
        return await asyncio.gather(*(engine.audience_async(f, 7, 0, i % 3 != 0)
                                      for i, f in enumerate(films)))

    pages = asyncio.run(ask_all())
    assert sizes[0] == 1 and max(sizes) == 5 and sum(sizes) == len(films)  # first alone
    for i, (film, page) in enumerate(zip(films, pages, strict=True)):
        assert_same_page(page, film_audience(model, film, 7, exclude_seen=i % 3 != 0))
    # a second round is answered from the ranking cache, without a batch
    again = asyncio.run(ask_all())
    assert sum(sizes) == len(films)
    for page, first in zip(again, pages, strict=True):
        assert_same_page(page, first)


def test_async_recommendations_are_coalesced_and_exact(
        model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    _slow_down(monkeypatch, "recommend_many")
    sizes: list[int] = []
    engine = Engine(model, max_batch=5, on_recommendations_batch=sizes.append)
    users = model.users.ids[:12].tolist()
    asks = [(u, 3 + i % 4, i % 3 != 0) for i, u in enumerate(users)]

    async def ask_all() -> list[FilmList]:
        return await asyncio.gather(*(engine.recommendations_async(u, k, e)
                                      for u, k, e in asks))

    lists = asyncio.run(ask_all())
    assert sizes[0] == 1 and max(sizes) == 5 and sum(sizes) == len(users)  # first alone
    for (u, k, e), films in zip(asks, lists, strict=True):
        want = recommend_user(model, u, k, exclude_seen=e)
        assert films.to_json(model) == want.to_json(model)
        assert films.score.tobytes() == want.score.tobytes()
        assert films.to_json(model) == engine.recommendations(u, k, e).to_json(model)
    with pytest.raises(UnknownUserError):
        asyncio.run(engine.recommendations_async("no such user", 5))
    with pytest.raises(InvalidParameterError):
        asyncio.run(engine.recommendations_async(users[0], 0))
    with pytest.raises(InvalidParameterError):
        engine.recommendations(users[0], 0)
    with pytest.raises(InvalidParameterError):  # the engine's own max_k
        Engine(model, max_k=4).recommendations(users[0], 5)


def test_async_batch_failure_and_cancellation(model: Model, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    engine = Engine(model)
    monkeypatch.setattr(serving, "rank_requests", lambda *a, **k: 1 / 0)

    async def failing() -> None:
        with pytest.raises(ZeroDivisionError):
            await engine.audience_async(model.films.ids[0], 5)

    asyncio.run(failing())
    monkeypatch.undo()

    async def cancel_one() -> AudiencePage:
        first = asyncio.ensure_future(engine.audience_async(model.films.ids[1], 5))
        second = asyncio.ensure_future(engine.audience_async(model.films.ids[2], 5))
        await asyncio.sleep(0)
        first.cancel()
        return await second

    page = asyncio.run(cancel_one())  # the batcher is not stuck, and the other caller is served
    assert_same_page(page, film_audience(model, model.films.ids[2], 5))
    with pytest.raises(UnknownFilmError):
        asyncio.run(engine.audience_async("no such film", 5))


def test_load_engine_validates(tmp_path: Path) -> None:
    path = save_model(tmp_path / "m", seed=5)
    engine = serving.load_engine(str(path), max_k=20)
    assert engine.path == str(path) and engine.max_k == 20
    # saved through the artifact (file checksums valid), so the value check itself is reached
    bad = artifact.load(path, mmap=False)
    bad.film_factors = bad.film_factors.copy()
    bad.film_factors[0, 0] = np.inf
    artifact.save(bad, path)
    with pytest.raises(ArtifactError, match="film_factors holds NaN or infinite"):
        serving.load_engine(str(path))


def test_load_engine_rejects_segment_labels_out_of_range(tmp_path: Path) -> None:
    """Past segments.json (``artifact.load``'s check) or negative (``validate_model``'s)."""
    path = save_model(tmp_path / "m", seed=5)
    good = artifact.load(path, mmap=False)
    for bad, why in ((99, "refers to segment 99"), (-1, "out of range of segments.json")):
        changed = np.array(good.segments.labels, copy=True)
        changed[3] = bad
        # saved through the artifact (file checksums valid), so the label checks are reached
        artifact.save(replace(good, segments=replace(good.segments, labels=changed)), path)
        with pytest.raises(ArtifactError, match=f"user_segments {why}"):
            serving.load_engine(str(path))


def test_warm_cache_ranks_every_film_exactly(model: Model) -> None:
    """A warmed cache answers every film from memory, with the page a single request (and the
    CLI) computes, to the last digit: prefixes are settled on exact dot products."""
    hits: list[bool] = []
    engine = Engine(model, depth=16, on_cache=hits.append)
    assert engine.warm_cache(batch=7) == model.n_films
    assert engine.warm_status["state"] == "done" and engine.warm_status["films"] == model.n_films
    for film in model.films.ids.tolist():
        page = engine.audience(film, 10, 3)
        want = film_audience(model, film, 10, 3)
        assert_same_page(page, want)
        assert page.score.tobytes() == want.score.tobytes()
    assert hits and all(hits)


def test_warm_cache_stops_when_full_or_closed(model: Model) -> None:
    engine = Engine(model, depth=16, cache_bytes=(16 * 8 + 64) * 10)
    done = engine.warm_cache(batch=4)
    assert engine.warm_status["state"] == "full" and 0 < done < model.n_films
    assert len(engine.cache) == done  # warming never evicts
    closed = Engine(model)
    closed.close()
    assert closed.warm_cache() == 0 and closed.warm_status["state"] == "stopped"


def test_the_first_page_names_its_film_off_the_event_loop(
        model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's ``also_titled`` needs a title search the first time per film id (2-17 ms
    on MovieLens's catalogues): an event loop's caller runs it on a worker thread, and the
    page says what the library's says."""
    import recommender.query.id_titles as id_titles

    searched: list[bool] = []  # per search: whether it ran on the loop's thread
    real = id_titles._also_titled

    def recorded(m: Model, film_id: str) -> list[str]:
        try:
            asyncio.get_running_loop()
            searched.append(True)
        except RuntimeError:
            searched.append(False)
        return real(m, film_id)

    monkeypatch.setattr(id_titles, "_also_titled", recorded)
    model = replace(model, catalog=replace(model.catalog))  # a catalog no test asked about
    engine = Engine(model)
    film = str(model.films.ids[5])
    assert not id_titles.also_titled_known(model, film)
    page = asyncio.run(engine.audience_async(film, 5))
    assert searched == [False]
    assert_same_page(page, film_audience(model, film, 5))
    assert page.also_titled == film_audience(model, film, 5).also_titled
    asyncio.run(engine.audience_async(film, 5, 5))  # kept: no second search
    assert searched == [False]
