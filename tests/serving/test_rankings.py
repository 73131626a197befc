"""``recommender.serving.rankings``: ranking prefixes are a brute-force ranking's first users,
pages cut from them are the library's pages, and the ranking cache keeps the deeper prefix."""

from __future__ import annotations

import numpy as np
import pytest
from service_fixtures import build_model

from recommender.model.model import Model
from recommender.query.audience import film_audience
from recommender.serving.rankings import Ranking, RankingCache, page_from_ranking, rank_films


@pytest.fixture(scope="module")
def model() -> Model:
    return build_model(seed=3)


def test_ranking_cache_evicts_by_bytes_and_keeps_the_deeper_prefix() -> None:
    def ranking(n: int) -> Ranking:
        return Ranking(np.arange(n, dtype=np.int64), np.zeros(n, np.float32), n)

    size = ranking(100).nbytes
    cache = RankingCache(max_bytes=3 * size)
    for f in range(3):
        cache.put(("v", f, True), ranking(100))
    cache.get(("v", 0, True))  # 0 is now the most recent; 1 is the oldest
    cache.put(("v", 3, True), ranking(100))
    assert cache.get(("v", 1, True)) is None
    assert all(cache.get(("v", f, True)) is not None for f in (0, 2, 3))
    assert cache.nbytes <= 3 * size
    cache.put(("v", 0, True), ranking(10))  # a shallower prefix never replaces a deeper one
    assert len(cache.get(("v", 0, True)).order) == 100  # type: ignore[union-attr]
    cache.put(("v", 0, True), ranking(120))  # a deeper one does
    assert len(cache.get(("v", 0, True)).order) == 120  # type: ignore[union-attr]
    cache.put(("v", 9, True), ranking(10_000))  # larger than the whole cache: not kept
    assert cache.get(("v", 9, True)) is None
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0


def test_rank_films_matches_a_brute_force_lexsort(model: Model) -> None:
    films = [model.film_index(f) for f in ("00004", "00009", "00010")]
    got = rank_films(model, films, [True, False, True], depth=30)
    for f, excl, r in zip(films, [True, False, True], got, strict=True):
        scores = np.asarray(model.user_factors, np.float64) @ np.asarray(
            model.film_factors[f], np.float64)
        users = np.arange(model.n_users)
        if excl:
            users = np.setdiff1d(users, model.film_viewers(f))
        order = users[np.lexsort((users, -scores[users]))]
        assert r.n_cand == len(users)
        assert r.order.tolist() == order[:30].tolist()


def test_pages_from_a_prefix_are_the_librarys_pages(model: Model) -> None:
    film = "00007"
    (ranking,) = rank_films(model, [model.film_index(film)], [True], depth=40)
    for k, offset in ((1, 0), (10, 0), (15, 25), (40, 0)):
        got = page_from_ranking(model, film, ranking, k, offset)
        want = film_audience(model, film, k, offset)
        assert got.to_json() == want.to_json()
        assert got.score.tobytes() == want.score.tobytes()
    with pytest.raises(ValueError, match="too short"):
        page_from_ranking(model, film, ranking, 10, 35)
