"""A plan whose rounding leaves some waves of a film without a control says so when it is
planned: at the defaults (holdout 0.1, 3 waves) a budget of 10 gave one or two waves of each
film no control group, and the report then left their targets out (7 of 10) without a word
from the planner. The summary's ``plan_notes`` name the waves, the targets left out, and the
budget, waves or holdout that give every wave a control; ``plan`` prints them as warnings;
CLI = HTTP. The oracle: the control and target rows of each wave, counted from the plan's
rows, the planner run again at each remedy it names, and the stored plan's report, whose
film blocks leave out the targets each note counts."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.campaigns.plan import plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

KIND = "waves_without_control"


def _bare(plan: Any) -> dict[str, tuple[list[int], int]]:
    """Per film, from the plan's rows: its waves with targets and no control row, and their
    target rows in all (films with a control somewhere and such a wave only)."""
    rows = plan.rows.to_pydict()
    count = Counter(zip(rows["film_id"], rows["wave"], rows["group"], strict=True))
    films = {f for f, _, _ in count}
    out = {}
    for f in films:
        waves = sorted({w for g, w, _ in count if g == f})
        bare = [w for w in waves if count[f, w, "target"] and not count[f, w, "control"]]
        if bare and any(count[f, w, "control"] for w in waves):
            out[f] = (bare, sum(count[f, w, "target"] for w in bare))
    return out


def _notes(plan: Any) -> dict[str, str]:
    return {n["film_id"]: n["note"] for n in plan.summary.get("plan_notes", [])
            if n["kind"] == KIND}


def _plan(model: Any, films: list[str], budget: int, **kw: Any) -> Any:
    kw = {"holdout": 0.1, "waves": 3, "cap": 1, **kw}  # the CLI's and the service's defaults
    return plan_slate(model, [SlateFilm(f, budget) for f in films], progress=False, **kw)


def test_waves_without_a_control_are_named_with_their_targets() -> None:
    model = synthetic_model(n_users=400, n_films=12, seed=5)
    films = [str(f) for f in model.films.ids]
    plan = _plan(model, films, 10)  # the defaults: holdout 0.1, 3 waves
    bare = _bare(plan)
    notes = _notes(plan)
    assert set(notes) == set(bare) and bare  # every such film, and only those
    for film, (waves, left) in bare.items():
        note = notes[film]
        named = [int(w) for w in re.findall(r"\d+", note.split(" hold")[0])]
        assert named == waves, (note, waves)
        assert f" {left} target{'s' if left != 1 else ''} (of 10) out of its rates" in note
        assert 1 <= len(waves) <= 2  # README: one or two of a film's 3 waves at budget 10
    # a budget whose waves all hold a control (the cap leaves every film its users): no note
    big = _plan(model, films[:4], 60)
    assert all(f["selected"] >= 30 for f in big.summary["films"])
    assert not _bare(big) and not _notes(big)


def test_each_remedy_named_gives_every_wave_a_control() -> None:
    """The budget, the number of waves and the holdout the note names: the film planned
    again at each has a control row in every wave (counted from its rows)."""
    model = synthetic_model(n_users=400, n_films=12, seed=5)
    films = [str(f) for f in model.films.ids]
    notes = _notes(_plan(model, films, 10))
    assert notes
    for film, note in notes.items():
        budget = int(re.search(r"a budget of at least ([\d,]+)", note)[1].replace(",", ""))
        waves = int(re.search(r"at most (\d+) waves?", note)[1])
        holdout = float(re.search(r"a holdout of at least ([\d.]+)", note)[1])
        assert budget > 10 and waves < 3 and holdout > 0.1, note
        assert "each suffices by itself" in note and "not the least that works" in note
        for again in (_plan(model, [film], budget), _plan(model, [film], 10, waves=waves),
                      _plan(model, [film], 10, holdout=holdout)):
            rows = again.rows.to_pydict()
            per_wave = Counter(w for w, g in zip(rows["wave"], rows["group"], strict=True)
                               if g == "control")
            assert set(per_wave) == set(rows["wave"]), (note, per_wave)


def test_cli_warns_and_http_says_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=400, n_films=12, seed=5)
    films = [str(f) for f in model.films.ids]
    expected = _notes(_plan(model, films, 10))
    assert expected
    folder = artifact.save(model, tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + "".join(f"{f},10\n" for f in films))
    args = ("plan", folder, "--slate", slate, "--out", tmp_path / "p.csv")
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    cli = [n for n in json.loads(out)["summary"]["plan_notes"] if n["kind"] == KIND]
    assert {n["film_id"]: n["note"] for n in cli} == expected
    for n in cli:  # on stderr, as the other plan notes
        assert f"warning: film {n['film_id']}: {n['note']}" in err, err
    settings = Settings(model_path=str(folder), store=str(tmp_path / "store.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.post("/campaigns/plan", json={"films": [{"film_id": f, "budget": 10}
                                                           for f in films]})
        assert r.status_code == 200, r.text
        report = client.get(f"/campaigns/{r.json()['plan_id']}/report")
    assert [n for n in r.json()["summary"]["plan_notes"] if n["kind"] == KIND] == cli
    # the report leaves out the targets the note counts, film by film
    assert report.status_code == 200, report.text
    left = {f["film_id"]: f["targets"] - f["measured_targets"]
            for f in report.json()["films"]
            if f["controls"] and f["targets"] > f["measured_targets"]}  # some measured
    said = {n["film_id"]: int(re.search(r" ([\d,]+) targets? \(of", n["note"])[1]
                                            .replace(",", ""))
            for n in cli}
    assert left == said
