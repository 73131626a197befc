"""Query parameters a route does not declare are a 422 naming them (issue #19, "fail loudly"):
on every endpoint, enumerated from the app's routes so a new one is covered automatically; in
the service's 422 body shape; in the fast lane as in the route; while valid requests, repeated
list parameters included, answer exactly as an app without the check does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import AliasChoices, BaseModel
from service_fixtures import save_model

import service.app
from service.app import create_app
from service.deps import declared_query_names, reject_unknown_query
from service.errors import install as install_errors
from service.settings import Settings

KEY = "s3cret-key"
# a valid value for each path parameter the routes use; a route with a new one fails below
PATH_VALUES = {"film_id": "00003", "user_id": "u3", "plan_id": "plan-none", "wave": "1"}
# routes whose valid-looking path still names nothing here (no plan is stored): 404, and the
# unknown parameter is refused before the plan is looked up
NOT_STORED = "{plan_id}"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("unknown-params") / "model")


def _app(path: Path, fast: bool = True) -> Any:
    return create_app(Settings(model_path=str(path), api_key=KEY, fast_path=fast,
                               warm_cache=False))


@pytest.fixture(scope="module")
def clients(model_dir: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """(fast lane on, fast lane off)"""
    with TestClient(_app(model_dir, True)) as fast, TestClient(_app(model_dir, False)) as slow:
        yield fast, slow


@pytest.fixture(scope="module")
def unchecked(model_dir: Path) -> Iterator[TestClient]:
    """The app as it was before the check: the app-wide dependency replaced by a no-op."""
    async def nothing() -> None:
        return None

    patch = pytest.MonkeyPatch()
    patch.setattr(service.app, "reject_unknown_query", nothing)
    try:
        app = _app(model_dir, False)
    finally:
        patch.undo()
    with TestClient(app) as c:
        yield c


def api_routes() -> list[tuple[str, str, APIRoute]]:
    """(method, concrete url, route) for every API route of the app, each path parameter
    filled with a valid value."""
    app = create_app(Settings(model_path="unused"))
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue  # /docs, /redoc, /openapi.json: FastAPI's own pages, not the API; a
            # private path (service/raw_ids.py) is reached only through a public one
        path = ctx.path_format or route.path_format
        names = re.findall(r"{(\w+)}", path)
        missing = [n for n in names if n not in PATH_VALUES]
        assert not missing, f"add a valid value for {missing} ({path}) to PATH_VALUES"
        url = path.format(**PATH_VALUES)
        out += [(method, url, route) for method in sorted(route.methods or ())]
    return out


ROUTES = api_routes()
GETS = [(url, route) for method, url, route in ROUTES if method == "GET"]


def test_the_routes_are_enumerated() -> None:
    urls = {url for url, _ in GETS}
    assert {"/health", "/segments", "/metrics", "/films", "/films/00003",
            "/films/00003/audience", "/films/00003/audience.csv",
            "/films/00003/audience/summary", "/films/00003/similar",
            "/users/u3/recommendations"} <= urls
    assert {url for method, url, _ in ROUTES if method == "POST"} >= {
        "/audiences/lookalike", "/audiences/cold-start", "/admin/reload", "/campaigns/plan",
        "/campaigns/plan-none/next", "/events", "/distribution/cold-start",
        "/distribution/slate"}


def _check_422(r: Any, names: list[str], accepted: tuple[str, ...]) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"detail", "errors"}
    detail = body["detail"]
    for name in names:
        assert f"unknown query parameter {name!r}" in detail, detail
    if accepted:
        assert f"(this endpoint accepts: {', '.join(accepted)})" in detail, detail
    else:
        assert "(this endpoint accepts no query parameters)" in detail, detail
    assert [e["loc"] for e in body["errors"]] == [["query", n] for n in names]
    assert {e["type"] for e in body["errors"]} == {"unknown_query_parameter"}
    assert r.headers.get("X-Model-Version")


@pytest.mark.parametrize("url, route", GETS, ids=[url for url, _ in GETS])
def test_every_get_endpoint_rejects_an_unknown_parameter(
        clients: tuple[TestClient, TestClient], url: str, route: APIRoute) -> None:
    fast, slow = clients
    accepted = declared_query_names(route.dependant)
    ok = 404 if NOT_STORED in route.path else 200
    for client in (fast, slow):
        assert client.get(url).status_code == ok
        _check_422(client.get(url, params={"bogus": "1"}), ["bogus"], accepted)
        _check_422(client.get(url + "?bogus"), ["bogus"], accepted)  # no value at all
        # a known parameter with a valid value does not rescue an unknown one
        known = {"k": "2"} if "k" in accepted else {}
        _check_422(client.get(url, params={**known, "zz": "1", "bogus": "2"}),
                   ["zz", "bogus"], accepted)


@pytest.mark.parametrize("method, url, body, accepted", [
    ("POST", "/audiences/lookalike", {"seed_user_ids": ["u2"]}, ()),
    ("POST", "/audiences/cold-start", {"genres": ["G1"]}, ("pseudonymize",)),
])
def test_post_endpoints_reject_an_unknown_parameter(clients: tuple[TestClient, TestClient],
                                                    method: str, url: str,
                                                    body: dict[str, Any],
                                                    accepted: tuple[str, ...]) -> None:
    fast, _ = clients
    assert fast.request(method, url, json=body).status_code == 200
    _check_422(fast.request(method, url, json=body, params={"k": "3"}), ["k"], accepted)


def test_admin_reload_rejects_an_unknown_parameter(model_dir: Path) -> None:
    with TestClient(_app(model_dir)) as client:
        auth = {"Authorization": f"Bearer {KEY}"}
        _check_422(client.post("/admin/reload", headers=auth, params={"path": "x"}),
                   ["path"], ())
        assert client.post("/admin/reload", headers=auth).status_code == 200
        # a caller without the admin key is told 401 whatever the query (a 422 named the
        # parameters the endpoint accepts to anyone)
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = client.post("/admin/reload", headers=headers, params={"path": "x"})
            assert r.status_code == 401 and "path" not in r.text, r.text
    # behind a proxy that strips a prefix (uvicorn --root-path), the URL's path carries it
    with TestClient(_app(model_dir), root_path="/api") as client:
        r = client.post("/api/admin/reload", params={"path": "x"})
        assert r.status_code == 401 and "path" not in r.text, r.text
    closed = Settings(model_path=str(model_dir), warm_cache=False)
    with TestClient(create_app(closed)) as client:
        r = client.post("/admin/reload", params={"path": "x"})
        assert r.status_code == 403, r.text


@pytest.mark.parametrize("url, params, unknown", [
    ("/films/00003/audience", {"region": "North"}, "region"),
    ("/films/00003/audience", {"tiers": "extended"}, "tiers"),  # tier= is declared now
    ("/films/00003/audience", {"limit": "3"}, "limit"),
    ("/films/00003/audience", {"k": "3", "limit": "3"}, "limit"),
    ("/films/00003/audience", {"K": "3"}, "K"),  # names are case-sensitive
    ("/films/00003/audience.csv", {"region": "North"}, "region"),
    ("/films/00003/audience/summary", {"filter": "region=North"}, "filter"),
    ("/films/00003/audience/summary", {"segment": "1"}, "segment"),
    ("/films/00003/similar", {"offset": "1"}, "offset"),
    ("/users/u3/recommendations", {"offset": "1"}, "offset"),
    ("/films", {"k": "3"}, "k"),
])
def test_the_issue_examples_are_422(clients: tuple[TestClient, TestClient],
                                    unchecked: TestClient, url: str,
                                    params: dict[str, str], unknown: str) -> None:
    fast, slow = clients
    assert unchecked.get(url, params=params).status_code == 200  # silently ignored before
    a, b = fast.get(url, params=params), slow.get(url, params=params)
    assert a.status_code == 422, a.text
    assert f"unknown query parameter {unknown!r} (this endpoint accepts: " in a.json()["detail"]
    assert (a.status_code, a.content, a.headers) == (b.status_code, b.content, b.headers)


def test_the_accepted_list_names_the_audience_parameters(
        clients: tuple[TestClient, TestClient]) -> None:
    r = clients[0].get("/films/00003/audience", params={"limit": "3"})
    assert r.json()["detail"] == ("unknown query parameter 'limit' (this endpoint accepts: "
                                  "k, offset, exclude_seen, segment, filter, "
                                  "pseudonymize, tier)")
    r = clients[0].get("/films/00003/audience/summary", params={"filter": "region=R0"})
    assert r.json()["detail"] == ("unknown query parameter 'filter' (this endpoint accepts: "
                                  "exclude_seen, tier)")
    r = clients[0].get("/health", params={"verbose": "1"})
    assert r.json()["detail"] == ("unknown query parameter 'verbose' (this endpoint accepts "
                                  "no query parameters)")


VALID = [
    "/health", "/segments", "/films", "/films?query=e&limit=3&offset=1&genre=G1",
    "/films/00003", "/films/00003/audience", "/films/00003/audience?k=5&offset=2",
    "/films/00003/audience?k=5&exclude_seen=false", "/films/00003/audience?%6B=4",
    "/films/00003/audience?k=4&segment=1",
    "/films/00003/audience?k=6&filter=region%3DR0&filter=region%3DR1",  # repeated list param
    "/films/00003/audience?k=6&filter=region%3DR0&filter=age_band%3D18-24",
    "/films/00003/audience.csv?k=3&filter=region%3DR0&filter=region%3DR2",
    "/films/00003/audience/summary", "/films/00003/audience/summary?exclude_seen=false",
    "/films/00003/similar?k=3", "/users/u3/recommendations?k=4&exclude_seen=false",
    "/users/u3/recommendations",
]


@pytest.mark.parametrize("url", VALID)
def test_valid_requests_answer_as_before(clients: tuple[TestClient, TestClient],
                                         unchecked: TestClient, url: str) -> None:
    fast, slow = clients
    want = unchecked.get(url)
    assert want.status_code == 200, want.text
    for client in (fast, slow, fast):  # the fast lane twice: a miss, then a body-cache hit
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        if url == "/health":  # the age of each app's store probe is a clock's reading
            assert _unclocked(r.json()) == _unclocked(want.json()), url
            assert _sized(r.headers) == _sized(want.headers), url
            continue
        assert r.content == want.content, url
        assert r.headers == want.headers, url


def _unclocked(health: dict[str, Any]) -> dict[str, Any]:
    checked = health.pop("campaign_store_checked_s")
    assert checked is None or checked >= 0
    return health


def _sized(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "content-length"}


@pytest.mark.parametrize("url", [
    "/films/00003/audience?bogus=1", "/films/00003/audience?k=5&utm_source=mail",
    "/films/00003/audience?k=5&limit=3", "/films/00003/audience?region=North",
    "/films/00003/audience?=1", "/films/00003/audience?k=5&k%20=5",
    "/films/00003/audience?exclude_seen=true&offset=0&k=1&Offset=1",
    "/users/u3/recommendations?bogus=1", "/users/u3/recommendations?k=3&offset=1",
    "/films/ghost/audience?bogus=1",  # the unknown parameter is reported before the film
])
def test_the_fast_lane_leaves_unknown_parameters_to_the_route(
        clients: tuple[TestClient, TestClient], url: str) -> None:
    fast, slow = clients
    for _ in range(2):
        a, b = fast.get(url), slow.get(url)
        assert a.status_code == 422, (url, a.text)
        assert (a.content, a.headers) == (b.content, b.headers), url


def test_the_openapi_schema_does_not_show_the_check(unchecked: TestClient,
                                                    clients: tuple[TestClient, TestClient]
                                                    ) -> None:
    want = unchecked.get("/openapi.json").content
    assert clients[0].get("/openapi.json").content == want
    assert clients[1].get("/openapi.json").content == want


class _Page(BaseModel):
    size: int = 1
    cursor: str = ""


async def _traced(trace: Annotated[str, Query()] = "") -> str:
    return trace


async def _tenant(tenant: Annotated[str, Query()] = "") -> None:
    return None


async def _region(region: Annotated[str, Query()] = "") -> None:
    return None


def test_the_names_are_those_fastapi_reads() -> None:
    """Aliases, validation aliases, sub-dependencies, router- and include-level dependencies and
    query parameter models, on a small app built like the service's."""
    router = APIRouter(dependencies=[Depends(_tenant)])

    @router.get("/a")
    async def a(t: Annotated[str, Depends(_traced)], x: Annotated[str, Query(alias="x-y")] = "",
                z: Annotated[str, Query(validation_alias=AliasChoices("zed", "zz"))] = "",
                many: Annotated[list[str], Query()] = []) -> dict[str, str]:  # noqa: B006
        return {}

    @router.get("/b")
    async def b(page: Annotated[_Page, Query()]) -> dict[str, str]:
        return {}

    app = FastAPI(dependencies=[Depends(reject_unknown_query)])
    install_errors(app)
    app.include_router(router, dependencies=[Depends(_region)])
    client = TestClient(app)
    ok = client.get("/a?x-y=1&zed=2&zz=3&trace=4&tenant=5&region=6&many=7&many=8")
    assert ok.status_code == 200, ok.text
    assert client.get("/b?size=2&cursor=c&tenant=1&region=2").status_code == 200
    for url, unknown in (("/a?x=1", "x"), ("/a?z=1", "z"), ("/a?t=1", "t"), ("/b?page=1", "page")):
        r = client.get(url)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["errors"][0]["loc"] == ["query", unknown]
    detail = client.get("/b?page=1").json()["detail"]
    assert detail.startswith("unknown query parameter 'page' (this endpoint accepts: ")
    assert all(n in detail for n in ("size", "cursor", "tenant", "region")), detail


@pytest.mark.parametrize("url, route", GETS, ids=[url for url, _ in GETS])
def test_a_single_value_parameter_given_twice_is_refused(
        clients: tuple[TestClient, TestClient], url: str, route: APIRoute) -> None:
    """FastAPI keeps the last of a repeated parameter: ``pseudonymize=true&pseudonymize=false``
    sent raw ids, ``tier=core&tier=broad`` the broad ring. A parameter that takes one value,
    given twice, is a 422 naming it; those that take several (filter, with) still combine."""
    from service.deps import repeatable_query_names

    declared = declared_query_names(route.dependant)
    several = repeatable_query_names(route.dependant)
    single = [n for n in declared if n not in several]
    if not single:
        return
    name = "k" if "k" in single else single[0]
    for client in clients:  # the fast lane, then the routes
        r = client.get(f"{url}?{name}=1&{name}=2")
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["type"] == "repeated_query_parameter"
        assert f"query parameter {name!r}: takes one value and was given 2" in \
            r.json()["detail"], r.json()["detail"]
    assert "filter" not in declared or "filter" in several


def test_list_parameters_still_combine(clients: tuple[TestClient, TestClient]) -> None:
    fast, slow = clients
    for client in (fast, slow):
        r = client.get("/films/00003/audience.csv", params=[("k", "2"), ("with", "title"),
                                                            ("with", "region")])
        assert r.status_code == 200 and r.text.splitlines()[0].endswith("title,region")


def test_a_422_lists_at_most_20_unknown_parameters(
        clients: tuple[TestClient, TestClient]) -> None:
    # 8,000 unknown names (a 55 KB query) were answered with a 1 MB body, each listed
    for client in clients:
        query = "&".join(f"x{i}=1" for i in range(8000))
        r = client.get(f"/segments?{query}")
        assert r.status_code == 422
        assert len(r.content) < 20_000, len(r.content)
        detail = r.json()["detail"]
        assert "unknown query parameter 'x19'" in detail and "'x20'" not in detail
        assert "and 7,980 more unknown query parameters not listed" in detail
        # a single-valued parameter given 5,000 times echoed every value
        r = client.get("/films?" + "&".join(["limit=1"] * 5000))
        assert r.status_code == 422 and len(r.content) < 20_000, len(r.content)
        assert "was given 5000" in r.json()["detail"]


def test_pages_ignore_query_parameters_the_api_still_refuses_them(
        clients: tuple[TestClient, TestClient]) -> None:
    """A newsletter's link to Audience Studio carries tracking parameters: the pages (the
    Studio's HTML and files, ``/``, the docs) answer as without them, as a web server does;
    they were a JSON 422 naming ``utm_source``, so the link opened no Studio. The oracle: each
    page's answer without a query, byte for byte. An API route still refuses the same name."""
    for client in clients:
        for path in ("/studio/", "/docs", "/redoc", "/studio/assets/js/app.js",
                     "/static/vendor/swagger-ui/swagger-ui.css"):
            plain = client.get(path)
            assert plain.status_code == 200, (path, plain.text[:200])
            r = client.get(f"{path}?utm_source=newsletter&utm_medium=email&x=1&x=2")
            assert r.status_code == 200, (path, r.text[:200])
            assert r.headers["content-type"] == plain.headers["content-type"]
            assert r.content == plain.content, path
        assert client.get("/studio/?utm_source=x").text.lstrip().lower().startswith(
            "<!doctype html>")
        for path in ("/", "/studio"):  # the redirects to the Studio
            r = client.get(f"{path}?utm_source=newsletter", follow_redirects=False)
            assert r.status_code == 307 and r.headers["location"] == "/studio/", path
        r = client.get("/health", params={"utm_source": "newsletter"})
        _check_422(r, ["utm_source"], ())
