"""``info --json`` and ``GET /health`` carry the log's time span (meta.json's
``data.time_span``), as the text ``info`` prints it: they left it out, so a client reading the
served model could not tell the year its log was from. A model folder written before the span
was recorded says null and still loads, serves and reloads. Oracle: the times the log was
written with (each pair once, so its first event), read back by ``datetime`` in UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from recommender.io.dataset import Interactions
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.training import train
from service.app import create_app
from service.settings import Settings

KEY = "time-span-key"
START = -600_000_000  # 1950: before the epoch, so a sign slip shows


def _stamps() -> np.ndarray:
    return START + np.random.default_rng(4).integers(0, 400 * 86_400, 900).astype(np.int64)


def _saved(path: Path, recorded: bool) -> Path:
    """A small model of a timed log saved to ``path``; without ``recorded``, its meta.json as
    an engine before ``data.time_span`` wrote it."""
    rng = np.random.default_rng(4)
    n = 900
    users = np.char.add("u", rng.integers(0, 60, n).astype(str))
    films = np.char.add("f", np.arange(n).astype(str))  # each pair once: its time its first
    data = Interactions.from_columns(pa.array(users), pa.array(films), timestamp=_stamps())
    model = train(data, TrainConfig(factors=4, iterations=2, segments=1, tune=False, seed=0),
                  progress=False)
    if not recorded:
        model.meta["data"].pop("time_span")
    return artifact.save(model, path)


def _expected() -> dict[str, object]:
    ts = _stamps()
    lo, hi = int(ts.min()), int(ts.max())

    def iso(s: int) -> str:
        return datetime.fromtimestamp(s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"first": iso(lo), "last": iso(hi), "first_unix_seconds": lo,
            "last_unix_seconds": hi, "days": round((hi - lo) / 86_400, 3), "timezone": "UTC"}


def _info(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, object]:
    code, out, err = run(capsys, "info", path, "--json")
    assert code == 0, err
    return dict(json.loads(out)["model"])


def test_info_json_and_health_carry_the_time_span(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = _saved(tmp_path / "m", recorded=True)
    info = _info(capsys, path)
    assert info["time_span"] == _expected()
    assert info["time_span"] == artifact.load(path).meta["data"]["time_span"]
    with TestClient(create_app(Settings(model_path=str(path), api_key=KEY))) as client:
        # the admin key: its paths in full, as info says them
        health = client.get("/health", headers={"Authorization": f"Bearer {KEY}"})
        assert health.status_code == 200, health.text
        assert health.json()["model"] == info  # every field, the span included
        reload = client.post("/admin/reload", headers={"Authorization": f"Bearer {KEY}"})
        assert reload.status_code == 200, reload.text
        assert reload.json()["model"]["time_span"] == _expected()


def test_a_model_without_a_recorded_span_says_null_and_still_serves(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _saved(tmp_path / "old", recorded=False)
    info = _info(capsys, old)
    assert "time_span" in info and info["time_span"] is None
    headers = {"Authorization": f"Bearer {KEY}"}
    with TestClient(create_app(Settings(model_path=str(old), api_key=KEY))) as client:
        health = client.get("/health", headers=headers)
        assert health.status_code == 200, health.text
        assert health.json()["model"] == info
        # a retrained model in the same folder, reloaded: the span appears
        _saved(old, recorded=True)
        reload = client.post("/admin/reload", headers=headers)
        assert reload.status_code == 200, reload.text
        assert reload.json()["model"]["time_span"] == _expected()
        assert client.get("/health", headers=headers).json()["model"] == _info(capsys, old)


def test_the_schema_says_the_span_s_units(tmp_path: Path) -> None:
    path = _saved(tmp_path / "m", recorded=True)
    with TestClient(create_app(Settings(model_path=str(path)))) as client:
        doc = client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    assert "time_span" in schemas["ModelInfo"]["properties"]
    span = schemas["TimeSpan"]["properties"]
    assert set(span) == set(_expected())
    assert "unix seconds" in span["first_unix_seconds"]["description"]
    assert "days" in span["days"]["description"]
    assert "UTC" in span["first"]["description"]
