"""``/health`` after a ``POST /admin/reload`` that was refused: ``model_folder_warning`` says the
last reload was refused and why (it said nothing: only the 409, the log and the metrics knew),
until a reload succeeds. A version damaged in place keeps its ``meta.json`` (the watcher's
stamp), so no look at the folder ever says it.

Oracle: the 409's detail and the damage made (the file named), the reload errors counted in
``/metrics``, and the model version the worker answers with."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import build_model

from recommender.model import artifact, layout
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings

KEY = "admin-key-refused"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("refused")
    return {name: artifact.save(build_model(seed), base / name) for name, seed in
            (("a", 0), ("b", 1))}


@pytest.fixture(scope="module")
def loaded(models: dict[str, Path]) -> dict[str, Model]:
    return {name: artifact.load(path) for name, path in models.items()}


def app_for(root: Path, **kw: object) -> TestClient:
    return TestClient(create_app(Settings(
        model_path=str(root / "served"), admin_key=SecretStr(KEY), models_root=str(root),
        warm_cache=False, watch_interval=0, **kw)))  # type: ignore[arg-type]


def flip(path: Path) -> None:
    """Alter one byte of ``path`` in place, its size kept (only the SHA-256 tells)."""
    raw = bytearray(path.read_bytes())
    raw[-7] ^= 0x20
    path.write_bytes(bytes(raw))


def errors_counted(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('recommender_model_reloads_total{result="error"}'):
            return float(line.split()[-1])
    return 0.0


def test_a_refused_reload_is_on_health_until_one_succeeds(
        models: dict[str, Path], loaded: dict[str, Model], tmp_path: Path) -> None:
    for name, target in (("a", "served"), ("b", "b")):
        shutil.copytree(models[name], tmp_path / target, symlinks=True)
    a, b = loaded["a"].version, loaded["b"].version
    with app_for(tmp_path) as worker:
        assert worker.get("/health").json()["model_folder_warning"] is None
        # the served version damaged in place: its meta.json (the stamp) unchanged
        stamp = layout.stamp(tmp_path / "served")
        flip(layout.resolve(tmp_path / "served") / "user_factors.npy")
        assert layout.stamp(tmp_path / "served") == stamp
        assert not worker.app.state.service.check()  # type: ignore[attr-defined]
        r = worker.post("/admin/reload", headers=AUTH)
        assert r.status_code == 409 and "user_factors.npy" in r.json()["detail"], r.text
        assert errors_counted(worker) == 1.0
        health = worker.get("/health")
        assert health.status_code == 200 and health.headers["X-Model-Version"] == a
        warning = health.json()["model_folder_warning"]
        assert warning is not None, "the refused reload left /health silent"
        assert "reload" in warning and "refused" in warning
        assert "user_factors.npy" in warning and f"still serving {a}" in warning
        assert str(tmp_path) not in warning  # paths as the 409 shows them (the models root)
        # the watcher's looks do not clear it: the folder still holds the damaged version
        assert not worker.app.state.service.check()  # type: ignore[attr-defined]
        assert worker.get("/health").json()["model_folder_warning"] == warning
        # a good save: the watcher's reload succeeds, and the warning goes
        artifact.save(loaded["b"], tmp_path / "served")
        assert worker.app.state.service.check()  # type: ignore[attr-defined]
        assert worker.get("/health").json()["model_folder_warning"] is None
        # a reload naming a damaged folder (published into the served one only once checked)
        flip(layout.resolve(tmp_path / "b") / "film_factors.npy")
        r = worker.post("/admin/reload", json={"model_path": "b"}, headers=AUTH)
        assert r.status_code == 409, r.text
        warning = worker.get("/health").json()["model_folder_warning"]
        assert "film_factors.npy" in warning and "<models root>/b" in warning
        assert f"still serving {b}" in warning
        # a reload that succeeds clears it
        assert worker.post("/admin/reload", headers=AUTH).status_code == 200
        assert worker.get("/health").json()["model_folder_warning"] is None


def test_the_refused_reload_is_hidden_without_a_read_key(
        models: dict[str, Path], tmp_path: Path) -> None:
    shutil.copytree(models["a"], tmp_path / "served", symlinks=True)
    with app_for(tmp_path, read_keys=SecretStr("analyst:read-1")) as worker:
        flip(layout.resolve(tmp_path / "served") / "user_factors.npy")
        assert worker.post("/admin/reload", headers=AUTH).status_code == 409
        assert worker.get("/health").json()["model_folder_warning"] is None
        keyed = worker.get("/health", headers={"X-API-Key": "read-1"}).json()
        assert "user_factors.npy" in keyed["model_folder_warning"]
