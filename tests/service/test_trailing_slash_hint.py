"""A query parameter refused on a path that ends with a slash names the route without it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("slash")
    settings = Settings(model_path=str(save_model(root / "model", seed=0)), warm_cache=False,
                        store=str(root / "store.db"))
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("path", ["/films/00003/audience", "/films/00003/audience.csv"])
def test_a_trailing_slash_names_the_route_that_takes_the_parameter(client: TestClient,
                                                                   path: str) -> None:
    """``/films/F/audience/?k=3`` reached the film route (its id may hold slashes) as film
    ``F/audience/``, and the 422 said only "unknown query parameter 'k' (this endpoint
    accepts no query parameters)"."""
    r = client.get(path + "/?k=3")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "unknown query parameter 'k'" in detail
    assert f"without the trailing '/', {path} takes k" in detail, detail
    assert client.get(path + "?k=3").status_code == 200  # the route named takes it


def test_no_hint_where_the_path_without_the_slash_does_not_take_it(client: TestClient) -> None:
    for url in ("/films/00003/?k=3", "/films/00003/audience/?nope=1", "/films/00003?k=3"):
        r = client.get(url)
        assert r.status_code == 422 and "trailing" not in r.json()["detail"], url


def test_an_id_ending_with_a_slash_still_reaches_the_film_route(client: TestClient) -> None:
    r = client.get("/films/00003/audience/")
    assert r.status_code == 404 and "'00003/audience/'" in r.json()["detail"]
