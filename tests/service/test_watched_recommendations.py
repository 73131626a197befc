"""Recommendations for a viewer the model does not know, from the films they watched: ``POST
/recommendations`` and ``recommender recommend --watched FILE``, the same answer.

Oracles: the planted taste groups (a viewer of one group's films is recommended that group's
films); the watch list itself (never recommended, and every "because" film is on it); the CLI's
``--json`` against the HTTP body; unknown ids skipped and named, as lookalikes do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import group_of_film, save_model

from recommender.model import artifact
from recommender.query.limits import MAX_WATCHED
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("watched") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False,
                                        max_k=50))) as c:
        yield c


def one_group_films(model_dir: Path, group: int, n: int = 5) -> list[str]:
    ids = artifact.load(model_dir).films.ids.tolist()
    return [f for f in ids if group_of_film(f) == group][:n]


def test_a_viewer_of_one_group_gets_that_group(client: TestClient, model_dir: Path) -> None:
    watched = one_group_films(model_dir, 1)
    r = client.post("/recommendations", json={"film_ids": watched, "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unknown_film_ids"] == [] and [f["rank"] for f in body["films"]] == [1, 2, 3, 4, 5]
    got = [f["film_id"] for f in body["films"]]
    assert not set(got) & set(watched)
    assert all(group_of_film(f) == 1 for f in got), got
    for row in body["films"]:
        assert {b["film_id"] for b in row["because"]} <= set(watched)


def test_unknown_ids_are_skipped_and_named(client: TestClient, model_dir: Path) -> None:
    watched = one_group_films(model_dir, 2)
    plain = client.post("/recommendations", json={"film_ids": watched, "k": 4}).json()
    mixed = client.post("/recommendations", json={
        "film_ids": ["nope", *watched, "zz/9", "nope"], "k": 4}).json()
    assert mixed["unknown_film_ids"] == ["nope", "zz/9"]
    assert mixed["films"] == plain["films"]
    r = client.post("/recommendations", json={"film_ids": ["nope", "never"]})
    assert r.status_code == 404 and "nope" in r.json()["detail"]


@pytest.mark.parametrize(("body", "words"), [
    ({"film_ids": []}, "film_ids"),
    ({"film_ids": ["x"], "k": 0}, "k"),
    ({"film_ids": ["x"], "k": 51}, "50"),
    ({"film_ids": [1, 2]}, "film_ids"),
    ({"film_ids": ["x"] * (MAX_WATCHED + 1)}, "film_ids"),
    ({"film_ids": ["x"], "user_id": "u1"}, "user_id"),
])
def test_bad_bodies_are_422_naming_the_field(client: TestClient, body: dict[str, object],
                                             words: str) -> None:
    r = client.post("/recommendations", json=body)
    assert r.status_code == 422 and words in r.json()["detail"], r.text


def test_the_cli_prints_the_http_body(client: TestClient, model_dir: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    watched = one_group_films(model_dir, 3)
    path = tmp_path / "watched.txt"
    path.write_text("film_id\n" + "\n".join([*watched, "nope"]) + "\n")
    code, out, err = run_cli(capsys, "recommend", model_dir, "--watched", path, "--k", "6",
                             "--json")
    assert code == 0, err
    http = client.post("/recommendations", json={"film_ids": [*watched, "nope"], "k": 6})
    assert json.loads(out) == http.json()
    code, out, err = run_cli(capsys, "recommend", model_dir, "--watched", path, "--k", "6")
    assert code == 0 and "'nope'" in err and "viewer of 5 known films" in out
    assert all(f["film_id"] in out for f in http.json()["films"])
    code, _, err = run_cli(capsys, "recommend", model_dir, "--watched", path, "--out",
                           tmp_path / "r.csv")
    assert code == 2 and "--watched prints one viewer's films" in err
    (tmp_path / "none.txt").write_text("nope\n")
    code, _, err = run_cli(capsys, "recommend", model_dir, "--watched", tmp_path / "none.txt")
    assert code == 2 and "unknown film_id 'nope'" in err


def test_the_cli_finds_ids_kept_with_their_spaces(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """An id the model holds with surrounding spaces (ids are kept byte for byte) is found by
    its line as written, as ``--users`` finds it and as the HTTP body names it; a blank id
    gets no title suggestions (a search for nothing lists any film)."""
    import pyarrow as pa

    from recommender.io.dataset import Interactions
    from recommender.model.config import TrainConfig
    from recommender.model.training import train

    films = [" f1 ", "f2", "f3", "f4"] * 6
    users = [f"u{i // 4}" for i in range(len(films))]
    model = train(Interactions.from_columns(pa.array(users), pa.array(films), source="spaced"),
                  TrainConfig(factors=2, iterations=2, segments=1, holdout=0.0, tune=False),
                  progress=False)
    folder = artifact.save(model, tmp_path / "model")
    path = tmp_path / "w.txt"
    path.write_text(" f1 \nf1\nf2\n")
    code, out, err = run_cli(capsys, "recommend", folder, "--watched", path, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["unknown_film_ids"] == ["f1"]
    assert {f["film_id"] for f in body["films"]} == {"f3", "f4"}
    assert all({b["film_id"] for b in f["because"]} <= {" f1 ", "f2"} for f in body["films"])
    code, out, err = run_cli(capsys, "recommend", folder, "--watched", path, "--k", "5")
    assert code == 0 and "Top 2 films" in out and "asked for 5" in out
    assert "1 of the 3 watched film ids are unknown" in err
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as c:
        r = c.post("/recommendations", json={"film_ids": [""]})
        assert r.status_code == 404 and "matches titles" not in r.json()["detail"]


def test_a_watched_title_typed_as_an_id_is_skipped_with_the_titles_it_matches(
        capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path) -> None:
    """One title among known ids was skipped with its text only (a list of only unknown ids
    was refused with the titles they match, and cold-start --like's skipped films name them)."""
    from recommender.model import artifact
    from recommender.query.hints import title_hint

    model = artifact.load(model_dir)
    known = str(model.films.ids[5])
    path = tmp_path / "w.txt"
    path.write_text(f"{known}\nthe matrix\n")
    code, out, err = run_cli(capsys, "recommend", model_dir, "--watched", path, "--k", "3")
    assert code == 0, err
    hint = title_hint(model, "the matrix")  # "; it matches titles: 00000 The Matrix ..."
    assert hint and "The Matrix" in hint
    # the one film of that title is named first, and not again among the titles matched
    assert ("skipped: 'the matrix'; 'the matrix' is the title of 00000 The Matrix (1990)"
            in err and err.count("00000 The Matrix") == 1), err
