"""The engine a service builds reads a segment at the service's minimum cell
(``Settings.min_cell``), as ``GET /segments`` lists them: ``Engine.audience`` called
``film_audience`` without it, so a service started with a cell other than
``RECOMMENDER_MIN_CELL``'s took a segment by the environment's on that path (and a film's
details by default too), where every route reads the setting. An engine built elsewhere reads
the environment's (the library's default); an engine derived for campaign events keeps its
base's. The oracle: a one-segment model of 2 users (counted from the artifact)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.serving.engine import Engine
from recommender.serving.overlay import engine_with
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two users of one taste, trained at a minimum cell of 2: one segment of both."""
    root = tmp_path_factory.mktemp("engine-cell")
    log = root / "log.csv"
    log.write_text("user_id,film_id,rating\nu0,f0,4\nu0,f1,4\nu1,f0,4\nu1,f2,4\n",
                   encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECOMMENDER_MIN_CELL", "2")
        assert main(["train", "--data", str(log), "--out", str(root / "m"), "--no-tune",
                     "--factors", "4", "--iterations", "3", "--holdout", "0"]) == 0
    model = artifact.load(root / "m")
    assert np.bincount(np.asarray(model.segments.labels)).tolist() == [2]
    return root / "m"


def _label(model_dir: Path) -> str:
    return str(artifact.load(model_dir).segments.info[0]["label"])


def _taken(engine: Engine, label: str) -> bool:
    """Whether the engine's audience takes the segment by its label."""
    try:
        engine.audience("f1", k=10, segment=label)
    except InvalidParameterError:
        return False
    return True


def _plain(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


@pytest.mark.parametrize(("served", "env"), [(2, 10), (10, 2)])
def test_the_services_engine_reads_a_segment_at_the_services_minimum(
        served: int, env: int, model_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    label = _label(model_dir)
    listed = 2 >= served  # the oracle: the segment's 2 users against the server's minimum
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(env))
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False, min_cell=served)
    with TestClient(create_app(settings)) as client:
        segments = client.get("/segments").json()
        page = client.get("/films/f1/audience", params={"segment": label})
        detail = client.get("/films/f0")
        engine = client.app.state.service.engine  # type: ignore[attr-defined]
        assert [s["label"] for s in segments["segments"]] == ([label] if listed else [])
        assert page.status_code == (200 if listed else 422), page.text
        # the engine the service answers with takes what GET /segments lists, no more
        assert _taken(engine, label) == listed
        if listed:
            assert _plain(engine.audience("f1", segment=label).to_json()) == page.json()
        assert detail.status_code == 200, detail.text
        assert _plain(engine.film_details("f0")) == detail.json()
        assert engine.min_cell == served
        # an engine with campaign events applied reads at its base's cell
        assert engine_with(engine, engine.model).min_cell == served


@pytest.mark.parametrize("env", [2, 10])
def test_an_engine_built_without_a_cell_reads_the_environments(
        env: int, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(env))
    model = artifact.load(model_dir)
    assert _taken(Engine(model), _label(model_dir)) == (2 >= env)
    assert _taken(Engine(model, min_cell=12 - env), _label(model_dir)) == (2 >= 12 - env)
    with pytest.raises(InvalidParameterError, match="min_cell must be >= 1, got 0"):
        Engine(model, min_cell=0)
