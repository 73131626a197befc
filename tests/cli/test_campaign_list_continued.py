"""``campaign list`` shows each plan's next waves (``next_plan_ids``, as ``GET /campaigns``
lists them) in a "continued in" column: its table named none, so a plan that went on in a next
wave read as a campaign that ended. ``--json`` stays the HTTP body. Oracle: the next waves the
service planned here, and its own ``GET /campaigns``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.cli import main
from service.app import create_app
from service.settings import Settings


def test_the_list_shows_each_plans_next_waves(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    model, db = save_model(tmp_path / "model"), tmp_path / "campaigns.db"
    with TestClient(create_app(Settings(model_path=str(model), store=str(db)))) as c:
        first = c.post("/campaigns/plan", json={"films": [{"film_id": "00000", "budget": 30}],
                                                "waves": 3, "seed": 3}).json()["plan_id"]
        one = c.post(f"/campaigns/{first}/next", json={"sent_waves": 1}).json()["plan_id"]
        two = c.post(f"/campaigns/{first}/next", json={"sent_waves": 2}).json()["plan_id"]
        listing = c.get("/campaigns").json()
    assert {p["plan_id"]: p["next_plan_ids"] for p in listing["plans"]}[first] == [two, one]
    assert main(["campaign", "list", "--store", str(db), "--model", str(model),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == listing
    assert main(["campaign", "list", "--store", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.startswith("plan_id"))
    assert header.rstrip().endswith("continued in"), header
    rows = {line.split()[0]: line.rstrip() for line in lines
            if line.split() and line.split()[0] in (first, one, two)}
    assert rows[first].endswith(f"{two}, {one}"), rows[first]
    for plan_id in (one, two):  # no next wave
        assert rows[plan_id].endswith("none"), rows[plan_id]
