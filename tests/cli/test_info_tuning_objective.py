"""``GET /health``'s and ``info``'s tuning say what their validation objective measures:
meta.json records it (``tuning.objective``), but the summary they share dropped it, so
``validation_objective: {"chosen": 0.55, "start": 0.46}`` named no metric."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from service.app import create_app
from service.settings import Settings


def _log(path: Path, users: int = 60, films: int = 30) -> Path:
    rng = np.random.default_rng(0)
    rows = {(f"u{u}", f"f{f}") for u in range(users) for f in rng.choice(films, 8, replace=False)}
    path.write_text("user_id,film_id\n" + "".join(f"{u},{f}\n" for u, f in sorted(rows)))
    return path


def test_health_and_info_name_what_the_validation_objective_measures(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                       tmp_path / "m", "--iterations", "2", "--factors", "4", "--segments", "2")
    assert code == 0, err
    recorded = json.loads((tmp_path / "m" / "meta.json").read_text())["tuning"]
    assert recorded["status"] == "searched"
    said = recorded["objective"]  # the oracle: what the search wrote into meta.json
    chosen = recorded["validation"]["chosen"]["objective"]
    start = recorded["validation"]["start"]["objective"]
    with TestClient(create_app(Settings(model_path=str(tmp_path / "m")))) as client:
        health = client.get("/health").json()["tuning"]
    assert health["objective"] == said
    assert health["validation_objective"] == {"chosen": chosen, "start": start}
    code, out, err = run(capsys, "info", tmp_path / "m", "--json")
    assert code == 0, err
    assert json.loads(out)["tuning"] == health
    code, out, err = run(capsys, "info", tmp_path / "m")
    assert code == 0, err
    line = next(n for n in out.splitlines() if n.startswith("tuning: "))
    assert line.endswith(f"; validation objective {chosen}, starting point {start} (the "
                         f"objective: {said})")


def test_info_says_nothing_of_a_validation_where_no_search_ran(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "train", "--data", _log(tmp_path / "log.csv"), "--out",
                       tmp_path / "m", "--iterations", "2", "--factors", "4", "--segments", "2",
                       "--no-tune")
    assert code == 0, err
    code, out, err = run(capsys, "info", tmp_path / "m")
    assert code == 0, err
    line = next(n for n in out.splitlines() if n.startswith("tuning: "))
    assert "objective" not in line
