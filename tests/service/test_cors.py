"""Other sites' pages (``service/cors.py``): off by default, as before; the origins
``RECOMMENDER_CORS_ORIGINS`` names get a preflight answered before the key check and
``Access-Control-Allow-Origin`` on every answer, refusals included; an origin no browser
sends is refused at start. Oracle: the Fetch standard's CORS headers, read as a browser reads
them (an answer's origin header equal to the page's origin, or ``*``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

PAGE = "https://dash.example.com"
KEY = "read-key-0123456789abcdef"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cors") / "model")


def _film(client: TestClient) -> str:
    return str(client.get("/films", params={"limit": 1},
                          headers={"X-API-Key": KEY}).json()["films"][0]["film_id"])


def _preflight(client: TestClient, path: str, origin: str = PAGE,
               method: str = "GET") -> tuple[int, dict[str, str]]:
    r = client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                      "Access-Control-Request-Headers": "x-api-key"})
    return r.status_code, {k.lower(): v for k, v in r.headers.items()}


def test_off_by_default_no_page_of_another_origin_reads_an_answer(model: Path) -> None:
    settings = Settings(model_path=str(model))
    with TestClient(create_app(settings)) as client:
        status, headers = _preflight(client, "/health")
        assert status == 405 and "access-control-allow-origin" not in headers
        r = client.get("/health", headers={"Origin": PAGE})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_a_named_origin_reads_answers_and_refusals(model: Path) -> None:
    settings = Settings(model_path=str(model), cors_origins=f"{PAGE}, http://localhost:3000",
                        read_keys=f"dash:{KEY}")
    with TestClient(create_app(settings)) as client:
        film = _film(client)
        path = f"/films/{film}/audience"
        # the preflight carries no key (browsers never send one): answered, not a 401
        status, headers = _preflight(client, path)
        assert status == 200, headers
        assert headers["access-control-allow-origin"] == PAGE
        assert "x-api-key" in headers["access-control-allow-headers"].lower()
        assert "GET" in headers["access-control-allow-methods"]
        assert _preflight(client, "/campaigns/plan", method="POST")[0] == 200
        # the page reads the answer, and the served model's version
        r = client.get(path, headers={"Origin": PAGE, "X-API-Key": KEY})
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == PAGE
        exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"]
                   .split(",")}
        assert "x-model-version" in exposed and r.headers["x-model-version"]
        # a refusal says why to that page too
        r = client.get(path, headers={"Origin": PAGE})
        assert r.status_code == 401 and r.headers["access-control-allow-origin"] == PAGE
        # the other origin named, as a browser writes it
        r = client.get(path, headers={"Origin": "http://localhost:3000", "X-API-Key": KEY})
        assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
        # any other origin: no answer it may read
        for other in ("https://evil.example.com", "https://dash.example.com:8443",
                      "http://dash.example.com"):
            assert _preflight(client, path, origin=other)[0] != 200
            r = client.get(path, headers={"Origin": other, "X-API-Key": KEY})
            assert "access-control-allow-origin" not in r.headers, other
            assert "access-control-allow-credentials" not in r.headers


def test_any_origin(model: Path) -> None:
    settings = Settings(model_path=str(model), cors_origins="*", read_keys=f"dash:{KEY}")
    with TestClient(create_app(settings)) as client:
        r = client.get("/health", headers={"Origin": "https://anywhere.example"})
        assert r.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in r.headers  # keys travel in headers


def test_any_origin_without_keys_stops_the_start() -> None:
    """Any site's page could read the audiences and post events through its visitors'
    browsers, a loopback server's too."""
    with pytest.raises(ValidationError, match=r"RECOMMENDER_CORS_ORIGINS=\* lets any web "
                                              r"site's page read"):
        Settings(cors_origins="*")
    Settings(cors_origins="*", write_keys=f"w:{KEY}")  # a key: each call needs one
    Settings(cors_origins=PAGE)  # named origins: the operator's own trust


def test_every_header_of_the_service_is_readable_by_the_page(model: Path,
                                                              tmp_path: Path) -> None:
    """The oracle: the headers the answers carry. Each of the service's own (X-..., but the
    security headers, which a page has no use for) and a replayed plan's must be exposed:
    X-Events-Seq, Idempotent-Replayed and others were not."""
    settings = Settings(model_path=str(model), cors_origins=PAGE,
                        store=str(tmp_path / "store.db"))
    with TestClient(create_app(settings)) as client:
        film = _film(client)
        answers = [client.get(f"/films/{film}/audience", headers={"Origin": PAGE}),
                   client.get(f"/films/{film}/audience.csv", headers={"Origin": PAGE})]
        body = {"films": [{"film_id": film, "budget": 5}], "seed": 1}
        for _ in range(2):  # the second: a replay
            answers.append(client.post("/campaigns/plan", json=body,
                                       headers={"Origin": PAGE, "Idempotency-Key": "k1"}))
        carried: set[str] = set()
        for r in answers:
            assert r.status_code < 300, r.text
            exposed = {h.strip().lower()
                       for h in r.headers["access-control-expose-headers"].split(",")}
            own = {h.lower() for h in r.headers if h.lower().startswith("x-")
                   or h.lower() == "idempotent-replayed"} - {"x-content-type-options",
                                                              "x-frame-options"}
            assert own <= exposed, own - exposed
            carried |= own
        assert {"x-model-version", "idempotent-replayed"} <= carried


@pytest.mark.parametrize(("given", "hint"), [
    ("https://dash.example.com:443", None),
    ("http://localhost:80", None),
    ("https://dash.example.com/", "'https://dash.example.com'"),
    ("https://dash.example.com/app", "'https://dash.example.com'"),
    ("dash.example.com", None),
    ("ftp://dash.example.com", None),
    ("https://dash.example.com:99999", None),
    ("https://user@dash.example.com", None),
])
def test_an_origin_no_browser_sends_stops_the_start(given: str, hint: str | None) -> None:
    with pytest.raises(ValidationError) as e:
        Settings(cors_origins=f"http://localhost:3000,{given}")
    said = str(e.value)
    if given.endswith((":443", ":80")):  # a browser leaves the scheme's own port out
        assert f"RECOMMENDER_CORS_ORIGINS: {given!r} names its scheme's default port" in said
        assert f"write {given.rsplit(':', 1)[0]}" in said
        return
    assert f"RECOMMENDER_CORS_ORIGINS: {given!r} is not an origin" in said
    assert (f"(write {hint})" in said) if hint else "(write" not in said


def test_every_method_a_route_serves_passes_the_preflight(model: Path) -> None:
    """A page of a named origin may call every route: the preflight of each method the app's
    routes serve (read from the published schema, not a list of the module's) is answered;
    DELETE (a wave's send taken back) was refused (400) and the page could not call it."""
    settings = Settings(model_path=str(model), cors_origins=PAGE, read_keys=f"dash:{KEY}")
    app = create_app(settings)
    served = {m.upper() for ops in app.openapi()["paths"].values() for m in ops} | {"HEAD"}
    assert {"GET", "POST", "DELETE"} <= served
    with TestClient(app) as client:
        for method in sorted(served):
            status, headers = _preflight(client, "/campaigns/plan-x/waves/1/sent", method=method)
            assert status == 200, (method, headers)
            assert headers["access-control-allow-origin"] == PAGE
            assert method in headers["access-control-allow-methods"].split(", "), headers
        # the DELETE itself: its refusal (no write key) readable by the page
        r = client.delete("/campaigns/plan-x/waves/1/sent", headers={"Origin": PAGE})
        assert r.headers["access-control-allow-origin"] == PAGE, r.status_code


def test_a_refused_preflight_is_a_json_error_with_the_model_version(model: Path) -> None:
    """A preflight of an origin not named, or asking a method or header not allowed, is a
    400 in the service's error shape (``{"detail"}``, JSON) saying what was refused, with the
    served model's version as every answer of a server without read keys: Starlette answered
    text/plain "Disallowed CORS origin" without the version."""
    settings = Settings(model_path=str(model), cors_origins=PAGE)
    with TestClient(create_app(settings)) as client:
        version = client.get("/health").json()["model"]["model_version"]
        cases = [({"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
                  ["origin 'http://evil.example'"]),
                 ({"Origin": PAGE, "Access-Control-Request-Method": "PUT"}, ["method 'PUT'"]),
                 ({"Origin": PAGE, "Access-Control-Request-Method": "GET",
                   "Access-Control-Request-Headers": "x-api-key, X-Evil"}, ["'X-Evil'"]),
                 ({"Origin": "http://evil.example", "Access-Control-Request-Method": "PATCH"},
                  ["origin 'http://evil.example'", "method 'PATCH'"])]
        for sent, named in cases:
            r = client.options("/health", headers=sent)
            assert r.status_code == 400, (sent, r.text)
            assert r.headers["content-type"] == "application/json", r.headers
            assert r.headers["x-model-version"] == version
            body = r.json()
            assert set(body) == {"detail"} and body["detail"].startswith(
                "CORS preflight refused"), body
            assert all(n in body["detail"] for n in named), body
            assert "'x-api-key'" not in body["detail"]  # an allowed one is not refused
            if sent["Origin"] != PAGE:  # no page of another origin reads it
                assert "access-control-allow-origin" not in r.headers
        # an allowed preflight is still answered, the version on it too
        r = client.options("/health", headers={"Origin": PAGE,
                                               "Access-Control-Request-Method": "GET"})
        assert r.status_code == 200 and r.headers["x-model-version"] == version
