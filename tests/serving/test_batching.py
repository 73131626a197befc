"""``recommender.serving.batching``: a batch computes every queued request exactly as one
request alone would, and a failing batch fails its own callers only."""

from __future__ import annotations

import asyncio

import pytest
from service_fixtures import build_model

import recommender.serving.batching as batching
from recommender.model.model import Model
from recommender.serving.batching import AsyncBatcher, MicroBatcher, rank_requests
from recommender.serving.rankings import rank_films


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(seed=3)


def test_rank_requests_ranks_each_film_once_as_deep_as_asked(model: Model) -> None:
    requests = [(4, True, 8), (9, False, 5), (4, True, 16), (4, False, 8), (9, False, 5)]
    got = rank_requests(model, requests)
    for (film, excl, _), ranking in zip(requests, got, strict=True):
        deepest = max(d for f, e, d in requests if (f, e) == (film, excl))
        (alone,) = rank_films(model, [film], [excl], deepest)
        assert ranking.order.tolist() == alone.order.tolist()
        assert ranking.scores.tobytes() == alone.scores.tobytes()
        assert ranking.n_cand == alone.n_cand and len(ranking.order) == deepest
    assert got[0] is got[2] and got[1] is got[4]  # one prefix per distinct (film, exclude)


def test_a_failing_batch_fails_its_callers_only(model: Model, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    batcher = MicroBatcher(model)
    monkeypatch.setattr(batching, "rank_films", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        batcher.rank(0, True, 5)
    monkeypatch.undo()
    assert len(batcher.rank(0, True, 5).order) == 5  # the batcher is not stuck


def test_async_batcher_coalesces_waiting_requests() -> None:
    batches: list[list[int]] = []

    def compute(requests: list[int]) -> list[int]:
        batches.append(list(requests))
        return [r * r for r in requests]

    async def ask_all() -> list[int]:
        batcher = AsyncBatcher(compute, asyncio.get_running_loop(), max_batch=3)
        return await asyncio.gather(*(batcher.submit(i) for i in range(8)))

    assert asyncio.run(ask_all()) == [i * i for i in range(8)]
    # the first goes alone; the others wait and go in batches of at most three, in order
    assert batches == [[0], [1, 2, 3], [4, 5, 6], [7]]
