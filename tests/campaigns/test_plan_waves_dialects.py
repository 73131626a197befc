"""``GET /campaigns``'s figures per wave are the same grouped query on SQLite and PostgreSQL.

The sum of ``p`` over a ``CASE`` and the counts of each group are portable SQLAlchemy Core; on
either store a plan withdrawn after 1 sent wave lists each wave as its own rows count it.
Oracle: the plan's rows as ``GET /campaigns/{plan_id}/plan.csv`` gave them before the
withdrawal, counted here per wave.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("waves") / "model")


def test_per_wave_figures_on_each_store(store_target: str, model_dir: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=store_target)
    with TestClient(create_app(settings)) as c:
        plan_id = c.post("/campaigns/plan", json={
            "films": [{"film_id": "00000", "budget": 40}, {"film_id": "00002", "budget": 6}],
            "waves": 2, "holdout": 0.2, "seed": 9}).json()["plan_id"]
        rows = list(csv.DictReader(io.StringIO(c.get(f"/campaigns/{plan_id}/plan.csv").text)))
        assert c.post(f"/campaigns/{plan_id}/withdraw",
                      json={"sent_waves": 1}).status_code == 200
        listed = next(p for p in c.get("/campaigns").json()["plans"]
                      if p["plan_id"] == plan_id)
    for w in listed["per_wave"]:
        mine = [r for r in rows if r["wave"] == str(w["wave"])]
        targets = [r for r in mine if r["group"] == "target"]
        assert w["targets"] == len(targets) > 0
        assert w["controls"] == len(mine) - len(targets)
        assert w["expected_conversions"] == pytest.approx(
            sum(float(r["p"]) for r in targets), abs=1e-5)
        assert (w["sent"], w["sent_by"], w["withdrawn_unsent"]) == (
            (True, "withdrawal", False) if w["wave"] == 1 else (False, None, True))
    assert [w["wave"] for w in listed["per_wave"]] == [1, 2]
    assert listed["sent_totals"]["targets"] == listed["per_wave"][0]["targets"]
    assert sum(w["controls"] for w in listed["per_wave"]) > 0
