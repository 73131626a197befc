"""``campaign simulate`` of a plan that selects users new to the model (folded in from the
store's events when it was planned): refused saying so, not told to use the model it was
planned on, which it was."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import run_cli as run

from recommender.io import demo


def test_a_plan_of_users_folded_in_from_events_is_refused_naming_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.campaigns.store import open_store
    from recommender.cli import main

    folder = demo.generate(tmp_path / "data", seed=5, n_users=200, n_films=30,
                           n_interactions=1200)
    model = tmp_path / "m"
    assert main(["train", "--data", str(folder), "--out", str(model), "--no-tune",
                 "--factors", "8", "--iterations", "3"]) == 0
    films = [line.split(",")[0] for line in (folder / "films.csv").read_text().splitlines()[1:6]]
    now = int(time.time()) - 60
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"newcomer-7,{f},{now}\n" for f in films[1:]))
    store = tmp_path / "s.db"
    assert run(capsys, "events", "import", "--store", store, tmp_path / "ev.csv")[0] == 0
    (tmp_path / "slate.csv").write_text(f"film_id,budget\n{films[0]},1000\n")
    assert run(capsys, "plan", model, "--slate", tmp_path / "slate.csv", "--out",
               tmp_path / "plan.csv", "--waves", "1", "--store", store)[0] == 0
    s = open_store(str(store))
    plan_id = str(s.list_plans()[1][0]["plan_id"])
    s.close()
    assert "newcomer-7" in (tmp_path / "plan.csv").read_text()
    code, _, err = run(capsys, "campaign", "simulate", plan_id, "--data", folder, "--model",
                       model, "--store", store, "--out", tmp_path / "r.csv")
    assert code == 2
    assert "'newcomer-7'" in err and "taste group" in err, err
    assert "simulate with the model it was planned on" not in err
    assert not (tmp_path / "r.csv").exists()
