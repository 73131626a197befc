"""``info --json`` names the model folder as ``/health`` does: absolute (it gave the path as
typed, ``model``, while ``/health`` gave ``/srv/.../model``), and ``/health`` names it so
under a relative ``RECOMMENDER_MODEL_PATH`` too."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


def test_info_json_and_health_name_the_same_folder(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    save_model(tmp_path / "model")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    typed = os.path.join("..", "model")
    expected = os.path.join(os.getcwd(), "..", "model")  # absolute, ".." kept as typed
    code, out, err = run(capsys, "info", typed, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["model"]["path"] == expected
    # the admin key sees the served folder in full (a server without keys shows it to no one)
    admin = "a" * 32
    with TestClient(create_app(Settings(model_path=typed, admin_key=admin))) as client:
        health = client.get("/health", headers={"Authorization": f"Bearer {admin}"})
    assert health.status_code == 200
    assert health.json()["model"] == info["model"]  # every field, the path included
    assert health.json()["tuning"] == info["tuning"]
