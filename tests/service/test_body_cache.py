"""``service/body_cache.py``: a cached body is the body a fresh computation renders (oracles:
the library's results rendered by ``render_json``), bodies never cross engines, and a reload
empties the cache. (``test_fastpath.py`` checks that each request counts one look-up.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from service_fixtures import build_model, save_model

from recommender.errors import InvalidParameterError, UnknownUserError
from recommender.model.model import Model
from recommender.query.audience import film_audience
from recommender.query.recommend import recommend_user
from recommender.serving.engine import Engine
from service.bodies import render_json
from service.body_cache import (
    BodyCache,
    audience_body,
    recommendations_body,
    recommendations_body_async,
)
from service.metrics import Metrics
from service.settings import Settings
from service.state import ServiceState


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(seed=3)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("body-cache") / "model")


def test_audience_bodies_are_the_librarys_pages_and_cached(model: Model) -> None:
    hits: list[bool] = []
    bodies = BodyCache(on_audience_hit=hits.append)
    engine = Engine(model)
    for film, k, offset, excl in (("00004", 5, 0, True), ("00004", 5, 3, False),
                                  ("00009", 30, 0, True)):
        body = asyncio.run(audience_body(bodies, engine, film, k, offset, excl))
        assert body == render_json(film_audience(model, film, k, offset, excl).to_json())
        assert asyncio.run(audience_body(bodies, engine, film, k, offset, excl)) is body
    assert hits == [True] * 3 and len(bodies) == 3


def test_recommendation_bodies_are_the_librarys_lists_and_cached(model: Model) -> None:
    lookups: list[bool] = []
    bodies = BodyCache(on_recommendations=lookups.append)
    engine = Engine(model, max_k=50)
    users = model.users.ids[:8].tolist()
    asks = [(u, 3 + i % 4, i % 3 != 0) for i, u in enumerate(users)]

    async def ask_all() -> list[bytes]:
        return await asyncio.gather(*(recommendations_body_async(bodies, engine, u, k, e)
                                      for u, k, e in asks))

    first = asyncio.run(ask_all())
    for (u, k, e), body in zip(asks, first, strict=True):
        assert body == render_json(recommend_user(model, u, k, exclude_seen=e).to_json(model))
        # the route's path (computed in the caller's thread) finds the lane's body cached
        assert recommendations_body(bodies, engine, u, k, e) is body
        fresh = BodyCache()
        assert recommendations_body(fresh, engine, u, k, e) == body  # and computes the same
    assert asyncio.run(ask_all()) == first
    assert lookups == [False] * len(asks) + [True] * len(asks) * 2
    with pytest.raises(UnknownUserError, match="no such user"):
        recommendations_body(bodies, engine, "no such user", 5, True)
    with pytest.raises(InvalidParameterError, match="k must be in"):
        asyncio.run(recommendations_body_async(bodies, engine, users[0], 51, True))
    assert len(bodies) == len(asks)  # errors cache nothing


def test_bodies_never_cross_engines(model: Model) -> None:
    other = build_model(seed=4)
    bodies = BodyCache()
    a, b = Engine(model), Engine(other)
    body_a = asyncio.run(audience_body(bodies, a, "00004", 10, 0, True))
    body_b = asyncio.run(audience_body(bodies, b, "00004", 10, 0, True))
    assert body_b == render_json(film_audience(other, "00004", 10).to_json()) != body_a
    again = Engine(model)  # the same model loaded again: a new generation, a new key
    assert again.key != a.key
    assert asyncio.run(audience_body(bodies, again, "00004", 10, 0, True)) == body_a
    assert len(bodies) == 3


def test_a_reload_empties_the_body_cache(model_dir: Path) -> None:
    service = ServiceState(Settings(model_path=str(model_dir), warm_cache=False), Metrics())
    service.startup()
    old = service.engine
    assert old is not None
    asyncio.run(audience_body(service.bodies, old, "00005", 3, 0, True))
    recommendations_body(service.bodies, old, "u7", 3, True)
    assert len(service.bodies) == 2
    service.reload()
    assert len(service.bodies) == 0 and service.engine is not old


def test_a_closed_engine_does_not_refill_the_cache(model: Model) -> None:
    """A request that began before a reload finishes with its (correct) body, but the body is
    not cached: no key of the new engine could ever ask for it."""
    bodies = BodyCache()
    engine = Engine(model)
    engine.close()
    body = asyncio.run(audience_body(bodies, engine, "00004", 5, 0, True))
    assert body == render_json(film_audience(model, "00004", 5, 0, True).to_json())
    assert recommendations_body(bodies, engine, model.users.ids[0], 5, True)
    assert len(bodies) == 0
    live = Engine(model)
    asyncio.run(audience_body(bodies, live, "00004", 5, 0, True))
    assert len(bodies) == 1
