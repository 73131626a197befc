"""The schema of ``POST /events`` declares the ids the server refuses: a user or film id of
blanks only (``\\r``, ``" "``) was within ``EventIn``'s schema (``minLength 1``, no NUL) and
a 422 "user_id is blanks only" from the server, so a client built from the schema sent what
the server refused. Oracle: the server's own answer to each id, against the served schema's
pattern; the 422 keeps the server's words, naming the field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings

#: blanks only, or text with a character that is not one (some that ``str.isspace`` takes
#: but a log's reader keeps: the server stores them)
IDS = ["\r", " ", "\t\n", "\x0b\x0c ", "  u3 ", "\u00a0", "\x1c", "u\r", "3"]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blank-ids") / "model"
    save_model(path, seed=0)
    return path


def _event_schema(schema: dict) -> dict:
    body = schema["paths"]["/events"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[1]
    batch = schema["components"]["schemas"][ref]["properties"]["events"]["items"]["$ref"]
    return schema["components"]["schemas"][batch.rsplit("/", 1)[1]]["properties"]


@pytest.mark.parametrize("field", ["user_id", "film_id"])
def test_the_schema_refuses_the_blank_ids_the_server_refuses(
        model: Path, tmp_path: Path, field: str) -> None:
    settings = Settings(model_path=str(model), store=str(tmp_path / "s.db"), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        declared = _event_schema(c.get("/openapi.json").json())[field]
        pattern = re.compile(declared["pattern"])
        for n, value in enumerate(IDS):
            event = {"event_id": f"e{n}", "user_id": "u3", "film_id": "00004",
                     "timestamp": 1_700_000_000, field: value}
            said = c.post("/events", json={"events": [event]})
            assert said.status_code in (200, 422), (value, said.text)
            assert (said.status_code == 200) == bool(pattern.search(value)), (
                field, value, said.text, declared["pattern"])
            if said.status_code == 422:
                assert f"{field} is blanks only" in said.text, said.text
                assert field in str(said.json()["errors"][0]["loc"]), said.text
