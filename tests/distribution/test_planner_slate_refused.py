"""A planner's slate (``film_id,budget[,value]``, ``plan --slate``) given to distribution is
refused saying it is a planner's slate and what distribution reads, on the CLI and over HTTP
(it said "unknown column 'budget'" and "'films[0].budget' is not a known field")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model

from recommender.campaigns.slate import read_slate as read_plan_slate
from service.app import create_app
from service.settings import Settings

CINEMAS = ["c1", "c2"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("planner-slate") / "model", cinemas=CINEMAS)


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


@pytest.mark.parametrize(("header", "rows", "dropped"), [
    ("film_id,budget", "00003,5\n00002,7\n", "drop budget "),
    ("film_id,budget,value", "00003,5,2.5\n00002,7,1\n", "drop budget and value "),
])
def test_the_cli_names_a_planners_slate(model_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str], header: str,
                                        rows: str, dropped: str) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text(f"{header}\n{rows}", encoding="utf-8")
    assert [f.film_id for f in read_plan_slate(slate)] == ["00003", "00002"]  # the plan's
    code, out, err = run_cli(capsys, "distribution", model_dir, "--slate", slate)
    assert code == 2 and out == ""
    assert f"{slate}, line 1: the header names 'budget'" in err, err
    assert "this is a planner's slate (plan --slate" in err, err
    assert "a distribution slate, which reads film_id,min_screens,max_screens,title" in err
    assert f"keep film_id, and {dropped}" in err, err
    assert "unknown column" not in err and "Traceback" not in err
    # what it says to keep is a slate distribution reads
    slate.write_text("film_id\n00003\n00002\n", encoding="utf-8")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\n" + "".join(f"{c},2\n" for c in CINEMAS))
    code, out, err = run_cli(capsys, "distribution", model_dir, "--slate", slate,
                             "--screens-per-cinema", screens)
    assert code == 0, err


def test_a_typo_is_still_an_unknown_column(model_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,max_screen\n00003,3\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "distribution", model_dir, "--slate", slate)
    assert code == 2 and "unknown column 'max_screen'" in err and "planner" not in err, err


def test_http_names_a_planners_films(client: TestClient) -> None:
    films = [{"film_id": "00003", "budget": 5, "value": 2.0}, {"film_id": "00002", "budget": 7}]
    planned = client.post("/campaigns/plan", json={"films": films})  # the planner's own body
    assert planned.status_code != 422, planned.text
    r = client.post("/distribution/slate", json={"films": films})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "body field 'films[0]': has 'budget' and 'value': this is a planner's slate" in detail
    assert "body field 'films[1]': has 'budget': this is a planner's slate" in detail
    assert "which reads film_id,min_screens,max_screens (" in detail, detail
    assert "not a known field" not in detail, detail
    ok = client.post("/distribution/slate", json={
        "films": [{"film_id": f["film_id"]} for f in films],
        "cinemas": [{"cinema_id": c, "screens": 2} for c in CINEMAS]})
    assert ok.status_code == 200, ok.text
    typo = client.post("/distribution/slate", json={"films": [{"film_id": "00003",
                                                               "max_screen": 3}]})
    assert typo.status_code == 422 and "planner" not in typo.json()["detail"]
