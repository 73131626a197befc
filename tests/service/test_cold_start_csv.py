"""A new film's audience as an HTTP CSV download, ``POST /audiences/cold-start.csv`` (the body of
``POST /audiences/cold-start``): the bytes ``recommender cold-start ... --csv`` prints, with
the notes the CSV has no place for in headers, a file name by ``attachment`` and an OpenAPI
entry that says ``text/csv``. There was no such route (the CLI alone wrote the CSV).

Oracle: the CLI's ``--csv`` output, byte for byte; the JSON route's fields for the headers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import GENRES, save_model

from service.app import create_app
from service.download_headers import header_text
from service.settings import Settings

PATH = "/audiences/cold-start.csv"
# (HTTP body, with= columns, the same request on the CLI)
CASES: list[tuple[dict[str, Any], list[str], list[str]]] = [
    ({"comparable_film_ids": ["00004", "00008"], "k": 5}, [],
     ["--like", "00004", "00008", "--k", "5"]),
    ({"comparable_film_ids": {"00004": 2.5, "00012": 1}, "genres": [GENRES[1]], "k": 4,
      "offset": 3}, ["segment_label"],
     ["--like", "00004=2.5", "00012", "--genre", GENRES[1], "--k", "4", "--offset", "3",
      "--with", "segment_label"]),
    ({"genres": [GENRES[2]], "k": 6, "tier": "extended", "segment": 1}, [],
     ["--genre", GENRES[2], "--k", "6", "--tier", "extended", "--segment", "1"]),
    ({"comparable_film_ids": ["nope", "00004"], "k": 3}, [], ["--like", "nope", "00004",
                                                              "--k", "3"]),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cold-csv") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(("body", "with_", "argv"), CASES)
def test_the_download_is_the_clis_csv_byte_for_byte(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str],
        body: dict[str, Any], with_: list[str], argv: list[str]) -> None:
    r = client.post(PATH, json=body, params={"with": with_} if with_ else None)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    code, out, err = run_cli(capsys, "cold-start", model_dir, *argv, "--csv")
    assert code == 0, err
    assert r.content == out.encode("utf-8")
    # the JSON page's users, in its order
    page = client.post("/audiences/cold-start", json=body).json()
    rows = r.text.splitlines()[1:]
    assert [row.split(",")[1] for row in rows] == [u["user_id"] for u in page["users"]]
    unknown = page["unknown_film_ids"]
    if unknown:
        assert json.loads(r.headers["x-unknown-film-ids"]) == unknown
    else:
        assert "x-unknown-film-ids" not in r.headers


def test_the_notes_and_the_file_name_are_headers(client: TestClient) -> None:
    body = {"comparable_film_ids": ["nope", "nada"], "genres": [GENRES[1]], "k": 3}
    r = client.post(PATH, json=body)
    said = client.post("/audiences/cold-start", json=body).json()
    assert r.headers["x-genres-only"] == said["genres_only"]
    assert json.loads(r.headers["x-unknown-film-ids"]) == ["nope", "nada"]
    assert r.headers["content-disposition"] == 'attachment; filename="cold_start_audience.csv"'
    r = client.post(PATH, json={"genres": [GENRES[1]], "tier": "core", "segment": 2,
                                "offset": 4, "k": 2})
    assert r.headers["content-disposition"] == (
        'attachment; filename="cold_start_audience_core_segment2_from5.csv"')
    assert "x-genres-only" not in r.headers and "x-audience-note" not in r.headers


def test_a_header_escapes_what_a_header_cannot_hold() -> None:
    assert header_text("film 'a' left out") == "film 'a' left out"
    assert header_text("'caf\u00e9\n\u05e2'") == "'caf\\xe9\\n\\u05e2'"


def test_bad_requests_are_refused_as_the_json_routes(client: TestClient) -> None:
    assert client.post(PATH, json={"comparable_film_ids": ["nope"]}).status_code == 404
    assert client.post(PATH, json={}).status_code == 422
    r = client.post(PATH, json={"genres": [GENRES[1]]}, params={"with": "nonsense"})
    assert r.status_code == 422 and "nonsense" in r.text


def test_the_schema_declares_a_csv_download(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"][PATH]["post"]
    ok = op["responses"]["200"]
    assert list(ok["content"]) == ["text/csv"]
    assert {"X-Audience-Note", "X-Genres-Only", "X-Unknown-Film-Ids"} <= set(ok["headers"])
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ColdStartRequest"}
    assert [p["name"] for p in op["parameters"]] == ["with", "pseudonymize"]
