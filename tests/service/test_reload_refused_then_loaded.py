"""``model_folder_warning`` after a refused ``POST /admin/reload`` is not set when another reload
succeeded meanwhile: the watcher may take the reload lock between the refusal and the moment
the route records it (the route runs the reload in a thread, then says so on the event loop),
and the warning then said the worker's last reload was refused while it served the good model
loaded after it, until the next reload.

Oracle: the model version ``/health`` answers with (the good save's) and the reload errors
counted in ``/metrics`` (the refusal happened: one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import build_model

from recommender.model import artifact, layout
from service.app import create_app
from service.settings import Settings
from service.state import ReloadError

KEY = "admin-key-refused-then-loaded"
AUTH = {"Authorization": f"Bearer {KEY}"}


def flip(path: Path) -> None:
    """Alter one byte of ``path`` in place, its size kept (only the SHA-256 tells)."""
    raw = bytearray(path.read_bytes())
    raw[-7] ^= 0x20
    path.write_bytes(bytes(raw))


def test_a_reload_that_succeeds_after_the_refusal_leaves_no_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    artifact.save(build_model(0), tmp_path / "served")
    good = build_model(1)
    with TestClient(create_app(Settings(
            model_path=str(tmp_path / "served"), admin_key=SecretStr(KEY),
            models_root=str(tmp_path), warm_cache=False, watch_interval=0))) as worker:
        service = worker.app.state.service  # type: ignore[attr-defined]
        flip(layout.resolve(tmp_path / "served") / "user_factors.npy")
        refused = service.reload

        def refused_then_watcher(path: str | None = None) -> Any:
            try:
                return refused(path)
            except ReloadError:
                # the watcher, right after the refusal: a good save, loaded
                artifact.save(good, tmp_path / "served")
                assert service.check()
                raise

        monkeypatch.setattr(service, "reload", refused_then_watcher)
        r = worker.post("/admin/reload", headers=AUTH)
        assert r.status_code == 409, r.text
        health = worker.get("/health")
        assert health.headers["X-Model-Version"] == good.version
        assert health.json()["model_folder_warning"] is None, health.json()
        counted = [line for line in worker.get("/metrics").text.splitlines()
                   if line.startswith('recommender_model_reloads_total{result="error"}')]
        assert counted and float(counted[0].split()[-1]) == 1.0
