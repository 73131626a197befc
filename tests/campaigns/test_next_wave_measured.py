"""A next wave says what its previous plan's sent waves measured for each film, and names the
films whose whole uplift interval is at or below 0 (it planned their remaining budget without
a word of it); asked, it leaves such films, or films named, out from that wave on (it could
only plan every film's remaining budget). Oracle: responses planted so that one film's
controls all convert and its targets none (uplift -1), another's the reverse (+1)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, train_folder
from pyarrow.csv import ConvertOptions, read_csv

from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.next_wave import prepare_next_wave, refreshed_model
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.report import plan_start
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore, open_store
from recommender.errors import InvalidParameterError
from recommender.io import demo
from recommender.model import artifact
from recommender.model.model import Model
from service.app import create_app
from service.settings import Settings


@dataclass
class Measured:
    model: Model
    model_dir: Path
    db: Path
    plan_id: str
    flat: str  # every control converted, no target
    good: str  # every target converted, no control
    targets: dict[str, int]  # each film's targets in the sent wave


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    tmp = tmp_path_factory.mktemp("measured")
    folder = demo.generate(tmp / "data", seed=2, n_users=500, n_films=60, n_interactions=6_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    flat, good = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:22]].tolist()
    db = tmp / "store.db"
    store = open_store(str(db))
    plan = plan_slate(model, [SlateFilm(flat, 60), SlateFilm(good, 60)], holdout=0.3, waves=2)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    d = plan.rows.to_pydict()
    sent = [(f, u, g) for f, u, w, g in zip(d["film_id"], d["user_id"], d["wave"], d["group"],
                                            strict=True) if w == 1]
    converts = [(f, u) for f, u, g in sent if (f == flat) == (g == "control")]
    at = plan_start(plan.summary) + 3600
    record_events(store, EventBatch([f"e{i}" for i in range(len(converts))],
                                    [u for _, u in converts], [f for f, _ in converts],
                                    [at] * len(converts), [1.0] * len(converts)))
    store.close()
    targets = {f: sum(1 for g_f, _, g in sent if g_f == f and g == "target") for f in (flat, good)}
    return Measured(model, artifact.save(model, tmp / "model"), db, plan.plan_id, flat, good,
                    targets)


def plan_csv(path: Path) -> Any:
    """A plan CSV with its ids as text."""
    return read_csv(path, convert_options=ConvertOptions(
        column_types={"film_id": "string", "user_id": "string"}))


def _store(m: Measured) -> CampaignStore:
    return open_store(str(m.db))


def test_a_film_without_effect_is_named(measured: Measured, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    m = measured
    store = _store(m)
    nxt = prepare_next_wave(refreshed_model(m.model, store), store, m.plan_id, sent_waves=1)
    store.close()
    films = {f["film_id"]: f["measured_uplift"] for f in nxt.plan.summary["films"]}
    assert films[m.flat]["absolute_uplift"]["estimate"] == -1.0
    assert films[m.flat]["absolute_uplift"]["high"] < 0
    assert films[m.flat]["targets"] == m.targets[m.flat]
    assert films[m.good]["absolute_uplift"]["estimate"] == 1.0
    assert films[m.good]["absolute_uplift"]["low"] > 0
    assert nxt.plan.summary["no_effect"]["films"] == [m.flat]
    assert nxt.plan.summary["left_out"] == []  # not asked: planned all the same
    code, _, err = run_cli(capsys, "plan", m.model_dir, "--after", m.plan_id, "--store", m.db,
                           "--out", tmp_path / "next.csv")
    assert code == 0, err
    assert f"warning: film {m.flat}: the sent waves measured an uplift of -100.00 points" in err
    assert "its remaining budget is planned all the same" in err
    assert f"film {m.good}:" not in err


def test_films_left_out_are_not_planned_and_free_their_users_cap(measured: Measured) -> None:
    m = measured
    store = _store(m)
    try:
        model = refreshed_model(m.model, store)  # the events, as the CLI and HTTP refresh
        every = prepare_next_wave(model, store, m.plan_id, sent_waves=1).plan
        for kwargs, why in (({"leave_out_no_effect": True}, "no_effect"),
                            ({"leave_out": [m.flat, m.flat]}, "asked")):
            plan = prepare_next_wave(model, store, m.plan_id, sent_waves=1, **kwargs).plan
            films = plan.rows.column("film_id")
            assert plan.rows.num_rows and pc.all(pc.equal(films, m.good)).as_py()
            assert plan.summary["left_out"] == [
                {"film_id": m.flat, "budget_left": 60 - m.targets[m.flat], "why": why}]
            budget = {f["film_id"]: f["budget"] for f in plan.summary["films"]}
            assert budget == {m.flat: 0, m.good: 60 - m.targets[m.good]}
            # cap 1: the users the flat film no longer takes are the good film's to have, so
            # its expected conversions cannot fall (an exact plan of a looser problem)
            good = {f["film_id"]: f for f in plan.summary["films"]}[m.good]
            was = {f["film_id"]: f for f in every.summary["films"]}[m.good]
            assert good["expected_value"] >= was["expected_value"] - 1e-9
        with pytest.raises(InvalidParameterError, match="has no film 'nofilm'"):
            prepare_next_wave(model, store, m.plan_id, sent_waves=1, leave_out=["nofilm"])
    finally:
        store.close()


def test_leaving_out_by_cli_and_http(measured: Measured, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    m = measured
    code, _, err = run_cli(capsys, "plan", m.model_dir, "--after", m.plan_id, "--store", m.db,
                           "--out", tmp_path / "next.csv", "--leave-out-no-effect")
    assert code == 0, err
    assert f"note: film {m.flat}: the sent waves measured an uplift of -100.00 points" in err
    assert f"note: film {m.flat} left out from this wave on (no effect measured): " \
           f"{60 - m.targets[m.flat]:,} contacts of its budget left unplanned" in err
    rows = plan_csv(tmp_path / "next.csv")
    assert rows.num_rows and set(rows.column("film_id").to_pylist()) == {m.good}
    code, _, err = run_cli(capsys, "plan", m.model_dir, "--after", m.plan_id, "--store", m.db,
                           "--out", tmp_path / "x.csv", "--leave-out", "nofilm")
    assert code == 2 and f"plan {m.plan_id} has no film 'nofilm'" in err
    assert not (tmp_path / "x.csv").exists()
    code, _, err = run_cli(capsys, "plan", m.model_dir, "--slate", tmp_path / "s.csv",
                           "--out", tmp_path / "x.csv", "--leave-out", m.flat)
    assert code == 2 and "--leave-out only appl" in err
    settings = Settings(model_path=str(m.model_dir), store=str(m.db), warm_cache=False)
    with TestClient(create_app(settings)) as c:
        url = f"/campaigns/{m.plan_id}/next"
        r = c.post(url, json={"sent_waves": 1, "leave_out_film_ids": ["nofilm"]})
        assert r.status_code == 422 and "has no film 'nofilm'" in r.json()["detail"]
        r = c.post(url, json={"sent_waves": 1, "leave_out_film_ids": [m.good],
                              "leave_out_no_effect": True})
        assert r.status_code == 409 and "left out" in r.json()["detail"]
        r = c.post(url, json={"sent_waves": 1, "leave_out_no_effect": "yes"})
        assert r.status_code == 422
        r = c.post(url, json={"sent_waves": 1, "leave_out_film_ids": [m.good]})
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["left_out"] == [
            {"film_id": m.good, "budget_left": 60 - m.targets[m.good], "why": "asked"}]


def test_leaving_out_says_what_it_left(measured: Measured, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A film asked for by its id less its leading zeros is pointed to; a chain whose films
    were all left out says so when a later wave finds nothing to plan (it said the sent waves
    spent every budget)."""
    m = measured
    padded = f"00{m.flat}"
    store = _store(m)
    try:
        with pytest.raises(InvalidParameterError, match=f"did you mean '{m.flat}'"):
            prepare_next_wave(m.model, store, m.plan_id, sent_waves=1, leave_out=[padded])
    finally:
        store.close()
    # the good film out in a stored next wave; then the flat one out of the wave after it
    settings = Settings(model_path=str(m.model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False)
    from shutil import copyfile

    copyfile(m.db, tmp_path / "s.db")
    with TestClient(create_app(settings)) as c:
        r = c.post(f"/campaigns/{m.plan_id}/next",
                   json={"sent_waves": 1, "leave_out_film_ids": [m.good]})
        assert r.status_code == 200, r.text
        second = r.json()["plan_id"]
        # its one wave sent, the flat film's budget is spent and the good one was left out
        r = c.post(f"/campaigns/{second}/next", json={"sent_waves": 1})
        assert r.status_code == 409
        assert "spent every film's budget (or had none: a budget of 0, or left out by an " \
               "earlier wave)" in r.json()["detail"]
        r = c.post(f"/campaigns/{m.plan_id}/next",
                   json={"sent_waves": 1, "leave_out_film_ids": [m.good, m.flat]})
        assert r.status_code == 409
        assert f"left out ({m.flat}, {m.good})" in r.json()["detail"]


def test_the_uplift_measured_reads_the_events_the_model_reflects(measured: Measured,
                                                                 tmp_path: Path) -> None:
    """The measured uplift and ``no_effect`` are of the events up to the summary's
    ``events_seq``, those the refreshed model reflects: events stored after the refresh (the
    flat film's targets converting after all) changed which films were left out while the
    summary said the plan was of the events before them."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(measured.db, db)  # the fixture closed it: its WAL checkpointed
    store = open_store(str(db))
    try:
        model = refreshed_model(measured.model, store)
        before = prepare_next_wave(model, store, measured.plan_id, sent_waves=1).plan.summary
        assert before["no_effect"]["films"] == [measured.flat]
        rows = plan_csv_rows(store, measured.plan_id, measured.flat)
        at = plan_start(before) + 7200
        record_events(store, EventBatch([f"late{i}" for i in range(len(rows))], rows,
                                        [measured.flat] * len(rows), [at] * len(rows),
                                        [1.0] * len(rows)))
        after = prepare_next_wave(model, store, measured.plan_id, sent_waves=1).plan.summary
        assert after["events_seq"] == before["events_seq"]
        assert after["no_effect"] == before["no_effect"]
        assert [f["measured_uplift"] for f in after["films"]] == [
            f["measured_uplift"] for f in before["films"]]
        fresh = prepare_next_wave(refreshed_model(measured.model, store), store,
                                  measured.plan_id, sent_waves=1).plan.summary
        assert fresh["events_seq"] > before["events_seq"]
        assert fresh["no_effect"]["films"] == []  # its targets converted: no longer flat
    finally:
        store.close()


def plan_csv_rows(store: CampaignStore, plan_id: str, film: str) -> list[str]:
    """The users of ``film``'s targets in wave 1 of ``plan_id``."""
    rows = [r for part in store.iter_rows(plan_id) for r in part.to_pylist()]
    return [r["user_id"] for r in rows if r["film_id"] == film and r["wave"] == 1
            and r["group"] == "target"]


ADVICE = "--leave-out-no-effect"


@pytest.mark.parametrize("options", [["--leave-out-no-effect"], ["--leave-out", "FLAT"]])
def test_the_advice_to_leave_out_is_given_only_where_it_changes_the_plan(
        measured: Measured, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        options: list[str]) -> None:
    """With the flat film left out (by the option itself, or by its id), the summary's
    ``no_effect`` note (the --json body, the --summary file, HTTP) still advised passing
    --leave-out-no-effect: taking that advice changes nothing. Without it, the advice stays."""
    m = measured
    argv = ["plan", m.model_dir, "--after", m.plan_id, "--store", m.db, "--json"]
    code, out, err = run_cli(capsys, *argv, "--out", tmp_path / "all.csv")
    assert code == 0, err
    every = json.loads(out)["summary"]
    assert every["no_effect"]["films"] == [m.flat]  # the oracle: planned, so advised
    assert ADVICE in every["no_effect"]["note"] and f"{ADVICE} leaves such films out" in err
    given = [m.flat if o == "FLAT" else o for o in options]
    code, out, err = run_cli(capsys, *argv, *given, "--out", tmp_path / "next.csv",
                             "--summary", tmp_path / "summary.json")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary == json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["no_effect"]["films"] == [m.flat]  # still named: measured so
    assert {f["film_id"]: f["budget"] for f in summary["films"]}[m.flat] == 0
    assert ADVICE not in summary["no_effect"]["note"]
    assert "none of them is planned in this wave" in summary["no_effect"]["note"]
    said = [line for line in err.splitlines() if f"film {m.flat}: the sent waves" in line]
    assert len(said) == 1 and said[0].startswith("note: ")
    assert said[0].endswith(f"no effect; left out ({options[0]})")


def test_no_advice_for_a_film_of_no_effect_whose_budget_is_spent(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A film of no effect whose sent waves spent its budget plans nothing: leaving it out
    changes nothing, so neither the summary's note nor the CLI's line advises it."""
    from recommender.campaigns.next_wave import measured_so_far
    from recommender.cli.campaigns import print_notes

    flat = {"estimate": -0.2, "low": -0.3, "high": -0.1}
    blocks = {"f1": {"absolute_uplift": flat, "measured_targets": 9, "controls": 4}}
    for budget, advised in ((0, False), (5, True)):
        summary: dict[str, Any] = {"films": [{"film_id": "f1", "budget": budget}],
                                   "left_out": [], "horizon": {}}
        measured_so_far(summary, blocks, "plan-x")
        assert summary["no_effect"]["films"] == ["f1"]
        assert (ADVICE in summary["no_effect"]["note"]) is advised
        print_notes(summary)
        err = capsys.readouterr().err
        assert (ADVICE in err) is advised, err
        assert err.startswith("warning: film f1:" if advised else "note: film f1:"), err
        assert ("no budget of it is left to plan" in err) is not advised, err


def test_no_film_of_no_effect_is_said(measured: Measured, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Where no film's sent waves measured no effect, ``--leave-out-no-effect`` leaves nothing
    out and the plan is the one planned without it: the CLI said nothing of it (the
    summary's ``no_effect.note`` says so, and the HTTP answer carries it). Oracle: a plan
    whose sent wave's targets all convert and no control, so every film's uplift is +1."""
    m = measured
    store = open_store(str(tmp_path / "s.db"))
    plan = plan_slate(m.model, [SlateFilm(m.flat, 60), SlateFilm(m.good, 60)], holdout=0.3,
                      waves=2)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    d = plan.rows.to_pydict()
    converts = [(f, u) for f, u, w, g in zip(d["film_id"], d["user_id"], d["wave"],
                                             d["group"], strict=True)
                if w == 1 and g == "target"]
    at = plan_start(plan.summary) + 3600
    record_events(store, EventBatch([f"e{i}" for i in range(len(converts))],
                                    [u for _, u in converts], [f for f, _ in converts],
                                    [at] * len(converts), [1.0] * len(converts)))
    store.close()
    argv = ["plan", m.model_dir, "--after", plan.plan_id, "--store", tmp_path / "s.db",
            "--sent-waves", "1", "--leave-out-no-effect"]
    code, out, err = run_cli(capsys, *argv, "--json", "--out", tmp_path / "next.csv")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["no_effect"]["films"] == [] and summary["left_out"] == []
    assert {f["film_id"]: f["measured_uplift"]["absolute_uplift"]["low"] > 0
            for f in summary["films"]} == {m.flat: True, m.good: True}
    note = summary["no_effect"]["note"]
    assert note.startswith("no film's sent waves measured"), note
    assert f"note: {note}\n" in err, err
    code, _, err = run_cli(capsys, *argv, "--out", tmp_path / "next2.csv")  # the tables too
    assert code == 0 and f"note: {note}\n" in err, err
    settings = Settings(model_path=str(m.model_dir), store=str(tmp_path / "s.db"),
                        warm_cache=False)
    with TestClient(create_app(settings)) as c:
        r = c.post(f"/campaigns/{plan.plan_id}/next",
                   json={"sent_waves": 1, "leave_out_no_effect": True})
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["no_effect"] == {"films": [], "note": note}
