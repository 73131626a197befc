"""A cold start's unknown comparable films come with what the CLI says of each (the film a
title names, the titles it matches): HTTP answered `unknown_film_ids` alone, where
`cold-start --like "the matrix"` said "it is the title of 00000 The Matrix: give its id".

Oracle: the service-test catalog (film 00000 is titled "The Matrix") and the CLI's own
"skipped" lines on stderr.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import GENRES, save_model

from service.app import create_app
from service.settings import Settings

LIKE = ["00004", "the matrix", "no-such-film"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("cold_hints") / "model")


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def _skipped(err: str) -> list[str]:
    return [line.removeprefix("skipped ") for line in err.splitlines()
            if line.startswith("skipped ")]


def test_the_audience_says_what_the_cli_says(client: TestClient, model_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    r = client.post("/audiences/cold-start", json={"comparable_film_ids": LIKE,
                                                   "genres": [GENRES[0]], "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unknown_film_ids"] == ["the matrix", "no-such-film"]
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--like", *LIKE,
                           "--genre", GENRES[0], "-k", 3)
    assert code == 0 and body["unknown_film_hints"] == _skipped(err), err
    assert body["unknown_film_hints"][0].startswith(
        "unknown film_id 'the matrix'; it is the title of 00000 The Matrix (")
    assert "give its id, '00000'" in body["unknown_film_hints"][0]
    code, out, err = run_cli(capsys, "cold-start", model_dir, "--like", *LIKE,
                             "--genre", GENRES[0], "-k", 3, "--json")
    assert code == 0 and out == r.content.decode() + "\n", err


def test_the_distribution_says_what_the_cli_says(client: TestClient, model_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    r = client.post("/distribution/cold-start", json={
        "comparable_film_ids": LIKE, "genres": [GENRES[0]], "by": "region"})
    assert r.status_code == 200, r.text
    cold = r.json()["cold_start"]
    code, out, err = run_cli(capsys, "distribution", model_dir, "--like", *LIKE,
                             "--genre", GENRES[0], "--json")
    assert code == 0 and out == r.content.decode() + "\n", err
    assert cold["unknown_film_ids"] == ["the matrix", "no-such-film"]
    assert cold["unknown_film_hints"] == _skipped(err)
    assert "it is the title of 00000 The Matrix" in cold["unknown_film_hints"][0]


def test_the_first_five_unknown_films_are_said(client: TestClient, model_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    unknown = [f"missing {i}" for i in range(7)]
    body = client.post("/audiences/cold-start", json={
        "comparable_film_ids": ["00004", *unknown], "k": 2}).json()
    assert body["unknown_film_ids"] == unknown
    code, _, err = run_cli(capsys, "cold-start", model_dir, "--like", "00004", *unknown,
                           "-k", 2)
    said = _skipped(err)
    assert code == 0 and len(said) == 7  # the CLI says every one on stderr
    assert body["unknown_film_hints"] == said[:5]
    assert all(h.startswith(f"unknown film_id {u!r}")
               for h, u in zip(body["unknown_film_hints"], unknown, strict=False))
