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
    with TestClient(create_app(Settings(model_path=str(model), cors_origins="*"))) as client:
        r = client.get("/health", headers={"Origin": "https://anywhere.example"})
        assert r.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in r.headers  # keys travel in headers


@pytest.mark.parametrize(("given", "hint"), [
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
    assert f"RECOMMENDER_CORS_ORIGINS: {given!r} is not an origin" in said
    assert (f"(write {hint})" in said) if hint else "(write" not in said
