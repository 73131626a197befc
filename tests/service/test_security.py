"""Access control: the admin door is closed unless a key opens it, a reload stays inside the
models root and never echoes a path outside it, read keys guard every data endpoint (the fast
path included) while /health stays open without model details, and an unauthenticated caller
learns nothing but 401."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from service_fixtures import ODD_FILM_ID, save_model

from recommender.model import artifact, layout
from service.app import create_app
from service.auth import ADMIN_CLOSED, ADMIN_KEY_NEEDED, KeyRing, key_id
from service.settings import Settings

ADMIN = "admin-secret-0123456789"
READ_A, READ_B = "read-key-alpha-0001", "read-key-beta-0002"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models root holding two model folders."""
    base = tmp_path_factory.mktemp("models-root")
    save_model(base / "current", seed=0)
    save_model(base / "next", seed=1)
    return base


def client(root: Path, **kw: Any) -> TestClient:
    return TestClient(create_app(Settings(model_path=str(root / "current"), **kw)))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# ------------------------------------------------------------------ admin


def test_admin_is_closed_without_a_key(root: Path) -> None:
    with client(root) as c:
        for headers in ({}, bearer("anything"), bearer(ADMIN)):
            r = c.post("/admin/reload", headers=headers, json={"model_path": "next"})
            assert r.status_code == 403, r.text
            assert "RECOMMENDER_ADMIN_KEY" in r.json()["detail"]
        # still serving its own folder (/health names it to no caller of a keyless server)
        assert c.app.state.service.engine.path == str(root / "current")  # type: ignore[attr-defined]


@pytest.mark.parametrize("setting", ["admin_key", "api_key"])
def test_admin_key_or_the_old_api_key_opens_it(root: Path, setting: str) -> None:
    with client(root, **{setting: ADMIN}) as c:
        for headers in ({}, bearer("wrong"), {"Authorization": ADMIN}, {"X-API-Key": ADMIN}):
            r = c.post("/admin/reload", headers=headers)
            assert r.status_code == 401, (headers, r.text)
            assert r.headers["WWW-Authenticate"] == "Bearer"
        assert c.post("/admin/reload", headers=bearer(ADMIN)).status_code == 200


def test_a_short_admin_key_is_warned_of_at_start(root: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """RECOMMENDER_ADMIN_KEY=k was taken in silence, while the pseudonym key must be 16 bytes:
    a short one still opens /admin/* (a trial's, a test's), with a warning saying its length."""
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        with client(root, admin_key="k", api_key="legacy-key-012") as c:
            assert c.post("/admin/reload", headers=bearer("k")).status_code == 200
    said = [r.getMessage() for r in caplog.records if "admin key this short" in r.getMessage()]
    assert any("RECOMMENDER_ADMIN_KEY is 1 byte(s) long" in m for m in said), said
    assert any("RECOMMENDER_API_KEY is 14 byte(s) long" in m for m in said), said
    assert not any("legacy-key" in m or "'k'" in m for m in said)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recommender.service"), client(
            root, admin_key=ADMIN):
        pass
    assert not [r for r in caplog.records if "admin key this short" in r.getMessage()]


def test_a_short_read_write_or_metrics_key_is_warned_of_at_start(
        root: Path, caplog: pytest.LogCaptureFixture) -> None:
    """RECOMMENDER_READ_KEYS='crm:k' was taken in silence where a short admin key was warned
    of: every key kind is, one line each, naming the setting and the key's id (a key without
    one by its place in the list), never the key nor its hash-made id."""
    with caplog.at_level(logging.WARNING, logger="recommender.service"):
        with client(root, read_keys=f"crm:k,{READ_A},zq7", write_keys="etl:wk-2",
                    metrics_keys=f"prom:{READ_B}x,mk3") as c:
            assert c.get("/films", headers={"X-API-Key": "k"}).status_code == 200
    said = [r.getMessage() for r in caplog.records if "key this short" in r.getMessage()]
    assert sorted(said) == sorted([
        "RECOMMENDER_READ_KEYS: the key of id 'crm' is 1 byte(s) long: a read key this short "
        "can be guessed; use at least 16 random bytes (e.g. the output of 'openssl rand -hex "
        "32')",
        "RECOMMENDER_READ_KEYS: key 3 of 3 (given without an id) is 3 byte(s) long: a read key "
        "this short can be guessed; use at least 16 random bytes (e.g. the output of 'openssl "
        "rand -hex 32')",
        "RECOMMENDER_WRITE_KEYS: the key of id 'etl' is 4 byte(s) long: a write key this short "
        "can be guessed; use at least 16 random bytes (e.g. the output of 'openssl rand -hex "
        "32')",
        "RECOMMENDER_METRICS_KEYS: key 2 of 2 (given without an id) is 3 byte(s) long: a "
        "metrics key this short can be guessed; use at least 16 random bytes (e.g. the output "
        "of 'openssl rand -hex 32')"]), said
    for secret in ("zq7", "wk-2", "mk3", key_id("zq7"), key_id("mk3")):
        assert not any(secret in m for m in said), secret
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recommender.service"), client(
            root, read_keys=f"crm:{READ_A},{READ_B}"):
        pass
    assert not [r for r in caplog.records if "key this short" in r.getMessage()]


def test_both_admin_keys_work_when_both_are_set(root: Path) -> None:
    with client(root, admin_key=ADMIN, api_key="legacy-key-0123456") as c:
        for key in (ADMIN, "legacy-key-0123456"):
            assert c.post("/admin/reload", headers=bearer(key)).status_code == 200


def test_a_key_header_sent_twice_is_a_400(root: Path) -> None:
    """Two Authorization headers: the first was read (right then wrong opened the route,
    wrong then right did not); two X-API-Key headers likewise opened a data route."""
    twice = [[("Authorization", f"Bearer {first}"), ("Authorization", f"Bearer {second}")]
             for first, second in ((ADMIN, "wrong"), ("wrong", ADMIN))]
    with client(root, admin_key=ADMIN) as c:  # the admin key only: no read-key layer
        for headers in twice:
            r = c.post("/admin/reload", headers=headers)
            assert r.status_code == 400 and "more than one Authorization" in r.json()["detail"]
        assert c.post("/admin/reload", headers=bearer(ADMIN)).status_code == 200
    with client(root, admin_key=ADMIN, read_keys=READ_A) as c:
        for headers in twice:
            assert c.post("/admin/reload", headers=headers).status_code == 400
        for headers in ([("X-API-Key", READ_A), ("X-API-Key", "wrong")],
                        [("X-API-Key", "wrong"), ("X-API-Key", READ_A)],
                        [("Authorization", f"Bearer {READ_A}"), ("Authorization", "Basic x")]):
            r = c.get("/films", headers=headers)
            assert r.status_code == 400, (headers, r.text)
            assert "more than one" in r.json()["detail"] and READ_A not in r.text
        # one of each is two keys, not a repeat: the read key reads, the admin key administers
        both = {"X-API-Key": READ_A, "Authorization": f"Bearer {ADMIN}"}
        assert c.get("/films", headers=both).status_code == 200
        assert c.get("/films", headers={"X-API-Key": READ_A}).status_code == 200


# ------------------------------------------------------------------ models root


def test_model_path_needs_a_models_root(root: Path) -> None:
    with client(root, admin_key=ADMIN) as c:
        r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": str(root / "next")})
        assert r.status_code == 403
        assert "RECOMMENDER_MODELS_ROOT" in r.json()["detail"]
        assert str(root) not in r.text


def test_model_path_inside_the_root_only(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(root / "next", outside)
    link = root / "escape"
    if not link.exists():
        link.symlink_to(outside, target_is_directory=True)
    # a folder inside the root whose ``current`` link (what it serves) points outside
    sneaky = root / "sneaky"
    if not sneaky.exists():
        sneaky.mkdir()
        (sneaky / "current").symlink_to(layout.resolve(outside).resolve(),
                                        target_is_directory=True)
    with client(root, admin_key=ADMIN, models_root=str(root)) as c:
        version = c.get("/health").json()["model"]["model_version"]
        for given in (str(outside), "../" + outside.name, "escape", str(link), "/etc",
                      "next/../../" + outside.name, "sneaky"):
            r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": given})
            assert r.status_code == 403, (given, r.text)
            assert "models root" in r.json()["detail"]
            assert str(tmp_path) not in r.text and "elsewhere" not in r.text
            assert c.get("/health").json()["model"]["model_version"] == version
        # relative to the root, or absolute inside it
        for given in ("next", str(root / "next")):
            r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": given})
            assert r.status_code == 200, r.text
            assert r.json()["model_version"] == artifact.load(root / "next").version


def test_an_empty_model_path_is_a_422_saying_so(root: Path) -> None:
    """``{"model_path": ""}`` was the models root itself: a 409 "<models root>/.: not a model
    folder"."""
    with client(root, admin_key=ADMIN, models_root=str(root)) as c:
        version = c.get("/health").json()["model"]["model_version"]
        r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": ""})
        assert r.status_code == 422, r.text
        assert "model_path is empty" in r.json()["detail"], r.text
        assert c.get("/health").json()["model"]["model_version"] == version
        schema = c.get("/openapi.json").json()["paths"]["/admin/reload"]["post"]
        given = schema["requestBody"]["content"]["application/json"]["schema"]
        assert given["properties"]["model_path"]["anyOf"][0]["minLength"] == 1


def test_failed_reload_shows_paths_relative_to_the_root(root: Path) -> None:
    (root / "empty").mkdir(exist_ok=True)
    with client(root, admin_key=ADMIN, models_root=str(root)) as c:
        for given in ("missing", "empty"):
            r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": given})
            assert r.status_code == 409, r.text
            detail = r.json()["detail"]
            assert f"<models root>/{given}" in detail and str(root) not in detail, detail


# ------------------------------------------------------------------ read keys


def test_key_ring_parses_ids_and_rotation() -> None:
    ring = KeyRing.parse(f" ci:{READ_A} , {READ_B},, ")
    assert ring.match(READ_A) == "ci"
    assert ring.match(READ_B) == key_id(READ_B) and key_id(READ_B).startswith("key-")
    assert READ_B not in key_id(READ_B)
    for wrong in ("", None, READ_A[:-1], READ_A + "x", "ci", f"ci:{READ_A}"):
        assert ring.match(wrong) is None
    assert not KeyRing.parse(" , ")
    # blanks around each part of ID:KEY are not the id's (nor the key's): "ID : KEY" names ID
    spaced = KeyRing.parse(f" crm : {READ_A} ,\t{READ_B}\t")
    assert spaced.match(READ_A) == "crm" and spaced.match(READ_B) == key_id(READ_B)


@pytest.fixture(scope="module")
def locked(root: Path) -> Iterator[TestClient]:
    # wrong keys unthrottled: these tests send one to every route (test_key_throttle.py)
    with client(root, read_keys=f"ci:{READ_A},{READ_B}", admin_key=ADMIN, key_failures=0) as c:
        yield c


def data_requests(c: TestClient) -> list[tuple[str, str, dict[str, Any] | None]]:
    """A request for every operation of the schema (ids filled with a known film and user)."""
    spec = c.get("/openapi.json", headers={"X-API-Key": READ_A}).json()
    out = []
    for path, item in spec["paths"].items():
        for method in item:
            url = (path.replace("{film_id}", quote(ODD_FILM_ID, safe=""))
                   .replace("{user_id}", "u3").replace("{plan_id}", "p1"))
            out.append((method.upper(), url, {} if method == "post" else None))
    return out


def test_every_data_endpoint_needs_a_read_key(locked: TestClient) -> None:
    requests = data_requests(locked)
    assert len(requests) >= 12
    protected = 0
    for method, url, body in requests:
        if url in ("/health", "/metrics") or url.startswith("/admin/"):
            continue
        protected += 1
        for headers in ({}, {"X-API-Key": "nope"}, bearer("nope"), {"X-API-Key": ""},
                        {"Authorization": READ_A}):
            r = locked.request(method, url, headers=headers, json=body)
            assert r.status_code == 401, (method, url, headers, r.status_code)
            assert "read key" in r.json()["detail"] and READ_A not in r.text
        for headers in ({"X-API-Key": READ_A}, bearer(READ_B), {"x-api-key": READ_B}):
            r = locked.request(method, url, headers=headers, json=body)
            assert r.status_code != 401, (method, url, r.text)
    assert protected >= 9
    # the admin key reads too; unknown paths reveal nothing
    assert locked.get("/segments", headers=bearer(ADMIN)).status_code == 200
    assert locked.get("/no/such/thing").status_code == 401


def test_an_unknown_admin_path_asks_for_the_admin_key(locked: TestClient, root: Path) -> None:
    """/admin/<unknown> was told to send a read key (READ_KEY_NEEDED), which opens no admin
    path: it is refused as /admin/reload refuses a caller without the admin key, and is a 404
    to one with it."""
    for path in ("/admin/nope", "/admin/reload/x"):
        for headers in ({}, {"X-API-Key": READ_A}, bearer(READ_A), {"X-API-Key": ADMIN}):
            r = locked.get(path, headers=headers)
            known = locked.post("/admin/reload", headers=headers)
            assert (r.status_code, r.json()) == (known.status_code, known.json()) == (
                401, {"detail": ADMIN_KEY_NEEDED}), (path, headers, r.text)
            assert r.headers["WWW-Authenticate"] == "Bearer"
        assert locked.get(path, headers=bearer(ADMIN)).status_code == 404
    with client(root, read_keys=READ_A) as closed:  # no admin key: the admin routes are shut
        r, known = closed.get("/admin/nope"), closed.post("/admin/reload")
        assert (r.status_code, r.json()) == (known.status_code, known.json()) == (
            403, {"detail": ADMIN_CLOSED})


def test_health_is_open_without_model_details(locked: TestClient, root: Path) -> None:
    anonymous = locked.get("/health")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert body["status"] == "ok" and body["model"] is None
    assert str(root) not in anonymous.text
    known = locked.get("/health", headers={"X-API-Key": READ_A}).json()
    assert known["model"]["path"] is None  # the server's paths: the admin key's only
    admin = locked.get("/health", headers={"X-API-Key": ADMIN}).json()
    assert admin["model"]["path"] == str(root / "current")
    for open_path in ("/metrics", "/docs", "/redoc", "/studio/"):
        assert locked.get(open_path).status_code == 200, open_path
    # the schema names the model's genres, segments and places: it needs a key
    assert locked.get("/openapi.json").status_code == 401


def test_callers_without_a_key_are_not_told_the_model_version(locked: TestClient) -> None:
    """/health hides the served model from a caller without a key, and RECOMMENDER_METRICS_KEYS
    closes /metrics for the same reason (its version, users and films): every response, the
    401 included, still named the version in X-Model-Version, and /health's cache warm-up
    the number of films."""
    version = locked.get("/health", headers={"X-API-Key": READ_A}).headers["X-Model-Version"]
    assert version
    for path in ("/health", "/segments", "/films/00004/audience?k=3", "/studio/", "/docs",
                 "/openapi.json", "/no/such/thing"):
        r = locked.get(path)
        assert "X-Model-Version" not in r.headers, path
        assert version not in r.text, path
    r = locked.post("/admin/reload", headers=bearer(ADMIN + "x"))
    assert r.status_code == 401 and "X-Model-Version" not in r.headers
    warm = locked.get("/health").json()["audience_cache"]
    assert warm["films"] is None and warm["total"] is None and warm["state"]
    # a caller with a key is told, as before
    for headers in ({"X-API-Key": READ_A}, bearer(READ_B), bearer(ADMIN)):
        r = locked.get("/segments", headers=headers)
        assert r.headers["X-Model-Version"] == version
    assert locked.get("/health", headers=bearer(READ_B)).json()["audience_cache"]["total"] > 0


def test_unauthenticated_callers_learn_nothing_but_401(locked: TestClient) -> None:
    # neither undeclared parameter names nor body validation reach them
    r = locked.get("/segments", params={"nosuch": "1"})
    assert r.status_code == 401 and "nosuch" not in r.text
    r = locked.post("/audiences/lookalike", content=b"{not json")
    assert r.status_code == 401
    r = locked.get("/films/00004/audience", params={"k": "-5", "nosuch": "1"})
    assert r.status_code == 401 and "nosuch" not in r.text
    # with a key, the same requests get the usual answers
    key = {"X-API-Key": READ_A}
    assert locked.get("/segments", params={"nosuch": "1"}, headers=key).status_code == 422
    assert locked.post("/audiences/lookalike", content=b"{not json",
                       headers={**key, "content-type": "application/json"}).status_code == 422


def test_refusals_are_written_as_every_other_answer(locked: TestClient) -> None:
    """The key check's 401 is compact JSON, as FastAPI writes the 404 beside it (it was
    `{"detail": "..."}`, a space after the colon, unlike every other body of the API)."""
    from service.bodies import render_json

    refused = locked.get("/segments")
    unknown = locked.get("/films/nope", headers={"X-API-Key": READ_A})
    assert (refused.status_code, unknown.status_code) == (401, 404)
    for r in (refused, unknown):
        assert r.content == render_json(r.json()) and r.content.startswith(b'{"detail":"')


def test_the_fast_path_checks_the_key_too(locked: TestClient) -> None:
    url = "/films/00004/audience?k=5"
    key = {"X-API-Key": READ_A}
    first = locked.get(url, headers=key)
    assert first.status_code == 200
    # the body is now cached: the fast lane answers plain requests without routing
    for _ in range(2):
        assert locked.get(url, headers=key).content == first.content
        r = locked.get(url)
        assert r.status_code == 401 and b"user_id" not in r.content
        assert locked.get(url, headers={"X-API-Key": READ_A + "x"}).status_code == 401
    recs = "/users/u3/recommendations?k=3"
    assert locked.get(recs, headers=bearer(READ_B)).status_code == 200
    assert locked.get(recs).status_code == 401
    metrics = locked.get("/metrics").text
    assert "recommender_" in metrics


def test_keys_are_never_logged_or_echoed(root: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with client(root, read_keys=f"ci:{READ_A}", admin_key=ADMIN) as c:
        texts = [c.get("/segments", headers={"X-API-Key": READ_A}).text,
                 c.get("/segments", headers={"X-API-Key": READ_A + "-wrong"}).text,
                 c.post("/admin/reload", headers=bearer(ADMIN + "x")).text,
                 c.post("/admin/reload", headers=bearer(ADMIN)).text,
                 c.get("/openapi.json").text]
    for secret in (READ_A, ADMIN):
        assert all(secret not in t for t in texts)
        assert secret not in caplog.text


def test_schema_declares_the_keys_when_they_are_configured(locked: TestClient, root: Path
                                                           ) -> None:
    assert locked.get("/openapi.json").status_code == 401  # it names the model's vocabularies
    spec = locked.get("/openapi.json", headers={"X-API-Key": READ_A}).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ReadKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key",
                                  "description": schemes["ReadKey"]["description"]}
    films = spec["paths"]["/films/{film_id}/audience"]["get"]
    assert "401" in films["responses"] and films["security"]
    assert "security" not in spec["paths"]["/health"]["get"]
    admin = spec["paths"]["/admin/reload"]["post"]
    assert {"401", "403", "409", "422"} <= set(admin["responses"])
    assert {"401", "403"} <= set(spec["paths"]["/events"]["post"]["responses"])
    # the writes declare the write key (or the admin key), which a read key is not
    for path in ("/events", "/campaigns/plan", "/campaigns/{plan_id}/next"):
        assert spec["paths"][path]["post"]["security"] == [{"WriteKey": []},
                                                            {"WriteBearer": []}], path
    assert schemes["WriteKey"]["name"] == "X-API-Key" and "write key" in \
        schemes["WriteKey"]["description"]
    with client(root) as open_:
        spec = open_.get("/openapi.json").json()
    assert "401" not in spec["paths"]["/films/{film_id}/audience"]["get"]["responses"]
    # no key can open a closed admin door, so the schema asks for none
    assert "security" not in spec["paths"]["/admin/reload"]["post"]


def test_server_env_settings(monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
    for name, value in (("RECOMMENDER_READ_KEYS", f"env:{READ_A}"),
                        ("RECOMMENDER_ADMIN_KEY", ADMIN),
                        ("RECOMMENDER_MODELS_ROOT", str(root))):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RECOMMENDER_MODEL_PATH", str(root / "current"))
    with TestClient(create_app()) as c:
        assert c.get("/segments").status_code == 401
        assert c.get("/segments", headers={"X-API-Key": READ_A}).status_code == 200
        r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": "next"})
        assert r.status_code == 200, r.text
    assert os.environ["RECOMMENDER_READ_KEYS"].startswith("env:")


WRITE = "write-key-gamma-0003"


def test_writes_need_a_write_key_once_keys_are_set(root: Path, tmp_path: Path) -> None:
    """A read key reads but cannot write to the campaign store (events, plans, next waves);
    a write key or the admin key can; with no key configured at all, writes stay open."""
    event = {"events": [{"event_id": "e1", "user_id": "u3", "film_id": "00004",
                         "timestamp": 1_700_000_000, "weight": 1.0}]}
    plan = {"films": [{"film_id": "00004", "budget": 3}]}
    store = str(tmp_path / "store.db")
    with client(root, read_keys=f"ci:{READ_A}", write_keys=f"ingest:{WRITE}",
                admin_key=ADMIN, store=store) as c:
        for url, body in (("/events", event), ("/campaigns/plan", plan)):
            assert c.post(url, json=body).status_code == 401
            r = c.post(url, json=body, headers={"X-API-Key": READ_A})
            assert r.status_code == 403 and "write key" in r.json()["detail"], r.text
            assert c.post(url, json=body, headers={"X-API-Key": WRITE}).status_code == 200
            assert c.post(url, json=body, headers=bearer(ADMIN)).status_code == 200
        assert c.get("/campaigns", headers={"X-API-Key": READ_A}).status_code == 200
        assert c.get("/campaigns", headers={"X-API-Key": WRITE}).status_code == 200
    # write keys alone: reads stay open, writes need the key
    with client(root, write_keys=WRITE, store=str(tmp_path / "store2.db")) as c:
        assert c.get("/segments").status_code == 200
        assert c.post("/events", json=event).status_code == 401
        assert c.post("/events", json=event, headers={"X-API-Key": WRITE}).status_code == 200
    with client(root, store=str(tmp_path / "store3.db")) as c:
        assert c.post("/events", json=event).status_code == 200


METRICS = "metrics-key-delta-0004"


def test_keys_guard_the_same_routes_behind_a_proxys_root_path(root: Path, tmp_path: Path
                                                            ) -> None:
    """Behind a proxy that strips a prefix (uvicorn --root-path /api) the request's path
    carries the prefix. The key check matched that path against the routes' own: the schema
    was served without a key, a read key stored events, a read key opened /metrics, and
    /health and /docs needed a key."""
    event = {"events": [{"event_id": "e1", "user_id": "u3", "film_id": "00004",
                         "timestamp": 1_700_000_000, "weight": 1.0}]}
    settings = Settings(model_path=str(root / "current"), read_keys=f"ci:{READ_A}",
                        write_keys=f"ingest:{WRITE}", admin_key=ADMIN,
                        metrics_keys=f"prometheus:{METRICS}",
                        store=str(tmp_path / "store.db"), warm_cache=False)
    with TestClient(create_app(settings), root_path="/api") as c:
        assert c.get("/api/openapi.json").status_code == 401
        assert c.get("/api/openapi.json", headers={"X-API-Key": READ_A}).status_code == 200
        r = c.post("/api/events", json=event, headers={"X-API-Key": READ_A})
        assert r.status_code == 403 and "write key" in r.json()["detail"], r.text
        assert c.post("/api/events", json=event,
                      headers={"X-API-Key": WRITE}).status_code == 200
        assert c.get("/api/metrics", headers={"X-API-Key": READ_A}).status_code == 401
        assert c.get("/api/metrics", headers=bearer(METRICS)).status_code == 200
        health = c.get("/api/health")
        assert health.status_code == 200 and health.json()["model"] is None
        assert c.get("/api/docs").status_code == 200
        assert c.get("/api/segments").status_code == 401
        assert c.get("/api/segments", headers={"X-API-Key": READ_A}).status_code == 200




def test_metrics_need_a_metrics_key_once_one_is_set(root: Path) -> None:
    """/metrics named the served model's version, users and films to anyone, beside a
    /health that hides them from a caller without a key: RECOMMENDER_METRICS_KEYS closes it
    to all but its keys and the admin key; without it /metrics stays open (a scraper's
    default)."""
    with client(root, read_keys=f"ci:{READ_A}", write_keys=WRITE, admin_key=ADMIN,
                metrics_keys=f"prometheus:{METRICS}") as c:
        for headers in ({}, {"X-API-Key": READ_A}, {"X-API-Key": WRITE}, bearer("nope")):
            r = c.get("/metrics", headers=headers)
            assert r.status_code == 401 and "metrics key" in r.json()["detail"], headers
            assert "recommender_model_users" not in r.text and METRICS not in r.text
        for headers in (bearer(METRICS), {"X-API-Key": METRICS}, bearer(ADMIN)):
            r = c.get("/metrics", headers=headers)
            assert r.status_code == 200 and "recommender_model_users" in r.text, headers
        # a metrics key reads no data, and the schema declares the key on /metrics alone
        assert c.get("/segments", headers=bearer(METRICS)).status_code == 401
        spec = c.get("/openapi.json", headers={"X-API-Key": READ_A}).json()
        metrics = spec["paths"]["/metrics"]["get"]
        assert "401" in metrics["responses"]
        assert metrics["security"] == [{"MetricsKey": []}, {"MetricsBearer": []}]
        assert set(spec["components"]["securitySchemes"]) >= {"MetricsKey", "MetricsBearer"}
    # metrics keys alone: the data stays open, /metrics does not
    with client(root, metrics_keys=METRICS) as c:
        assert c.get("/segments").status_code == 200
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers=bearer(METRICS)).status_code == 200
        assert c.get("/openapi.json").json()["paths"]["/metrics"]["get"]["security"]
    # unset: open, as before, and the schema asks for no key there
    with client(root, read_keys=READ_A) as c:
        assert c.get("/metrics").status_code == 200
        spec = c.get("/openapi.json", headers={"X-API-Key": READ_A}).json()
        assert "security" not in spec["paths"]["/metrics"]["get"]


def test_metrics_keys_alone_leave_the_writes_open(root: Path, tmp_path: Path) -> None:
    """RECOMMENDER_METRICS_KEYS alone closes /metrics, nothing else: it closed the campaign
    store's writes too (401 to every caller but the admin, asking for a read key that did not
    exist), while the schema declared them open. With write keys alone, a write without one
    is told it needs a write key, not a read key."""
    event = {"events": [{"event_id": "e1", "user_id": "u3", "film_id": "00004",
                         "timestamp": 1_700_000_000, "weight": 1.0}]}
    plan = {"films": [{"film_id": "00004", "budget": 3}]}
    with client(root, metrics_keys=METRICS, store=str(tmp_path / "store.db")) as c:
        assert c.get("/metrics").status_code == 401
        for url, body in (("/events", event), ("/campaigns/plan", plan)):
            r = c.post(url, json=body)
            assert r.status_code == 200, (url, r.text)
            assert "401" not in c.get("/openapi.json").json()["paths"][url]["post"]["responses"]
    with client(root, write_keys=WRITE, store=str(tmp_path / "store2.db")) as c:
        r = c.post("/events", json=event)
        assert r.status_code == 401 and "write key" in r.json()["detail"], r.text
        assert "RECOMMENDER_READ_KEYS" not in r.text


def test_an_empty_metrics_key_setting_refuses_to_start(root: Path) -> None:
    with pytest.raises(ValueError, match="RECOMMENDER_METRICS_KEYS gives no key for 'prom'"):
        Settings(model_path=str(root / "current"), metrics_keys="prom:")


def test_a_model_path_no_folder_can_be_named_is_a_422_saying_what_is_wrong(root: Path) -> None:
    """5,000 characters, a NUL byte or a folder name over 255 bytes were a 403 "model_path must
    name a folder inside the models root", though the name was inside it: the first two are a
    422 saying what is wrong, the limit in characters (as the schema states them), and a name
    no folder can have is a missing folder, a 409 saying why; a folder outside the root stays
    a 403. Oracle: the limits of Linux (PATH_MAX 4,096 bytes, NAME_MAX
    255) and the words of each refusal."""
    from service.reload_body import MAX_FOLDER_NAME, MAX_MODEL_PATH

    assert MAX_MODEL_PATH * 4 <= os.pathconf("/", "PC_PATH_MAX") and \
        MAX_FOLDER_NAME == os.pathconf("/", "PC_NAME_MAX")
    with client(root, admin_key=ADMIN, models_root=str(root)) as c:
        version = c.get("/health").json()["model"]["model_version"]
        cases = {"a" * 5000: "model_path is 5,000 characters long: at most 1,000 characters "
                             "are taken",
                 "a" * (MAX_MODEL_PATH + 1): "model_path is 1,001 characters long",
                 "next\x00/x": "model_path holds a NUL byte (character 5,)"}
        for given, said in cases.items():
            r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": given})
            assert r.status_code == 422, (given[:20], r.text[:300])
            assert said.rstrip(",)") in r.json()["detail"], r.text[:300]
            assert given not in r.text
        assert c.get("/health").json()["model"]["model_version"] == version
        # inside the limits: outside the root 403, missing inside it 409
        for outside in ("../x", "../" + "c" * 300):
            r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": outside})
            assert r.status_code == 403, r.text
        for missing in ("a" * MAX_FOLDER_NAME, "/".join(["b" * 200] * 4), "sub/" + "é" * 128):
            r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": missing})
            assert r.status_code == 409, r.text[:300]
            assert r.json()["detail"].startswith(f"reload failed, still serving model {version}")
        # a name no file system holds (ENAMETOOLONG was a 403): no such folder, said so
        r = c.post("/admin/reload", headers=bearer(ADMIN), json={"model_path": "sub/" + "é" * 128})
        assert r.json()["detail"].endswith(
            "model_path names a folder or file of 256 bytes (UTF-8), and a name is at most 255 "
            "bytes (255 ASCII characters): no such model folder"), r.text
        schema = c.get("/openapi.json").json()["paths"]["/admin/reload"]["post"]
        given_schema = schema["requestBody"]["content"]["application/json"]["schema"]
        text = given_schema["properties"]["model_path"]["anyOf"][0]
        assert (text["maxLength"], text["pattern"]) == (MAX_MODEL_PATH, "^[^\\u0000]*$")
