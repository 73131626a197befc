"""Every 422 the service sends lists its problems in ``errors`` beside ``detail`` (README,
"Errors"): each a ``loc`` naming where (the query parameter, the body field), a ``msg`` and a
stable short ``type``, whatever refused the request: FastAPI's validation, the unknown query
parameter check, a library's bad parameter or unknown genre (they answered ``detail`` alone),
a configured bound, a body that is not JSON text, a path that is not UTF-8 and a route's own
refusal. Each body is valid by the 422 the served ``/openapi.json`` declares for its
operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from service_fixtures import film_ids, save_model

from service.app import create_app
from service.settings import Settings

FILM = film_ids(60)[0]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("every-422")
    settings = Settings(model_path=str(save_model(root / "model")), warm_cache=False,
                        store=f"sqlite:///{root / 'store.db'}", events_max_batch=2, max_k=500)
    with TestClient(create_app(settings)) as c:
        yield c


def _event(i: int) -> dict[str, Any]:
    return {"event_id": f"e{i}", "user_id": "u0001", "film_id": FILM, "timestamp": 1_700_000_000}


#: (method, path, request keywords, the operation's path in the schema, the loc, the type)
CASES: list[tuple[str, str, dict[str, Any], str, list[Any], str]] = [
    ("GET", f"/films/{FILM}/audience", {"params": {"tier": "cor"}},
     "/films/{film_id}/audience", ["query", "tier"], "invalid_parameter"),
    ("GET", f"/films/{FILM}/audience", {"params": {"filter": "gendr=F"}},
     "/films/{film_id}/audience", ["query", "filter"], "invalid_parameter"),
    ("GET", f"/films/{FILM}/audience", {"params": {"k": 5, "tier": "broad", "segment": 99}},
     "/films/{film_id}/audience", ["query", "segment"], "invalid_parameter"),
    # an earlier parameter's value is the one quoted too: the parameter named is the one
    ("GET", f"/films/{FILM}/audience", {"params": [("tier", "cor"), ("segment", "cor")]},
     "/films/{film_id}/audience", ["query", "segment"], "invalid_parameter"),
    ("GET", "/films", {"params": {"genre": "Sci-Fy"}}, "/films", ["query", "genre"],
     "unknown_genre"),
    ("POST", "/audiences/cold-start", {"json": {"genres": ["Sci-Fy"]}}, "/audiences/cold-start",
     ["body", "genres"], "unknown_genre"),
    ("GET", f"/films/{FILM}/audience", {"params": {"k": 0}}, "/films/{film_id}/audience",
     ["query", "k"], "greater_than_equal"),
    ("GET", f"/films/{FILM}/audience", {"params": {"k": 501}}, "/films/{film_id}/audience",
     ["query", "k"], "less_than_equal"),
    ("GET", f"/films/{FILM}/audience", {"params": {"tierr": "core"}},
     "/films/{film_id}/audience", ["query", "tierr"], "unknown_query_parameter"),
    ("POST", "/audiences/cold-start",
     {"content": b'{"genres": ["\xff"]}', "headers": {"Content-Type": "application/json"}},
     "/audiences/cold-start", ["body"], "json_invalid"),
    ("GET", "/films/%ff", {}, "/films/{film_id}", ["path"], "path_not_utf8"),
    # a query string's bytes: at the query, not the path it was told at
    ("GET", f"/films/{FILM}/audience?k=%ff", {}, "/films/{film_id}/audience", ["query"],
     "query_not_utf8"),
    ("POST", "/events", {"json": {"events": [_event(i) for i in range(3)]}}, "/events",
     ["body", "events"], "too_long"),
]


@pytest.mark.parametrize(("method", "path", "sent", "operation", "loc", "kind"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[5]} {c[4]}" for c in CASES])
def test_a_422_lists_its_problem_where_it_is(client: TestClient, method: str, path: str,
                                              sent: dict[str, Any], operation: str,
                                              loc: list[Any], kind: str) -> None:
    r = client.request(method, path, **sent)
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"detail", "errors"}, body
    assert [e["loc"] for e in body["errors"]] == [loc], body
    assert [e["type"] for e in body["errors"]] == [kind], body
    assert body["errors"][0]["msg"] and body["errors"][0]["msg"] in body["detail"]
    # valid by what the served schema declares for this operation's 422
    schema = client.get("/openapi.json").json()
    declared = schema["paths"][operation][method.lower()]["responses"]["422"]
    ref = declared["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for({**ref, "components": schema["components"]})
    assert validator.is_valid(body), list(validator.iter_errors(body))


def test_the_schema_declares_errors_on_every_422(client: TestClient) -> None:
    """Every operation's 422 names one body, and it requires ``errors`` of loc, msg and type
    (the ``Error`` every other status names has ``detail`` alone)."""
    schema = client.get("/openapi.json").json()
    refs = {op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            for item in schema["paths"].values() for op in item.values()
            if isinstance(op, dict) and "responses" in op}
    assert refs == {"#/components/schemas/Invalid"}
    invalid = schema["components"]["schemas"]["Invalid"]
    assert set(invalid["required"]) == {"detail", "errors"}
    problem = schema["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"loc", "msg", "type"}
    # a body of detail alone, as the library's refusals were answered, is not valid by it
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Invalid",
                                             "components": schema["components"]})
    assert not validator.is_valid({"detail": "unknown tier 'cor'"})
    assert validator.is_valid({"detail": "unknown tier 'cor'", "errors": [
        {"loc": ["query", "tier"], "msg": "unknown tier 'cor'", "type": "invalid_parameter"}]})

