"""A plan that comes out without a control group, or in fewer waves than asked, says so when
it is planned: ``plan --slate tiny.csv --waves 5`` (budget 3) gave control 0, flag "none" and
3 waves where 5 were asked, without a word. The summary's ``plan_notes`` name the film, why,
and the contacts one control needs (the oracle: planning again at that budget, and one
less); ``plan`` prints them as warnings; CLI = HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

HOLDOUT = 0.3


def _control(model: object, film: str, budget: int, waves: int = 5) -> int:
    plan = plan_slate(model, [SlateFilm(film, budget)], holdout=HOLDOUT, waves=waves,
                      progress=False)
    return int(plan.summary["films"][0]["control"])


def test_no_control_and_fewer_waves_are_said() -> None:
    model = synthetic_model(n_users=400, n_films=10, seed=3)
    film = str(model.films.ids[2])
    seen = set()
    for budget in range(1, 12):
        plan = plan_slate(model, [SlateFilm(film, budget)], holdout=HOLDOUT, waves=5,
                          progress=False)
        row = plan.summary["films"][0]
        notes = {n["kind"]: n for n in plan.summary.get("plan_notes", [])}
        assert all(n["film_id"] == film for n in notes.values())
        if row["control"] == 0:
            said = notes["no_control"]["note"]
            assert f"budget {budget} too small for holdout {HOLDOUT:g}" in said, said
            need = int(said.split("at least ")[1].split(" contacts")[0])
            assert need > budget
            # the oracle: the planner itself, at that budget and one less
            assert _control(model, film, need) >= 1
            assert _control(model, film, need - 1) == 0
        else:
            assert "no_control" not in notes
        seen.add(row["control"] == 0)
        n_waves = len(row["waves"])
        assert ("fewer_waves" in notes) is (n_waves < 5)
        if n_waves < 5:
            assert notes["fewer_waves"]["note"].startswith(f"{n_waves} wave")
            assert f"not the 5 asked: its {row['selected']} selected user" in \
                notes["fewer_waves"]["note"]
    assert seen == {True, False}  # budgets with and without a control group
    plan = plan_slate(model, [SlateFilm(film, 40)], holdout=HOLDOUT, waves=5, progress=False)
    assert "plan_notes" not in plan.summary  # a control and every wave: nothing to say
    plan = plan_slate(model, [SlateFilm(film, 3)], holdout=0.0, waves=1, progress=False)
    assert "plan_notes" not in plan.summary  # no holdout asked: none is missing


def test_cli_and_http_say_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=400, n_films=10, seed=3)
    film = str(model.films.ids[2])
    folder = artifact.save(model, tmp_path / "model")
    slate = tmp_path / "tiny.csv"
    slate.write_text(f"film_id,budget\n{film},1\n")
    args = ("plan", folder, "--slate", slate, "--waves", 5, "--holdout", HOLDOUT, "--out",
            tmp_path / "p.csv")
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    cli = json.loads(out)["summary"]["plan_notes"]
    assert {n["kind"] for n in cli} == {"no_control", "fewer_waves"}
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    for n in cli:
        assert f"warning: film {film}: {n['note']}" in err, err
    settings = Settings(model_path=str(folder), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.post("/campaigns/plan", json={"films": [{"film_id": film, "budget": 1}],
                                                 "waves": 5, "holdout": HOLDOUT})
    assert r.status_code == 200, r.text
    assert r.json()["summary"]["plan_notes"] == cli


def test_a_film_left_few_users_by_the_cap_says_so() -> None:
    """Three films over 8 users at a cap of 1: one is selected 2 users though 7 are eligible
    and its budget allows more, the others going to the slate's other films; its note says the
    cap left them to the other films, not that it had too few eligible users. The oracle:
    the same film planned alone gets its control group."""
    model = synthetic_model(n_users=8, n_films=6, seed=3)
    films = [str(f) for f in model.films.ids[:3]]
    plan = plan_slate(model, [SlateFilm(f, 10) for f in films], holdout=HOLDOUT, waves=1,
                      progress=False, cap=1)
    rows = {r["film_id"]: r for r in plan.summary["films"]}
    notes = [n for n in plan.summary["plan_notes"] if n["kind"] == "no_control"]
    assert notes
    for note in notes:
        row = rows[note["film_id"]]
        assert row["control"] == 0 and row["eligible_users"] > row["selected"]
        sel = row["selected"]
        assert (f"its {sel} selected user{' is' if sel == 1 else 's are'} too few"
                in note["note"]), note
        assert "left to the slate's other films by the frequency cap" in note["note"], note
        assert _control(model, note["film_id"], 10, waves=1) >= 1  # alone: a control
