"""One user and one film get two numbers: the film's audience's taste score and the user's
recommendation score, which adds the film's popularity prior. Both were called "score" (the
Studio: "model affinity" on both pages; the demo's u00300 read 0.9777 and 2.8881 for Savage
Code 3). Oracle: the artifact's own arrays (README, the model folder), read with numpy: each
surface's number is its documented formula, and the two are named apart where they differ."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import build_model

from recommender.model import artifact, layout
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    m = build_model()
    prior = np.linspace(0.5, 2.0, m.n_films).astype(np.float32)  # a prior on every film
    m = replace(m, film_prior=prior,
                meta={**m.meta, "params": {**m.meta.get("params", {}), "popularity": 3.0}})
    return artifact.save(m, tmp_path_factory.mktemp("score-names") / "model")


@pytest.fixture(scope="module")
def arrays(model_dir: Path) -> dict[str, Any]:
    """The artifact's arrays as numpy reads them (no library code)."""
    folder = layout.resolve(model_dir)
    return {name: np.load(folder / f"{name}.npy") for name in
            ("user_factors", "film_factors", "film_prior", "user_ids", "film_ids")}


@pytest.fixture(scope="module")
def client(model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=str(model_dir), warm_cache=False))) as c:
        yield c


def _users(arrays: dict[str, Any]) -> list[tuple[str, int]]:
    """A few users: (user_id, row in the arrays)."""
    return [(str(arrays["user_ids"][u]), u) for u in (0, 7, 41)]


def _taste(arrays: dict[str, Any], u: int, f: int) -> float:
    return float(np.dot(arrays["user_factors"][u].astype(np.float64),
                        arrays["film_factors"][f].astype(np.float64)))


def test_each_surface_gives_its_own_formula(client: TestClient, arrays: dict[str, Any],
                                            model_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    film_ids = [str(f) for f in arrays["film_ids"]]
    checked = 0
    for user, u in _users(arrays):
        recs = client.get(f"/users/{user}/recommendations", params={"k": 3}).json()["films"]
        code, out, err = run_cli(capsys, "recommend", model_dir, "--user", user, "--k", 3)
        assert code == 0, err
        table = [line.split() for line in out.splitlines() if line[:1].isdigit()]
        for row, printed in zip(recs, table, strict=True):
            f = film_ids.index(row["film_id"])
            taste = _taste(arrays, u, f)
            rec = taste + float(arrays["film_prior"][f])
            assert row["score"] == pytest.approx(rec, abs=2e-5)  # taste + prior
            assert printed[1] == row["film_id"] and float(printed[2]) == pytest.approx(
                rec, abs=2e-4)
            page = client.get(f"/films/{row['film_id']}/audience",
                              params={"k": 1000}).json()["users"]
            mine = [r for r in page if r["user_id"] == user]
            assert len(mine) == 1
            assert mine[0]["score"] == pytest.approx(taste, abs=2e-5)  # the taste score alone
            # the two differ by the prior, which is not small beside the tolerance
            assert row["score"] - mine[0]["score"] == pytest.approx(
                float(arrays["film_prior"][f]), abs=4e-5)
            code, out, err = run_cli(capsys, "audience", model_dir, row["film_id"], "--k", 1000)
            assert code == 0, err
            line = next(s.split() for s in out.splitlines() if s.split()[1:2] == [user])
            assert float(line[2]) == pytest.approx(taste, abs=2e-6)
            checked += 1
    assert checked == 9


def test_the_cli_heads_and_says_them_apart(model_dir: Path, arrays: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    user, film = str(arrays["user_ids"][0]), str(arrays["film_ids"][0])
    _, rec_out, _ = run_cli(capsys, "recommend", model_dir, "--user", user, "--k", 3)
    _, aud_out, _ = run_cli(capsys, "audience", model_dir, film, "--k", 3)
    rec_head = next(s for s in rec_out.splitlines() if s.startswith("rank ")).split()
    aud_head = next(s for s in aud_out.splitlines() if s.startswith("rank ")).split()
    assert (rec_head[2], aud_head[2]) == ("score+prior", "score")
    assert rec_out.splitlines()[-1].startswith(
        "score+prior: the model's taste score (the dot product of the user's and the film's "
        "taste vectors: the user's score in the film's audience) plus the film's popularity "
        "prior (weight 3: ")
    assert aud_out.splitlines()[-1].startswith(
        "score: the model's taste score, the dot product of the user's and the film's taste "
        "vectors, for ordering only (not comparable between films; no popularity prior")


def test_the_schema_describes_them_apart(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    audience = schemas["AudienceUser"]["properties"]["score"]["description"]
    rec = schemas["FilmHit"]["properties"]["score"]["description"]
    assert audience != rec
    assert audience.startswith("a film's audience: the taste score: the dot product of the "
                               "user's and the film's taste vectors (no unit;")
    assert "no popularity prior" in audience
    assert rec.startswith("recommendations (a user's, a watch list's): the taste score (the "
                          "dot product of the user's and the film's taste vectors, the pair's "
                          "score in the film's audience) plus the film's popularity prior")
    assert "no unit" in rec


def test_the_exports_units_say_them_apart(model_dir: Path, arrays: dict[str, Any],
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow.parquet as pq

    user, film = str(arrays["user_ids"][0]), str(arrays["film_ids"][0])
    users = tmp_path / "users.txt"
    users.write_text(f"{user}\n")
    films = tmp_path / "films.txt"
    films.write_text(f"{film}\n")
    recs, auds = tmp_path / "recs.parquet", tmp_path / "auds.parquet"
    assert run_cli(capsys, "recommend", model_dir, "--users", users, "--k", 3,
                   "--out", recs)[0] == 0
    assert run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 3,
                   "--out", auds)[0] == 0
    units = [json.loads(pq.read_schema(p).metadata[b"recommender"])["units"]["score"]
             for p in (recs, auds)]
    assert "plus the film's popularity prior" in units[0]
    assert units[1].startswith("the taste score: the dot product") and units[0] != units[1]
    table = pq.read_table(recs).to_pylist()
    u = list(arrays["user_ids"]).index(user)
    for row in table:  # the export's numbers are the units' formula
        f = list(arrays["film_ids"]).index(row["film_id"])
        assert row["score"] == pytest.approx(_taste(arrays, u, f)
                                             + float(arrays["film_prior"][f]), abs=2e-5)
