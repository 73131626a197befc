"""Schema-driven fuzzing: requests built from the app's own ``/openapi.json`` (every path,
query parameter and body field it declares), with values that are sometimes valid (real ids,
in-range numbers) and sometimes hostile (any unicode, slashes, huge or negative numbers,
NaN, wrong types, junk bodies). No request may produce a 500, and every error is a JSON
``{"detail": ...}`` a person can read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_fixtures import GENRES, ODD_FILM_ID, ODD_USER_ID, save_model

from service.app import create_app
from service.settings import Settings

KEY = "fuzz-key"

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
known_films = st.sampled_from(["00000", "00004", "00011", ODD_FILM_ID, "59", ""])
known_users = st.sampled_from(["u0", "u5", ODD_USER_ID, "nobody"])
genres = st.sampled_from([*GENRES, "g1", "Western"])
numbers = st.one_of(st.integers(-3, 300), st.integers(), st.sampled_from([0, -1, 2**31, 2**63]))
floats = st.floats(allow_nan=True, allow_infinity=True)
scalars = st.one_of(text, numbers, floats, st.booleans(), st.none())
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=10)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = save_model(tmp_path_factory.mktemp("fuzz") / "model", seed=2)
    with TestClient(create_app(Settings(model_path=str(path), api_key=KEY, max_k=200))) as c:
        yield c


@pytest.fixture(scope="module")
def operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    ops = [(path, method, op) for path, item in spec["paths"].items()
           for method, op in item.items()]
    assert len(ops) >= 13
    return ops


def value_for(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value for a parameter or field: often a meaningful one, sometimes anything."""
    kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
    good: list[st.SearchStrategy[Any]] = []
    if "film" in name:
        good.append(known_films if "array" not in kinds else st.lists(known_films, max_size=4))
        if "object" in kinds:
            good.append(st.dictionaries(known_films, st.one_of(floats, numbers), max_size=3))
    elif "user" in name:
        good.append(known_users if "array" not in kinds else st.lists(known_users, max_size=4))
    elif name == "genres":
        good.append(st.lists(genres, max_size=3))
    elif name in ("genre", "query"):
        good.append(st.one_of(genres, text, st.sampled_from(["matrix", "Film 1", "é"])))
    elif name == "filter":
        good.append(st.lists(st.one_of(st.sampled_from(["region=R1", "gender=F", "region",
                                                        "=x", "age_band=25-34"]), text),
                             max_size=3))
    if kinds & {"integer", "number"}:
        good.append(numbers)
    if "boolean" in kinds:
        good.append(st.sampled_from([True, False, "true", "0", "yes", "maybe"]))
    if "string" in kinds:
        good.append(text)
    if "array" in kinds:
        good.append(st.lists(scalars, max_size=4))
    return st.one_of(*good, json_values) if good else json_values


def query_string(v: Any) -> Any:
    if isinstance(v, list):
        return [query_string(x) for x in v if not isinstance(x, list | dict)]
    if isinstance(v, bool):
        return str(v).lower()
    return "" if v is None or isinstance(v, dict) else str(v)


@st.composite
def requests(draw: st.DrawFn, ops: list[tuple[str, str, dict[str, Any]]]
             ) -> tuple[str, str, dict[str, Any], dict[str, str], bytes | None]:
    path, method, op = draw(st.sampled_from(ops))
    url = path
    params: dict[str, Any] = {}
    for p in op.get("parameters", []):
        name = p["name"]
        if p["in"] == "path":
            value = str(draw(value_for(name, p.get("schema", {}))))
            safe = draw(st.sampled_from(["", "/"]))
            url = url.replace("{" + name + "}", quote(value, safe=safe) or "%20")
        elif p["in"] == "query" and draw(st.booleans()):
            params[name] = query_string(draw(value_for(name, p.get("schema", {}))))
    headers = draw(st.sampled_from([{}, {"Authorization": f"Bearer {KEY}"},
                                    {"Authorization": "Bearer nope"}]))
    body: bytes | None = None
    if method == "post":
        schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                  .get("schema", {}))
        props = schema.get("properties", {})
        if "$ref" in schema:
            props = draw_props_from_ref(schema["$ref"])
        choice = draw(st.integers(0, 4))
        if choice <= 2 and props:
            obj = {name: draw(value_for(name, sub)) for name, sub in props.items()
                   if draw(st.booleans())}
            if choice == 2:
                obj[draw(text)] = draw(json_values)
            body = json.dumps(obj, allow_nan=True).encode()
        elif choice == 3:
            body = json.dumps(draw(json_values), allow_nan=True).encode()
        else:
            body = draw(st.binary(max_size=40))
        headers = {**headers, "content-type": draw(st.sampled_from(
            ["application/json", "application/json", "text/plain"]))}
    return method, url, params, headers, body


_SCHEMAS: dict[str, Any] = {}


def draw_props_from_ref(ref: str) -> dict[str, Any]:
    props: dict[str, Any] = _SCHEMAS[ref.rsplit("/", 1)[-1]].get("properties", {})
    return props


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_request_gives_a_500(client: TestClient,
                                operations: list[tuple[str, str, dict[str, Any]]],
                                data: st.DataObject) -> None:
    if not _SCHEMAS:
        _SCHEMAS.update(client.get("/openapi.json").json()["components"]["schemas"])
    method, url, params, headers, body = data.draw(requests(operations))
    r = client.request(method.upper(), url, params=params, headers=headers, content=body)
    assert r.status_code < 500, (method, url, params, body, r.status_code, r.text)
    assert r.headers.get("X-Model-Version")
    if r.status_code >= 400:
        detail = r.json()["detail"]
        assert isinstance(detail, str) and detail
    elif r.headers["content-type"].startswith("application/json"):
        r.json()


def test_model_path_is_unchanged_after_fuzzing(client: TestClient, tmp_path: Path) -> None:
    # the fuzzer may have reloaded with the right key; whatever it sent, a model still serves
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["model"]["users"] > 0
