"""A JSON endpoint's body sent as another media type (``text/plain``, a form, none) is a 415
saying the body must be ``application/json`` and what was sent: it was a 422, as if the JSON
in it were wrong. One check for every operation with a body (``json_body.body_type_refusal``);
``POST /admin/reload``, which always read a body sent with no type or as ``curl -d``'s form as
JSON, keeps taking those. Oracle: the same bytes sent as ``application/json`` (never a 415),
the routes FastAPI gives a body, the campaign store's event count, the README's commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import save_model

from recommender.campaigns.events import count_events
from service.app import create_app
from service.auth import walk_routes
from service.settings import Settings

ADMIN = "admin-key-media-0123456789"
ROOT = Path(__file__).resolve().parents[2]
#: (Content-Type sent, as the 415 names it): none, text, curl -d's form, others not JSON
NOT_JSON = [(None, "no Content-Type"), ("text/plain", "'text/plain'"),
            ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
            ("text/plain; charset=utf-8", "'text/plain; charset=utf-8'"),
            ("multipart/form-data; boundary=x", "'multipart/form-data; boundary=x'"),
            ("text/json", "'text/json'"), ("application/xml", "'application/xml'")]
JSON_TYPES = ["application/json", "application/json; charset=utf-8", "Application/JSON",
              "application/merge-patch+json"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("media-type")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False,
                        admin_key=SecretStr(ADMIN))
    with TestClient(create_app(settings)) as c:
        yield c


def _headers(content_type: str | None) -> dict[str, str]:
    return {} if content_type is None else {"content-type": content_type}


def _url(path: str) -> str:
    return path.replace("{plan_id}", "no-such-plan").replace("{wave}", "1")


def _bodied(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every API route FastAPI reads a body for, but /admin/reload and
    /admin/forget."""
    return sorted((method, path) for path, route in walk_routes(client.app.router.routes)
                  if isinstance(route, APIRoute) and route.body_field is not None
                  for method in route.methods or ())


def test_every_json_endpoint_answers_a_body_not_sent_as_json_with_a_415(
        client: TestClient) -> None:
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    bodied = _bodied(client)
    assert ("POST", "/events") in bodied and ("POST", "/campaigns/plan") in bodied
    for method, path in bodied:
        for content_type, named in NOT_JSON:
            r = client.request(method, _url(path), content=b'{"events": []}',
                               headers=_headers(content_type))
            assert r.status_code == 415, (path, content_type, r.status_code, r.text)
            detail = r.json()["detail"]
            assert detail.startswith("the request body was not sent as JSON: send the header "
                                     "'Content-Type: application/json'"), detail
            assert (f"it was sent as {named}" if content_type
                    else "it was sent with no Content-Type") in detail, detail
            assert r.headers.get("X-Model-Version"), path  # as every answer of the API
        for content_type in JSON_TYPES:  # the same bytes as JSON: read (whatever they say)
            r = client.request(method, _url(path), content=b'{"events": []}',
                               headers=_headers(content_type))
            assert r.status_code != 415, (path, content_type, r.text)
        # no body: nothing to type; a route that needs one says it is missing
        r = client.request(method, _url(path), headers=_headers("text/plain"))
        assert r.status_code != 415, (path, r.text)
    assert count_events(store) == before


def test_a_valid_event_sent_as_text_is_refused_and_not_stored(client: TestClient) -> None:
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    body = ('{"events": [{"event_id": "media-1", "user_id": "u3", "film_id": "00004", '
            '"timestamp": 1700000000}]}')
    for content_type, _named in NOT_JSON:
        r = client.post("/events", content=body, headers=_headers(content_type))
        assert r.status_code == 415, (content_type, r.text)
        assert count_events(store) == before
    r = client.post("/events", content=body, headers=_headers("application/json"))
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert count_events(store) == before + 1


def test_admin_reload_keeps_reading_a_form_or_untyped_body_as_json(client: TestClient) -> None:
    """It read its body as JSON whatever its type: a body sent by ``curl -d`` (a form) or
    with no type still reloads; a type that is clearly not JSON is a 415 as elsewhere."""
    key = {"Authorization": f"Bearer {ADMIN}"}
    for content_type in [None, "application/x-www-form-urlencoded", *JSON_TYPES]:
        r = client.post("/admin/reload", content=b"{}", headers={**key,
                                                                 **_headers(content_type)})
        assert r.status_code == 200 and r.json()["status"] == "reloaded", (content_type,
                                                                            r.text)
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        r = client.post("/admin/reload", content=b"{}", headers={**key,
                                                                 **_headers(content_type)})
        assert r.status_code == 415, (content_type, r.text)
        assert f"it was sent as {content_type!r}" in r.json()["detail"]
    # an empty body with any type is a reload of the folder served, as it was
    r = client.post("/admin/reload", headers={**key, "content-type": "text/plain"})
    assert r.status_code == 200, r.text


def test_the_schema_lists_the_415_on_every_operation_with_a_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    with_body = set()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            listed = "415" in op["responses"]
            assert listed == ("requestBody" in op), (method, path)
            if listed:
                with_body.add((method.upper(), path))
                ref = op["responses"]["415"]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/Error"}
    # the admin routes read their body by hand, after the key
    assert set(_bodied(client)) | {("POST", "/admin/reload"), ("POST", "/admin/forget")} == \
        with_body


def _commands(text: str) -> list[str]:
    """The ``curl`` commands of ``text``: its lines that start with one (after ``$ ``), a
    trailing ``\\`` joined."""
    lines = (line.strip().removeprefix("$ ") for line in text.replace("\\\n", " ").splitlines())
    return [line for line in lines if line.startswith("curl ")]


def test_the_readme_and_demo_curl_bodies_are_sent_as_json() -> None:
    """Every ``curl`` of the README and of ``scripts/serve_demo.sh`` that sends a body names
    its type: ``curl -d`` alone sends a form, a 415."""
    sources = {"README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
               "serve_demo.sh": (ROOT / "scripts" / "serve_demo.sh").read_text(
                   encoding="utf-8")}
    demo = sources["serve_demo.sh"]
    json_h = re.search(r"json_h\s*=\s*(.+)", demo)
    seen = 0
    for name, text in sources.items():
        for command in _commands(text):
            if not re.search(r"\s(-d|--data\S*)\s", command):
                continue
            seen += 1
            sent: Any = re.search(r"-H\s+['\"]content-type:\s*application/json['\"]", command,
                                  re.IGNORECASE)
            if sent is None and "{json_h}" in command and json_h is not None:
                sent = re.search(r"content-type:\s*application/json", json_h.group(1),
                                 re.IGNORECASE)
            assert sent, (name, command)
    assert seen >= 2
