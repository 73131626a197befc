"""An EASE model trained on the demo data answers every query of the engine (audience,
recommendations, lookalikes, cold start, segments, the audience summary with calibrated
conversion) against brute-force oracles, round-trips through the model folder, and the CLI
trains one with ``--family ease`` and answers as the library does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import ari, brute_audience, brute_order, demo_groups, demo_model

from recommender.cli import main
from recommender.errors import ArtifactError
from recommender.model import artifact
from recommender.model.model import Model
from recommender.query.audience import (
    audience_summary,
    cold_start_audience,
    film_audience,
    lookalikes,
)
from recommender.query.catalog import model_info, segments_table
from recommender.query.recommend import recommend_user


@pytest.fixture(scope="module")
def trained(tmp_path_factory: Any) -> tuple[Path, Model]:
    return demo_model(tmp_path_factory, family="ease", ease_lambda=50.0)


def test_the_model_is_ease_and_records_it(trained: tuple[Path, Model]) -> None:
    _, m = trained
    assert m.family == "ease" and m.meta["model"] == "ease"
    assert m.meta["params"]["family"] == "ease" and m.meta["params"]["ease_lambda"] == 50.0
    assert m.meta["ease"]["rank"] == m.user_factors.shape[1] == 32
    assert m.fold_in_projection is not None
    assert m.fold_in_projection.shape == m.film_factors.shape
    assert model_info(m)["model"] == "ease"


def test_audience_and_recommendations_match_brute_force(trained: tuple[Path, Model]) -> None:
    _, m = trained
    for f in (0, 13, m.n_films - 1):
        fid = str(m.films.ids[f])
        users, scores = brute_audience(m, f)
        page = film_audience(m, fid, k=50)
        assert page.user_idx.tolist() == users[:50].tolist()
        np.testing.assert_allclose(page.score, scores[:50], rtol=1e-6)
        assert page.total == len(users)
    for u in (2, 40):
        scores = (np.asarray(m.user_factors[u], np.float64)
                  @ np.asarray(m.film_factors, np.float64).T).astype(np.float32)
        cand = np.setdiff1d(np.arange(m.n_films), m.user_films(u))
        got = recommend_user(m, str(m.users.ids[u]), k=10)
        assert got.film_idx.tolist() == brute_order(scores, cand)[:10].tolist()


def test_lookalikes_cold_start_segments_and_summary(trained: tuple[Path, Model]) -> None:
    folder, m = trained
    seeds = [str(m.users.ids[i]) for i in (1, 2, 3)]
    page, unknown = lookalikes(m, seeds, k=20)
    assert unknown == [] and page.total == m.n_users - 3
    uf = np.asarray(m.user_factors, np.float64)
    unit = uf / np.linalg.norm(uf, axis=1, keepdims=True)
    sim = unit @ unit[[1, 2, 3]].mean(axis=0)
    cand = np.setdiff1d(np.arange(m.n_users), [1, 2, 3])
    assert page.user_idx.tolist() == brute_order(sim.astype(np.float32), cand)[:20].tolist()
    # cold start from two comparable films: the mean of their vectors ranks every user
    comps = [str(m.films.ids[i]) for i in (4, 9)]
    cold = cold_start_audience(m, comps, k=15)
    vec = np.asarray(m.film_factors, np.float64)[[4, 9]].mean(axis=0)
    want = brute_order((uf @ vec).astype(np.float32), np.arange(m.n_users))[:15]
    assert cold.user_idx.tolist() == want.tolist()
    # segments: k-means on the EASE user vectors recovers the demo's planted taste groups
    table = segments_table(m)
    assert len(table) == 8 and sum(r["size"] for r in table) == m.n_users
    assert ari(np.asarray(m.segments.labels), demo_groups(folder, m)) > 0.3
    # the summary's tiers carry calibrated conversion, falling from the core ring outwards
    summary = audience_summary(m, str(m.films.ids[0]))
    conv = [t["expected_conversion"] for t in summary["tiers"]]
    assert all(c is not None for c in conv) and conv[0] > conv[-1]
    assert summary["candidates"] == m.n_users - len(m.film_viewers(0))


def test_the_model_folder_round_trips(trained: tuple[Path, Model], tmp_path: Path) -> None:
    _, m = trained
    out = artifact.save(m, tmp_path / "ease")
    back = artifact.load(out)
    assert back.family == "ease" and back.meta["params"] == m.meta["params"]
    assert back.fold_in_projection is not None and m.fold_in_projection is not None
    np.testing.assert_array_equal(back.fold_in_projection, m.fold_in_projection)
    np.testing.assert_array_equal(back.user_factors, m.user_factors)
    np.testing.assert_array_equal(back.film_factors, m.film_factors)
    fid = str(m.films.ids[5])
    assert film_audience(back, fid, k=20).to_json() == film_audience(m, fid, k=20).to_json()
    # an EASE folder cannot lose its projection unnoticed
    (artifact.layout.resolve(out) / "fold_in_projection.npy").unlink()
    with pytest.raises(ArtifactError, match="fold_in_projection"):
        artifact.load(out)


def test_an_als_folder_has_no_projection(tmp_path_factory: Any, tmp_path: Path) -> None:
    _, als = demo_model(tmp_path_factory)
    back = artifact.load(artifact.save(als, tmp_path / "als"))
    assert back.family == "als" and back.fold_in_projection is None
    assert not (artifact.layout.resolve(tmp_path / "als") / "fold_in_projection.npy").exists()


def test_cli_trains_ease_and_answers_as_the_library(
        trained: tuple[Path, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = trained
    out = tmp_path / "m"
    assert main(["train", "--data", str(folder), "--out", str(out), "--family", "ease",
                 "--ease-lambda", "40", "--factors", "16", "--no-tune", "--segments", "3"]) == 0
    printed = capsys.readouterr().out
    assert "trained EASE (rank 16, lambda 40" in printed
    m = artifact.load(out)
    assert m.family == "ease" and m.user_factors.shape[1] == 16
    assert m.meta["tuning"]["status"].startswith("off")
    fid = str(m.films.ids[3])
    assert main(["audience", str(out), fid, "--k", "7", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli == film_audience(m, fid, k=7).to_json()
    # the HTTP service answers the same body, and /health names the family
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    with TestClient(create_app(Settings(model_path=str(out)))) as client:
        assert client.get(f"/films/{fid}/audience", params={"k": 7}).json() == cli
        health = client.get("/health").json()
    assert health["model"]["model"] == "ease" and health["model"]["params"]["family"] == "ease"
    # --family ease with the Spark engine is refused, naming the option
    code = main(["train", "--data", str(folder), "--out", str(tmp_path / "s"), "--family",
                 "ease", "--engine", "spark"])
    assert code == 2 and "--family ease" in capsys.readouterr().err
