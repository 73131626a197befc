"""The distribution's ``by`` schema holds its own default, on every kind of model
(``service.schema_limits._place_default``).

On a model with no place attribute, ``by`` was ``{"minLength": 1, "maxLength": 0, "default":
"region"}``: no string matched it and its own default broke it, so a client generated from the
schema rejected every value it could send, the one it sent by itself too. The check is a real
JSON Schema validator (``jsonschema_rs``, over the published keywords) and the server itself:
whatever the schema takes must be what the server answers, a 422 where the schema says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import build_model

from recommender.io.places import PLACE_ATTRIBUTES
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


def _serve(root: Path, places: dict[str, list[str]]) -> TestClient:
    model = build_model(0)
    attributes = model.user_table.attributes
    for name in PLACE_ATTRIBUTES:
        attributes.pop(name, None)
    for name, labels in places.items():
        attributes[name] = np.asarray(labels, dtype=str)[np.arange(model.n_users) % len(labels)]
    path = artifact.save(model, root / "model")
    return TestClient(create_app(Settings(model_path=str(path), warm_cache=False)))


@pytest.fixture(scope="module", params=["none", "cinema", "region"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, TestClient]]:
    places = {"none": {}, "cinema": {"cinema": ["c1", "c2"]},
              "region": {"region": ["north", "south"]}}[request.param]
    with _serve(tmp_path_factory.mktemp(f"place-{request.param}"), places) as c:
        yield request.param, c


def _schemas(c: TestClient) -> list[tuple[dict[str, Any], str]]:
    """``by``'s schema in the query of GET /films/{id}/distribution and in POST
    /distribution/cold-start's body, each with the words a client reads."""
    schema = c.get("/openapi.json").json()
    [param] = [p for p in schema["paths"]["/films/{film_id}/distribution"]["get"]["parameters"]
               if p["name"] == "by"]
    body = schema["components"]["schemas"]["ColdStartDistributionRequest"]["properties"]["by"]
    return [(param["schema"], param["description"]), (body, body["description"])]


def _valid(schema: dict[str, Any], value: str) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


def test_the_default_is_valid_by_its_own_schema(served: tuple[str, TestClient]) -> None:
    kind, c = served
    for schema, _ in _schemas(c):
        assert schema.get("minLength", 0) <= schema.get("maxLength", 1 << 30), schema
        if "default" in schema:
            assert _valid(schema, schema["default"]), (kind, schema)
        assert kind != "region" or schema["default"] == "region"


def test_what_the_schema_takes_is_what_the_server_answers(
        served: tuple[str, TestClient]) -> None:
    kind, c = served
    omitted = c.get("/films/00003/distribution")
    (query, words), (body, body_words) = _schemas(c)
    if kind == "region":
        assert omitted.status_code == 200, omitted.text
        return
    assert omitted.status_code == 422, omitted.text
    if kind == "none":  # the schema cannot refuse what it need not: the words say 422
        for said in (words, body_words):
            assert "no place attribute" in said and "422" in said, said
        assert c.get("/films/00003/distribution?by=region").status_code == 422
        return
    # cinema only: region is no default here, cinema is taken, by the schema and the server
    for schema, said in ((query, words), (body, body_words)):
        assert "default" not in schema and "refused (422)" in said, (schema, said)
        assert _valid(schema, "cinema") and not _valid(schema, "region")
    assert c.get("/films/00003/distribution?by=cinema").status_code == 200
