"""A new film's comparable films are bounded, as a lookalike's seeds are: more than
``RECOMMENDER_MAX_COMPARABLE_FILMS`` in ``comparable_film_ids`` (a list or ``{id: weight}``) of
``POST /audiences/cold-start`` or ``POST /distribution/cold-start`` is a 422 in the shape of
every other, naming the variable; the schema states the bound on both shapes (``maxItems``,
``maxProperties``); the CLI's ``--like`` keeps to the same variable (exit 2, naming it).
There was no bound, and the distribution's cost grows with the films' number.

Oracle: the bound set here (2) and the sentence written out here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import GENRES, model_and_client

MOST = 2
ROUTES = ("/audiences/cold-start", "/audiences/cold-start.csv", "/distribution/cold-start")
FILMS = ["00004", "00008", "00012"]


model_dir, client = model_and_client("comparables", warm_cache=False, watch_interval=0,
                                     max_comparable_films=MOST)


def _refused(r: Any, sent: int) -> None:
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["detail"] == (f"body field 'comparable_film_ids': should hold at most {MOST} "
                              "ids (the longest comparable film list, "
                              f"RECOMMENDER_MAX_COMPARABLE_FILMS), got {sent}")
    assert [e["loc"] for e in body["errors"]] == [["body", "comparable_film_ids"]]


@pytest.mark.parametrize("path", ROUTES)
def test_more_comparable_films_than_the_setting_is_a_422_naming_it(client: TestClient,
                                                                   path: str) -> None:
    assert client.post(path, json={"comparable_film_ids": FILMS[:MOST]}).status_code == 200
    assert client.post(path, json={"comparable_film_ids": dict.fromkeys(FILMS[:MOST], 2.0),
                                   "genres": [GENRES[1]]}).status_code == 200
    _refused(client.post(path, json={"comparable_film_ids": FILMS}), 3)
    # the map's weights count as its ids do; unknown ids count too (each is looked up)
    _refused(client.post(path, json={"comparable_film_ids": dict.fromkeys(FILMS, 1.5)}), 3)
    _refused(client.post(path, json={"comparable_film_ids": ["nope", *FILMS]}), 4)


def test_the_schema_states_the_bound_on_a_list_and_a_map(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ColdStartRequest", "ColdStartDistributionRequest"):
        field = schemas[name]["properties"]["comparable_film_ids"]
        shapes = {b["type"]: b for b in field["anyOf"]}
        assert shapes["array"]["maxItems"] == MOST, field
        assert shapes["object"]["maxProperties"] == MOST, field
        assert "maximum" not in field and "x-maximum" not in field, field


@pytest.mark.parametrize("command", ["cold-start", "distribution"])
def test_the_cli_keeps_to_the_same_variable(model_dir: Path, command: str,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MAX_COMPARABLE_FILMS", str(MOST))
    code, _, err = run_cli(capsys, command, model_dir, "--like", *FILMS[:MOST])
    assert code == 0, err
    # a film named twice is one film, as its body would list it once
    code, _, err = run_cli(capsys, command, model_dir, "--like", *FILMS[:MOST], FILMS[0])
    assert code == 0, err
    code, _, err = run_cli(capsys, command, model_dir, "--like", *FILMS[:2], "00012=2")
    assert code == 2
    assert (f"argument --like: names 3 films, more than {MOST} (the longest comparable film "
            "list, RECOMMENDER_MAX_COMPARABLE_FILMS, as the server's)") in " ".join(err.split())
