"""Film ids that end like a film route's suffix, asked for with their slash encoded: the
server decodes %2F before routing, so only the raw path tells the film from a sub-resource."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import quote, urlencode

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.io.ids import IdMap
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

TRICKY = ["heat/similar", "a/audience", "b/audience.csv", "c/audience/summary",
          "d/distribution"]


def saved_with_films(tmp_path_factory: pytest.TempPathFactory, seed: int, first: list[str],
                     name: str, users: bool = False) -> Path:
    """A service test model whose first films (and first users, with ``users``) are renamed
    ``first``, saved."""
    model = build_model(seed=seed)
    films = model.films.ids.astype(object)
    films[:len(first)] = first
    ids = np.asarray(films, dtype=str)
    model = dataclasses.replace(model, films=IdMap(ids),
                                catalog=dataclasses.replace(model.catalog, film_ids=ids))
    if users:
        names = model.users.ids.astype(object)
        names[:len(first)] = first
        model = dataclasses.replace(model, users=IdMap(np.asarray(names, dtype=str)))
    return Path(artifact.save(model, tmp_path_factory.mktemp(name) / "model"))


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_with_films(tmp_path_factory, 2, TRICKY, "raw")


@pytest.mark.parametrize("fast_path", [True, False])
def test_each_tricky_id_opens_its_own_page(model_path: Path, fast_path: bool) -> None:
    settings = Settings(model_path=str(model_path), warm_cache=False, fast_path=fast_path)
    with TestClient(create_app(settings)) as client:
        _check(client)


def _check(client: TestClient) -> None:
    for film_id in TRICKY:
        enc = quote(film_id, safe="")
        detail = client.get(f"/films/{enc}")
        assert detail.status_code == 200, (film_id, detail.text)
        assert detail.json()["film_id"] == film_id
        for suffix, key in (("/similar", "film_id"), ("/audience", "film_id"),
                            ("/audience/summary", "film_id")):
            r = client.get(f"/films/{enc}{suffix}")
            assert r.status_code == 200 and r.json()[key] == film_id, (film_id, suffix)
    # the audience of "a" is still the audience of "a", the ids' prefixes are no films
    assert client.get("/films/heat").status_code == 404
    assert client.get("/_film-detail").status_code == 404  # the private path alone


def test_ids_holding_a_line_break_are_reached_and_kept(tmp_path: Path) -> None:
    """A film or user id holding a line break (a quoted CSV field may) was 404 "Not Found"
    with no id named, and /films/<a known id>%0A answered that other film."""
    model = build_model(seed=3)
    films = np.asarray(["multi\nline", *model.films.ids[1:].tolist()], dtype=str)
    users = np.asarray(["u\r\n1", *model.users.ids[1:].tolist()], dtype=str)
    model = dataclasses.replace(model, films=IdMap(films), users=IdMap(users),
                                catalog=dataclasses.replace(model.catalog, film_ids=films))
    path = Path(artifact.save(model, tmp_path / "model"))
    other = str(films[1])
    for fast_path in (True, False):
        settings = Settings(model_path=str(path), warm_cache=False, fast_path=fast_path)
        with TestClient(create_app(settings)) as client:
            for suffix in ("", "/audience", "/audience/summary", "/similar"):
                r = client.get(f"/films/{quote('multi' + chr(10) + 'line', safe='')}{suffix}")
                assert r.status_code == 200 and r.json()["film_id"] == "multi\nline", r.text
                r = client.get(f"/films/{quote(other, safe='')}%0A{suffix}")
                assert r.status_code == 404 and repr(other + "\n") in r.json()["detail"], \
                    (suffix, r.text)
            r = client.get(f"/users/{quote('u' + chr(13) + chr(10) + '1', safe='')}"
                           "/recommendations")
            assert r.status_code == 200 and r.json()["user_id"] == "u\r\n1", r.text


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_line_break_after_a_routes_fixed_part_is_no_route(model_path: Path,
                                                             fast_path: bool) -> None:
    """Starlette's ``$`` matched before a final line break: /films/X/audience%0A answered X's
    audience, /health%0A the health check."""
    settings = Settings(model_path=str(model_path), warm_cache=False, fast_path=fast_path)
    film = quote(TRICKY[0], safe="")
    with TestClient(create_app(settings)) as client:
        for path in (f"/films/{film}/audience%0A", f"/films/{film}/similar%0A",
                     f"/films/{film}/audience.csv%0A", f"/films/{film}/audience/summary%0A",
                     "/health%0A", "/metrics%0A", "/segments%0A"):
            r = client.get(path)
            assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert client.get("/health").status_code == 200
        assert client.get(f"/films/{film}/audience").status_code == 200


DOTS = [".", "..", " 42", "heat/similar", "x?y#z&film_id=1"]


@pytest.fixture(scope="module")
def dots_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return saved_with_films(tmp_path_factory, 4, DOTS, "dots", users=True)


@pytest.mark.parametrize("fast_path", [True, False])
def test_the_query_form_reaches_films_no_path_can(dots_path: Path, fast_path: bool) -> None:
    """A browser removes a path segment "." or ".." (and %2E, %2e%2e) before the request
    leaves: /films/%2E/audience arrives as /films/audience, so the Studio could not open
    films "." and "..". /film<suffix>?film_id=ID answers as /films/ID<suffix>. Oracle: the
    path form, sent as written (the test client leaves %2E alone)."""
    settings = Settings(model_path=str(dots_path), warm_cache=False, fast_path=fast_path)
    with TestClient(create_app(settings)) as client:
        for film_id in DOTS:
            by_path = f"/films/{quote(film_id, safe='').replace('.', '%2E')}"
            q = urlencode({"film_id": film_id})
            for suffix, params in (("", ""), ("/audience", "&k=3&offset=1"),
                                   ("/audience.csv", "&k=3"), ("/audience/summary", ""),
                                   ("/similar", "&k=2"), ("/distribution", "&by=region")):
                want = client.get(f"{by_path}{suffix}?{params[1:]}")
                got = client.get(f"/film{suffix}?{q}{params}")
                assert want.status_code == got.status_code == 200, (film_id, suffix, got.text)
                assert got.content == want.content, (film_id, suffix)
            assert client.get(f"/film?{q}").json()["film_id"] == film_id
        # the route's own checks: an undeclared parameter, a missing or repeated id
        assert client.get("/film/audience?film_id=.&bogus=1").status_code == 422
        assert client.get("/film/audience").status_code == 404
        assert client.get("/film?film_id=.&film_id=..").status_code == 404
        assert client.get("/film?film_id=nobody").json()["detail"] == "unknown film_id 'nobody'"
        metrics = client.get("/metrics").text
        assert 'route="/films/{film_id:path}/audience.csv",status="200"' in metrics


@pytest.mark.parametrize("fast_path", [True, False])
def test_the_query_form_reaches_users_no_path_can(dots_path: Path, fast_path: bool) -> None:
    """Users "." and ".." had no path a browser or an HTTP library sends for their
    recommendations; /user/recommendations?user_id=ID answers as
    /users/ID/recommendations. Oracle: the path form, sent as written."""
    settings = Settings(model_path=str(dots_path), warm_cache=False, fast_path=fast_path)
    with TestClient(create_app(settings)) as client:
        for user_id in DOTS:
            by_path = f"/users/{quote(user_id, safe='/').replace('.', '%2E')}/recommendations"
            want = client.get(f"{by_path}?k=4")
            got = client.get(f"/user/recommendations?{urlencode({'user_id': user_id})}&k=4")
            assert want.status_code == got.status_code == 200, (user_id, got.text)
            assert got.content == want.content and got.json()["user_id"] == user_id
        assert client.get("/user/recommendations").status_code == 404
        assert client.get("/user?user_id=.").status_code == 404  # no such route
        r = client.get("/user/recommendations?user_id=nobody")
        assert r.status_code == 404 and "nobody" in r.json()["detail"]
        # an undeclared parameter: the 422 lists user_id among those accepted (it did not)
        r = client.get("/user/recommendations?user_id=.&bogus=1")
        assert r.status_code == 422 and "accepts: user_id, k" in r.text, r.text


def test_the_query_form_needs_the_read_key(dots_path: Path) -> None:
    settings = Settings(model_path=str(dots_path), warm_cache=False, read_keys="ci:k-123456789")
    with TestClient(create_app(settings)) as client:
        assert client.get("/film/audience?film_id=.").status_code == 401
        assert client.get("/film?film_id=.").status_code == 401
        ok = client.get("/film/audience?film_id=.", headers={"X-API-Key": "k-123456789"})
        assert ok.status_code == 200 and ok.json()["film_id"] == "."
        assert client.get("/user/recommendations?user_id=.").status_code == 401


@pytest.mark.parametrize("fast_path", [True, False])
def test_the_query_form_behind_a_proxys_root_path(dots_path: Path, fast_path: bool) -> None:
    """Behind a proxy that strips a prefix (uvicorn --root-path /api), the request's path
    carries the prefix: /api/films/ID answered and /api/film?film_id=ID was 404 "Not Found"
    (the query form was looked for in the path before the router took the prefix off)."""
    settings = Settings(model_path=str(dots_path), warm_cache=False, fast_path=fast_path)
    with TestClient(create_app(settings), root_path="/api") as client:
        for film_id in DOTS:
            q = urlencode({"film_id": film_id})
            for suffix, params in (("", ""), ("/audience", "&k=3"), ("/similar", "&k=2")):
                got = client.get(f"/api/film{suffix}?{q}{params}")
                assert got.status_code == 200, (film_id, suffix, got.text)
                assert got.json()["film_id"] == film_id


@pytest.mark.parametrize("fast_path", [True, False])
def test_escapes_that_are_not_utf8_name_no_id(tmp_path_factory: pytest.TempPathFactory,
                                               fast_path: bool) -> None:
    """``%ff`` is no UTF-8 text, but the server decoded it as U+FFFD: ``/films/%ff`` answered
    as the film whose id is ``\\ufffd`` (and so did a user's recommendations and the query
    forms). It is a 422 saying so; ``\\ufffd`` itself, escaped as UTF-8, is still its film."""
    path = saved_with_films(tmp_path_factory, 3, ["\ufffd"], "replacement", users=True)
    settings = Settings(model_path=str(path), warm_cache=False, fast_path=fast_path)
    with TestClient(create_app(settings)) as client:
        assert client.get("/films/%EF%BF%BD").json()["film_id"] == "\ufffd"
        assert client.get("/users/%EF%BF%BD/recommendations").status_code == 200
        for url in ("/films/%ff", "/films/%FF/audience", "/users/%ff/recommendations",
                    "/film/audience?film_id=%ff", "/user/recommendations?user_id=%C3",
                    "/films?query=%ff"):
            r = client.get(url)
            assert r.status_code == 422, (url, r.text)
            assert "not UTF-8 text" in r.json()["detail"], url
