"""``/health`` counts the segments ``GET /segments`` lists and those it withholds apart, at
the server's minimum cell: its ``segments`` counted the withheld ones too (the Studio's
Overview showed that count above a table of fewer rows). ``info --json`` says the same at
``RECOMMENDER_MIN_CELL``, and ``info`` adds how many of the model's segments are withheld.
The oracle: three tastes of 12, 5 and 3 users, one segment each, counted from the artifact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from helpers import three_tastes_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three tastes of 12, 5 and 3 users (each watches its own three films), trained at a
    minimum cell of 3 so that each is a segment of its own."""
    return three_tastes_model(tmp_path_factory.mktemp("health-segments"))


def _sizes(model_dir: Path) -> list[int]:
    return np.bincount(np.asarray(artifact.load(model_dir).segments.labels)).tolist()


@pytest.mark.parametrize(("served", "env"), [(6, 3), (3, 13), (13, 1)])
def test_health_counts_the_listed_and_the_withheld_segments_apart(
        served: int, env: int, model_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sizes = _sizes(model_dir)
    assert sorted(sizes) == [3, 5, 12]
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(env))
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False, min_cell=served)
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()["model"]
        segments = client.get("/segments").json()
        schema = client.get("/openapi.json").json()["components"]["schemas"]["ModelInfo"]
    withheld = sum(n < served for n in sizes)  # the oracle, at the server's cell
    assert (health["segments"], health["segments_withheld"]) == (3 - withheld, withheld)
    assert health["segments"] == len(segments["segments"])
    assert health["segments_withheld"] == segments["hidden"]["segments"]
    assert "count" in schema["properties"]["segments_withheld"]["description"]
    assert "segments_withheld" in schema["required"]
    # the CLI at the environment's cell, as its `segments` lists them
    code, out, err = run(capsys, "info", str(model_dir), "--json")
    assert code == 0, err
    info = json.loads(out)["model"]
    at_env = sum(n < env for n in sizes)
    assert (info["segments"], info["segments_withheld"]) == (3 - at_env, at_env)
    code, out, err = run(capsys, "info", str(model_dir))
    assert code == 0, err
    said = (f"; 3 segments, {at_env} of them withheld (fewer than {env} users each: the "
            "minimum cell size, RECOMMENDER_MIN_CELL); " if at_env else "; 3 segments; ")
    assert said in out, out
