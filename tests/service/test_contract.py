"""The contract's promise that `audience --json` and `recommend --user ID --json` print exactly
the JSON body of the matching HTTP endpoint, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.cli import main
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("contract") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> TestClient:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def test_audience_json_is_the_http_body(client: TestClient, model_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    film = client.get("/films?limit=1").json()["films"][0]["film_id"]
    http = client.get(f"/films/{film}/audience", params={"k": 7, "offset": 3})
    assert http.status_code == 200
    cli = _cli(capsys, "audience", str(model_dir), film, "--k", "7", "--offset", "3", "--json")
    assert cli == http.content.decode()


def test_recommend_json_is_the_http_body(client: TestClient, model_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    user = client.get(f"/films/{client.get('/films?limit=1').json()['films'][0]['film_id']}"
                      "/audience?k=1").json()["users"][0]["user_id"]
    http = client.get(f"/users/{user}/recommendations", params={"k": 5})
    assert http.status_code == 200
    cli = _cli(capsys, "recommend", str(model_dir), "--user", user, "--k", "5", "--json")
    assert cli == http.content.decode()
    # watched films kept: ?exclude_seen=false and --include-seen (the CLI had no such option)
    http = client.get(f"/users/{user}/recommendations",
                      params={"k": 5, "exclude_seen": "false"})
    cli = _cli(capsys, "recommend", str(model_dir), "--user", user, "--k", "5", "--json",
               "--include-seen")
    assert cli == http.content.decode()


def test_audience_body_is_its_response_model(client: TestClient) -> None:
    """The audience route renders its body itself (and caches the bytes): they must be what
    the declared response model would have produced, on a miss and on a hit."""
    from service.schemas import Audience

    film = client.get("/films?limit=1").json()["films"][0]["film_id"]
    first = client.get(f"/films/{film}/audience", params={"k": 9})
    again = client.get(f"/films/{film}/audience", params={"k": 9})
    assert first.content == again.content
    model = Audience.model_validate(first.json())
    assert model.model_dump(mode="json") == first.json()


def test_recommendations_body_is_its_response_model(client: TestClient) -> None:
    """The recommendations body is rendered by the engine (and cached): it must be what the
    declared response model would have produced, on a miss and on a hit."""
    from service.schemas import Recommendations

    film = client.get("/films?limit=1").json()["films"][0]["film_id"]
    user = client.get(f"/films/{film}/audience?k=1").json()["users"][0]["user_id"]
    r = client.get(f"/users/{user}/recommendations", params={"k": 6})
    assert client.get(f"/users/{user}/recommendations", params={"k": 6}).content == r.content
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    model = Recommendations.model_validate(r.json())
    assert model.model_dump(mode="json") == r.json()
    assert client.get("/users/nobody/recommendations").status_code == 404
    assert client.get(f"/users/{user}/recommendations", params={"k": 0}).status_code == 422


def test_studio_files_are_revalidated(client: TestClient) -> None:
    """The modules' URLs carry no version: without Cache-Control the browser's heuristic
    caching ran an upgrade's old modules (or a mix) after a reload."""
    page = client.get("/studio/")
    assert page.headers["cache-control"] == "no-cache"
    first = client.get("/studio/assets/js/app.js")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = client.get("/studio/assets/js/app.js",
                       headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304  # revalidation is cheap
