"""What a new film's answers say of their input, in the body as the CLI says it: the genres
alone answering when no comparable film given is known (``genres_only``: said only on stderr
before, as "skipped ..."), and a distribution's comparable films with their weights
(``comparable_films``, as the cold-start audience gives them; it listed the ids alone).
`--json` prints the HTTP body byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import GENRES, save_model

from service.app import create_app
from service.cold_start_schemas import ColdStartAudience
from service.routes.distribution import Distribution
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cold") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir)))) as c:
        yield c


def same(capsys: pytest.CaptureFixture[str], body: bytes, *argv: Any) -> None:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    assert out == body.decode() + "\n"


def expected_sentence(unknown: list[str], genres: list[str]) -> str:
    """The sentence, written out here (an oracle of its words, not the library's)."""
    if len(unknown) == 1:
        head = "the 1 comparable film given is not known to the model"
    else:
        head = f"none of the {len(unknown)} comparable films given are known to the model"
    return (f"{head} (skipped, listed as unknown), so the new film is placed by its "
            f"genre{'' if len(genres) == 1 else 's'} alone: {', '.join(genres)}")


@pytest.mark.parametrize("unknown", [["nope"], ["nope", "nada"]])
def test_the_genres_alone_are_said_in_the_body(client: TestClient, model_dir: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               unknown: list[str]) -> None:
    genres = [GENRES[1]] if len(unknown) == 1 else [GENRES[1], GENRES[2]]
    said = expected_sentence(unknown, genres)
    like = [a for u in unknown for a in ("--like", u)]
    genre = [a for g in genres for a in ("--genre", g)]
    audience = client.post("/audiences/cold-start", json={
        "comparable_film_ids": unknown, "genres": genres, "k": 3})
    assert audience.status_code == 200, audience.text
    ColdStartAudience.model_validate(audience.json())
    assert audience.json()["genres_only"] == said
    same(capsys, audience.content, "cold-start", model_dir, *like, *genre, "--k", 3)
    code, out, _ = run(capsys, "cold-start", model_dir, *like, *genre, "--k", 3)
    assert code == 0 and f"note: {said}\n" in out  # the table says it too, on stdout
    demand = client.post("/distribution/cold-start", json={
        "comparable_film_ids": unknown, "genres": genres, "by": "region"})
    assert demand.status_code == 200, demand.text
    Distribution.model_validate(demand.json())
    assert demand.json()["cold_start"]["genres_only"] == said
    same(capsys, demand.content, "distribution", model_dir, *like, *genre)
    code, out, _ = run(capsys, "distribution", model_dir, *like, *genre)
    assert code == 0 and f"note: {said}\n" in out


def test_no_genres_only_note_when_a_comparable_film_is_known_or_none_was_given(
        client: TestClient) -> None:
    for asked in ({"comparable_film_ids": ["nope", "00004"], "genres": [GENRES[1]]},
                  {"genres": [GENRES[1]]}):
        assert client.post("/audiences/cold-start", json=asked).json()["genres_only"] is None
        body = client.post("/distribution/cold-start", json=asked).json()
        assert body["cold_start"]["genres_only"] is None


def test_a_distribution_gives_its_comparable_films_weights(
        client: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    http = client.post("/distribution/cold-start", json={
        "comparable_film_ids": {"00004": 2.5, "00008": 1, "nope": 3}, "by": "region"})
    assert http.status_code == 200, http.text
    cold = http.json()["cold_start"]
    assert cold["comparable_films"] == {"00004": 2.5, "00008": 1.0}
    assert cold["comparable_film_ids"] == ["00004", "00008"]
    same(capsys, http.content, "distribution", model_dir, "--like", "00004=2.5", "00008",
         "nope=3")
    # the cold-start audience gives the same weights for the same films
    audience = client.post("/audiences/cold-start", json={
        "comparable_film_ids": {"00004": 2.5, "00008": 1, "nope": 3}}).json()
    assert audience["comparable_films"] == cold["comparable_films"]
    # a list: weight 1 each
    listed = client.post("/distribution/cold-start", json={
        "comparable_film_ids": ["00004", "00008"]}).json()["cold_start"]
    assert listed["comparable_films"] == {"00004": 1.0, "00008": 1.0}
