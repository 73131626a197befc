"""A JSON body that gives a key twice in one object is a 422 naming the field: Python's json
kept the last copy without a word (an event stored for another user, a batch dropped, a
budget multiplied), and nothing of such an events batch is stored."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from service_fixtures import save_model

from recommender.campaigns.events import count_events
from service.app import create_app
from service.errors import validation_error
from service.json_body import JsonRoute, duplicate_key_errors
from service.settings import Settings

JSON = {"content-type": "application/json"}


def event(i: int, users: str = '"user_id": "u5"') -> str:
    """One event's JSON text, its user_id key(s) written as given."""
    return f'{{"event_id": "dup-{i}", "film_id": "00003", "timestamp": 1700000000, {users}}}'


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("duplicate-keys")
    settings = Settings(model_path=str(save_model(root / "model")),
                        store=str(root / "store.db"), warm_cache=False,
                        admin_key=SecretStr("admin-key-0123456789"))
    with TestClient(create_app(settings)) as c:
        yield c


def test_an_event_field_given_twice_is_a_422_and_nothing_is_stored(client: TestClient) -> None:
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    twice = event(2, '"user_id": "u5", "user_id": "u6"')
    body = f'{{"events": [{event(1)}, {twice}]}}'
    r = client.post("/events", content=body, headers=JSON)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("events[1] (event_id 'dup-2'): body field 'events[1].user_id': "
                             "given 2 times in one object"), detail
    assert "nothing of this batch was stored" in detail
    assert count_events(store) == before


def test_a_batch_given_twice_is_a_422(client: TestClient) -> None:
    store = client.app.state.campaign_store  # type: ignore[attr-defined]
    before = count_events(store)
    r = client.post("/events", content=f'{{"events": [{event(3)}], "events": [{event(4)}]}}',
                    headers=JSON)
    assert r.status_code == 422, r.text
    assert "body field 'events': given 2 times" in r.json()["detail"]
    assert count_events(store) == before


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/campaigns/plan", '{"films": [{"film_id": "00003", "budget": 1, "budget": 500}]}',
     "films[0].budget"),
    ("/campaigns/plan", '{"films": [{"film_id": "00003", "budget": 1}], "cap": 1, "cap": 3}',
     "cap"),
    ("/audiences/lookalike", '{"seed_user_ids": ["u5"], "tier": "core", "tier": "broad"}',
     "tier"),
    ("/audiences/cold-start", '{"comparable_film_ids": {"00003": 1, "00003": 9}}',
     "comparable_film_ids.00003"),
    ("/recommendations", '{"film_ids": ["00003"], "k": 1, "k": 5}', "k"),
    ("/distribution/cold-start", '{"genres": ["G1"], "by": "region", "by": "city"}', "by"),
    ("/distribution/slate", '{"films": [{"film_id": "00003", "min_screens": 1, '
                            '"min_screens": 9}]}', "films[0].min_screens"),
])
def test_a_key_given_twice_is_a_422_naming_the_field(client: TestClient, path: str, body: str,
                                                      field: str) -> None:
    r = client.post(path, content=body, headers=JSON)
    assert r.status_code == 422, r.text
    assert f"body field '{field}': given 2 times in one object" in r.json()["detail"]


def test_a_next_wave_and_a_reload_refuse_a_key_given_twice(client: TestClient) -> None:
    r = client.post("/campaigns/plan-x/next", content='{"sent_waves": 1, "sent_waves": 2}',
                    headers=JSON)
    assert r.status_code == 422, r.text
    assert "body field 'sent_waves': given 2 times" in r.json()["detail"]
    r = client.post("/admin/reload", content='{"model_path": "a", "model_path": "b"}',
                    headers={"authorization": "Bearer admin-key-0123456789"})
    assert r.status_code == 422, r.text
    assert "body field 'model_path': given 2 times" in r.json()["detail"]


def test_bodies_without_repeats_are_read_as_before(client: TestClient) -> None:
    r = client.post("/events", json={"events": [{"event_id": "dup-ok", "user_id": "u5",
                                                 "film_id": "00003",
                                                 "timestamp": 1_700_000_000}]})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    # equal keys in different objects are no repeat; malformed JSON keeps its own message
    assert duplicate_key_errors('[{"a": 1}, {"a": 2}, {"b": {"a": 3}, "a": 4}]') == []
    assert duplicate_key_errors("{") == []
    r = client.post("/recommendations", content="{", headers=JSON)
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"], r.text


@pytest.mark.parametrize("content_type", [None, "text/plain",
                                          "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_says_which_header_to_send(client: TestClient,
                                                            content_type: str | None) -> None:
    # it said "should be a valid dictionary or object to extract fields from"; then a 422
    # (tests/service/test_body_media_type.py: a 415 now)
    headers = {} if content_type is None else {"content-type": content_type}
    for path in ("/events", "/audiences/lookalike"):
        r = client.post(path, content='{"seed_user_ids": ["u5"]}', headers=headers)
        assert r.status_code == 415, r.text
        assert "send the header 'Content-Type: application/json'" in r.json()["detail"]



class _K(BaseModel):
    k: int


_loose = APIRouter(route_class=JsonRoute)


@_loose.post("/k")
def _k(body: _K) -> dict[str, int]:
    return {"k": body.k}


def test_a_body_without_content_type_read_as_json_is_checked_too() -> None:
    """FastAPI reads a body sent without a Content-Type as JSON under
    ``strict_content_type=False`` (and before 0.132): the check skipped
    it, so the last copy of a key won without a word."""
    app = FastAPI(strict_content_type=False)
    app.include_router(_loose)
    app.add_exception_handler(RequestValidationError, validation_error)
    with TestClient(app) as c:
        assert c.post("/k", content='{"k": 1}').json() == {"k": 1}
        r = c.post("/k", content='{"k": 1, "k": 5}')
        assert r.status_code == 422 and "'k': given 2 times" in r.json()["detail"], r.text


def test_a_deep_body_is_walked_without_a_path_copied_at_every_node() -> None:
    """Each node's ``loc`` was its parent's tuple copied with one more key, so a walk held a
    path's worth of tuples of every length down to it (depth squared: 1.6 MB at depth 600,
    nodes x depth in time on a wide deep body); one path list is grown and cut now, and a
    tuple made for an error only. Counted as memory, never as time."""
    depth = 600
    raw = '{"d": 1, "d": 2, "x": ' + "[" * depth + '{"a": 1, "a": 2}' + "]" * depth + "}"
    tracemalloc.start()
    try:
        errors = duplicate_key_errors(raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the same errors, in document order, the deep one named by its whole path
    assert [e["loc"] for e in errors] == [("body", "d"), ("body", "x", *[0] * depth, "a")]
    assert [e["input"] for e in errors] == [[1, 2], [1, 2]]
    # the body parsed and one path: well under the 1.6 MB of the tuples of every length
    assert peak < 600_000, peak
