"""The fast lanes (``service/fastpath.py``) must be invisible: for any request they either answer
exactly what the FastAPI route answers (status, body, headers) or leave the request to the
route. Oracle: the same app built with the fast path turned off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from service_fixtures import ODD_FILM_ID, ODD_USER_ID, save_model

from service.app import create_app
from service.fastpath import plain_page, plain_recommendations
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("fastpath") / "model")


def _client(path: Path, fast: bool) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(path), fast_path=fast, max_k=500,
                                          warm_cache=False)))


@pytest.fixture(scope="module")
def clients(model_dir: Path) -> Iterator[tuple[TestClient, TestClient]]:
    with _client(model_dir, True) as fast, _client(model_dir, False) as slow:
        yield fast, slow


FILM = quote(ODD_FILM_ID, safe="")
USER = quote(ODD_USER_ID, safe="")
REQUESTS = [
    "/films/00003/audience", f"/films/{FILM}/audience?k=7", "/films/00003/audience?k=5&offset=3",
    "/films/00003/audience?k=5&exclude_seen=false", "/films/00003/audience?exclude_seen=0&k=2",
    "/films/00003/audience?k=5&utm_source=mail",  # unknown parameters: 422 from both
    "/films/00003/audience?k=+5", "/films/00003/audience?k=05", "/films/00003/audience?k=5&k=6",
    "/films/00003/audience?exclude_seen=True", "/films/00003/audience?exclude_seen=yes",
    "/films/00003/audience?k=0", "/films/00003/audience?k=501", "/films/00003/audience?k=abc",
    "/films/00003/audience?offset=-1", "/films/00003/audience?offset=99999999999",
    "/films/00003/audience?segment=1&k=4", "/films/00003/audience?filter=region%3DR1&k=4",
    "/films/ghost/audience", "/films//audience", "/films/00003/audience/summary",
    "/films/00003/audience.csv?k=3", "/films/00003", "/films/a/b/audience?k=3",
    "/users/u3/recommendations", f"/users/{USER}/recommendations?k=4",
    "/users/u3/recommendations?k=5&exclude_seen=false", "/users/u3/recommendations?k=150",
    "/users/u3/recommendations?exclude_seen=0&k=2&utm_source=app",
    "/users/u3/recommendations?k=+5", "/users/u3/recommendations?k=5&k=6",
    "/users/u3/recommendations?exclude_seen=no", "/users/u3/recommendations?k=0",
    "/users/u3/recommendations?k=501", "/users/u3/recommendations?offset=2&k=3",
    "/users/u3/recommendations?segment=1", "/users/ghost/recommendations",
    "/users//recommendations", "/users/u3/recommendations/extra",
]


@pytest.mark.parametrize("url", REQUESTS)
def test_fast_path_answers_exactly_as_the_route(clients: tuple[TestClient, TestClient],
                                                url: str) -> None:
    fast, slow = clients
    for _ in range(2):  # a miss, then a hit from the body cache
        a, b = fast.get(url), slow.get(url)
        assert a.status_code == b.status_code, url
        assert a.content == b.content, url
        assert a.headers == b.headers, url


def test_head_and_post_are_left_to_the_route(clients: tuple[TestClient, TestClient]) -> None:
    fast, slow = clients
    for method in ("HEAD", "POST", "DELETE"):
        for url in ("/films/00003/audience", "/users/u3/recommendations"):
            a, b = fast.request(method, url), slow.request(method, url)
            assert (a.status_code, a.content) == (b.status_code, b.content)


def test_plain_pages_skip_the_route(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the route's body builder broken, plain pages still answer (they never reach the
    route) while filtered pages, which the fast path leaves alone, do reach it."""
    import service.routes.films as films

    def broken(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("the route was called")

    with _client(model_dir, True) as fast, _client(model_dir, False) as slow:
        want = slow.get("/films/00003/audience?k=4&offset=1").content
        monkeypatch.setattr(films, "audience_body", broken)
        assert fast.get("/films/00003/audience?k=4&offset=1").content == want
        with pytest.raises(AssertionError, match="the route was called"):
            slow.get("/films/00003/audience?k=4&offset=1")
        metrics = fast.get("/metrics").text
    assert 'route="/films/{film_id:path}/audience",status="200"' in metrics


def test_plain_recommendations_skip_the_route(model_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """As above for recommendations: with the route's body builder broken, a plain request is
    still answered by the lane (through ``body_cache.recommendations_body_async``), while a
    non-canonical one reaches the broken route."""
    import service.fastpath as fastpath
    import service.routes.users as users
    from service.body_cache import recommendations_body_async

    with _client(model_dir, True) as fast, _client(model_dir, False) as slow:
        want = slow.get("/users/u5/recommendations?k=3").content

        def broken(*args: object, **kwargs: object) -> bytes:
            raise AssertionError("the route was called")

        calls: list[str] = []

        async def counted(*args: Any) -> bytes:
            calls.append(args[2])
            return await recommendations_body_async(*args)

        monkeypatch.setattr(fastpath, "recommendations_body_async", counted)
        monkeypatch.setattr(users, "recommendations_body", broken)
        assert fast.get("/users/u5/recommendations?k=3").content == want
        assert calls == ["u5"]
        with pytest.raises(AssertionError, match="the route was called"):
            fast.get("/users/u5/recommendations?k=03")
        metrics = fast.get("/metrics").text
    assert 'route="/users/{user_id:path}/recommendations",status="200"' in metrics


def test_plain_page_parsing() -> None:
    assert plain_page(b"") == (100, 0, True)
    assert plain_page(b"k=7&offset=3&exclude_seen=false") == (7, 3, False)
    assert plain_page(b"exclude_seen=1&%6B=3") == (3, 0, True)  # k, percent-encoded
    for q in (b"k=0", b"k=-1", b"k=1e2", b"k=%2B5", b"offset=01", b"exclude_seen=TRUE",
              b"segment=1", b"filter=a%3Db", b"k=1&k=2", b"k=", b"exclude_seen=1&x=%20",
              b"k=5&limit=3", b"region=North", b"tier=extended", b"K=5", b"bogus", b"=1"):
        assert plain_page(q) is None, q
    assert plain_recommendations(b"") == (10, True)
    assert plain_recommendations(b"k=25&exclude_seen=false") == (25, False)
    for q in (b"k=0", b"k=01", b"exclude_seen=on", b"k=1&k=1", b"segment=2",
              b"k=25&exclude_seen=false&offset=3", b"bogus=1"):
        assert plain_recommendations(q) is None, q


def _cache_counts(client: TestClient) -> dict[str, float]:
    out = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("recommender_audience_cache_total{"):
            out["hit" if 'result="hit"' in line else "miss"] = float(line.rsplit(" ", 1)[1])
    return out


@pytest.mark.parametrize("fast", [True, False])
def test_each_plain_request_counts_one_cache_lookup(model_dir: Path, fast: bool) -> None:
    with _client(model_dir, fast) as client:
        client.get("/films/00005/audience?k=3")     # scored: a miss
        client.get("/films/00005/audience?k=3")     # the same body: a hit
        client.get("/films/00005/audience?k=4")     # another page of the cached ranking: a hit
        assert _cache_counts(client) == {"hit": 2.0, "miss": 1.0}


@pytest.mark.parametrize("fast", [True, False])
def test_each_recommendations_request_counts_one_cache_lookup(model_dir: Path, fast: bool
                                                              ) -> None:
    with _client(model_dir, fast) as client:
        client.get("/users/u7/recommendations?k=3")    # scored: a miss
        client.get("/users/u7/recommendations?k=3")    # the same body: a hit
        client.get("/users/u7/recommendations?k=4")    # another list: a miss
        counts = {}
        for line in client.get("/metrics").text.splitlines():
            if line.startswith("recommender_recommendations_cache_total{"):
                counts["hit" if 'result="hit"' in line else "miss"] = float(
                    line.rsplit(" ", 1)[1])
        assert counts == {"hit": 1.0, "miss": 2.0}
        # the lane scores through the micro-batcher (a batch of one each time here); the
        # route, in the thread pool, one request at a time
        batches = [line for line in client.get("/metrics").text.splitlines()
                   if line.startswith("recommender_recommendations_batch_size_count")]
        assert batches == [f"recommender_recommendations_batch_size_count {2.0 if fast else 0.0}"]
