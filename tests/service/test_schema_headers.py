"""The schema declares the headers answers carry (``service/schema_headers.py``): each
declared header is on a real answer of its operation, and a required one is never missing.

The oracle is the answers themselves: a request per kind (a scored read, a store read, a new
plan and its replay, with and without read keys, a partner's with the store unreadable), whose
headers are compared with what the schema says of that operation's status.
``tests/service/test_schema_contract.py`` runs Schemathesis, which checks every required
header on every operation it exercises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

READ = "schema-headers-read-key-0123"
WRITE, OTHER = "schema-headers-write-key-0123", "schema-headers-other-key-0123"
PLAN = {"films": [{"film_id": "00000", "budget": 5}], "cap": 1, "holdout": 0.2, "seed": 1}
HEADERS = ("X-Model-Version", "X-Events-Seq", "Idempotent-Replayed")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("schema-headers") / "model", seed=0)


def _declared(schema: dict[str, Any], path: str, method: str, status: int
              ) -> dict[str, bool]:
    """{header: required} the schema declares on that answer."""
    response = schema["paths"][path][method]["responses"][str(status)]
    return {name: bool(h.get("required")) for name, h in response.get("headers", {}).items()
            if name in HEADERS}


def _check(schema: dict[str, Any], path: str, method: str, r: Response) -> dict[str, bool]:
    declared = _declared(schema, path, method, r.status_code)
    carried = {name for name in HEADERS if name in r.headers}
    assert carried <= set(declared), (path, r.status_code, carried, declared)
    assert {n for n, required in declared.items() if required} <= carried, (path, declared)
    return declared


def test_each_answer_carries_what_its_operation_declares(model_dir: Path,
                                                         tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), warm_cache=False,
                        store=str(tmp_path / "store.db"))
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json").json()
        scored = c.get("/films/00003/audience?k=3")
        declared = _check(schema, "/films/{film_id}/audience", "get", scored)
        assert declared == {"X-Model-Version": True, "X-Events-Seq": True}
        assert scored.headers["X-Events-Seq"] == "0"
        declared = _check(schema, "/events/status", "get", c.get("/events/status"))
        assert declared == {"X-Model-Version": True}  # the store's, no model scored it
        key = {"Idempotency-Key": "schema-headers/1"}
        first = c.post("/campaigns/plan", json=PLAN, headers=key)
        again = c.post("/campaigns/plan", json=PLAN, headers=key)
        for r in (first, again):
            assert r.status_code == 200, r.text
            declared = _check(schema, "/campaigns/plan", "post", r)
        assert declared == {"X-Model-Version": True, "X-Events-Seq": False,
                            "Idempotent-Replayed": False}
        assert "X-Events-Seq" in first.headers and "Idempotent-Replayed" not in first.headers
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "X-Events-Seq" not in again.headers
        missing = c.get("/films/no-such-film/audience")
        assert missing.status_code == 404
        _check(schema, "/films/{film_id}/audience", "get", missing)


def test_with_read_keys_nothing_is_required_of_an_answer_without_one(model_dir: Path,
                                                                      tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), warm_cache=False,
                        store=str(tmp_path / "store.db"), read_keys=SecretStr(f"a:{READ}"))
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json", headers={"X-API-Key": READ}).json()
        health = c.get("/health")  # open to all, without the model's details
        declared = _check(schema, "/health", "get", health)
        assert declared == {"X-Model-Version": False, "X-Events-Seq": False}
        assert "X-Model-Version" not in health.headers
        keyed = c.get("/health", headers={"X-API-Key": READ})
        _check(schema, "/health", "get", keyed)
        assert "X-Model-Version" in keyed.headers and "X-Events-Seq" in keyed.headers


def test_a_partner_s_answer_while_the_store_cannot_be_read(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Write keys, no read key: a partner's ``X-Events-Seq`` counts its own events in the
    store, so an answer whose count is not remembered goes without it while the store cannot
    be read (``event_views.shown_position``), and the schema required it there."""
    settings = Settings(model_path=str(model_dir), warm_cache=False, events_poll=0,
                        store=str(tmp_path / "store.db"),
                        write_keys=SecretStr(f"a:{WRITE},b:{OTHER}"))
    partner = {"X-API-Key": WRITE}
    with TestClient(create_app(settings)) as c:
        schema = c.get("/openapi.json", headers=partner).json()
        for key, event in ((WRITE, "a-1"), (OTHER, "b-1")):  # a's count at 2: not asked yet
            sent = c.post("/events", headers={"X-API-Key": key}, json={"events": [
                {"event_id": event, "user_id": "u5", "film_id": "00003",
                 "timestamp": 1_700_000_000}]})
            assert sent.status_code == 200, sent.text
        sync = c.app.state.events_sync  # type: ignore[attr-defined]
        sync.poll()
        assert sync.applied == 2
        store = c.app.state.campaign_store  # type: ignore[attr-defined]
        # the store cannot be read: every connection it opens fails
        monkeypatch.setattr(store, "engine", sa.create_engine(
            f"sqlite:///{tmp_path / 'no-such-folder' / 'store.db'}"))
        asked = [("/films/{film_id}/audience", "/films/00003/audience?k=3"),
                 ("/users/{user_id}/recommendations", "/users/u5/recommendations"),
                 ("/users/{user_id}/recommendations", "/users/u5/recommendations?k=05")]
        for path, url in asked:
            down = c.get(url, headers=partner)
            assert down.status_code == 200, down.text
            assert "X-Events-Seq" not in down.headers  # never the store's sequence instead
            declared = _check(schema, path, "get", down)
            assert declared == {"X-Model-Version": True, "X-Events-Seq": False}
            events = schema["paths"][path]["get"]["responses"]["200"]["headers"]["X-Events-Seq"]
            assert "store cannot be read" in events["description"]
        monkeypatch.undo()  # the store back: a's one event of the two, as its status says
        for path, url in asked:
            up = c.get(url, headers=partner)
            _check(schema, path, "get", up)
            assert up.headers["X-Events-Seq"] == "1"
        assert c.get("/events/status", headers=partner).json()["applied"] == 1


@pytest.mark.parametrize("kind", ["open", "write keys", "read and write keys"])
def test_x_events_seq_is_required_only_where_every_caller_gets_it(
        model_dir: Path, tmp_path: Path, kind: str) -> None:
    """Each kind of server, each kind of caller it reads for: the header is on every 2xx of a
    scored operation only without read or write keys (the store's sequence to all); with
    write keys and no read key a caller without a key gets none (it writes no events and is
    not shown the store's; it read 0), so the schema (``app.openapi()``) requires it nowhere."""
    keys = {"open": {}, "write keys": {"write_keys": SecretStr(f"a:{WRITE}")},
            "read and write keys": {"write_keys": SecretStr(f"a:{WRITE}"),
                                    "read_keys": SecretStr(f"b:{READ}"),
                                    "admin_key": SecretStr(OTHER)}}[kind]
    callers = {"open": [None], "write keys": [None, WRITE],
               "read and write keys": [READ, WRITE, OTHER]}[kind]
    settings = Settings(model_path=str(model_dir), warm_cache=False, events_poll=0,
                        store=str(tmp_path / "store.db"), **keys)
    asked = [("/films/{film_id}/audience", "/films/00003/audience?k=3"),
             ("/films/{film_id}/audience", "/films/00003/audience?k=03"),
             ("/users/{user_id}/recommendations", "/users/u5/recommendations"),
             ("/users/{user_id}/recommendations", "/users/u5/recommendations?k=05"),
             ("/health", "/health")]
    with TestClient(create_app(settings)) as c:
        schema = c.app.openapi()  # type: ignore[attr-defined]
        for path, _ in asked:
            declared = _declared(schema, path, "get", 200)
            assert declared["X-Events-Seq"] is (kind == "open"), (kind, path, declared)
        sent = c.post("/events", headers={"X-API-Key": WRITE} if keys else {}, json={
            "events": [{"event_id": "e-1", "user_id": "u5", "film_id": "00003",
                        "timestamp": 1_700_000_000}]})
        assert sent.status_code == 200, sent.text
        c.app.state.events_sync.poll()  # type: ignore[attr-defined]
        for key in callers:
            for path, url in asked:
                r = c.get(url, headers={"X-API-Key": key} if key else {})
                assert r.status_code == 200, (kind, key, url, r.text)
                _check(schema, path, "get", r)
                # the store's sequence (one event) to all on an open server and to the admin
                # key; a key's own count (a's one event; b's read key wrote none); no key on
                # a server of write keys: none
                expected = {None: "1" if kind == "open" else None, WRITE: "1",
                            READ: "0", OTHER: "1"}[key]
                assert r.headers.get("X-Events-Seq") == expected, (kind, key, url)
