"""The loop over HTTP and from the command line: plan, record responses, report, next wave;
and `train --events` folding the store's events into the next model."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

import recommender.campaigns.report as report_module
from recommender.campaigns.events import read_events
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.io import demo
from recommender.model import artifact
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("loop-surfaces") / "model")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_next_wave_names_events_of_films_the_model_lacks(model_dir: Path,
                                                           tmp_path: Path) -> None:
    """Every event of the store was of a film the model lacks: the next wave's events_seq
    read 0 (the model as trained), while X-Events-Seq named the store's sequence."""
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        events_poll=3600, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        body = {"films": [{"film_id": "00003", "budget": 20}], "waves": 2, "seed": 1}
        plan_id = client.post("/campaigns/plan", json=body).json()["plan_id"]
        now = int(time.time())
        seq = client.post("/events", json={"events": [
            {"event_id": f"n-{i}", "user_id": "u2", "film_id": f"not-in-model-{i}",
             "timestamp": now} for i in range(3)]}).json()["sequence"]
        r = client.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1})
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["events_seq"] == seq == int(r.headers["X-Events-Seq"]) > 0


def test_the_loop_over_http(model_dir: Path, tmp_path: Path) -> None:
    settings = Settings(model_path=str(model_dir), store=str(tmp_path / "s.db"),
                        events_poll=0.05, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        body = {"films": [{"film_id": "00003", "budget": 40}, {"film_id": "00005", "budget": 30}],
                "waves": 2, "holdout": 0.25, "seed": 1}
        plan_id = client.post("/campaigns/plan", json=body).json()["plan_id"]
        rows = _rows(client.get(f"/campaigns/{plan_id}/plan.csv").text)
        w1 = [r for r in rows if r["wave"] == "1" and r["film_id"] == "00003"]
        w2 = [r for r in rows if r["wave"] == "2" and r["film_id"] == "00003"]
        targets = [r["user_id"] for r in w1 if r["group"] == "target"]
        controls = [r["user_id"] for r in w1 if r["group"] == "control"]
        first = client.get(f"/campaigns/{plan_id}").json()["summary"]
        for f in first["films"]:  # a budget counts target rows; the controls come on top
            mine = [r for r in rows if r["film_id"] == f["film_id"]]
            assert f["contacts"] == sum(r["group"] == "target" for r in mine) <= f["budget"]
            assert f["selected"] == len(mine) <= f["selected_limit"]
        now = int(time.time()) + 5
        buyers = targets[:5] + controls[:1]
        events = [{"event_id": f"r-{i}", "user_id": u, "film_id": "00003", "timestamp": now}
                  for i, u in enumerate(buyers + [w2[0]["user_id"]])]
        seq = client.post("/events", json={"events": events}).json()["sequence"]
        report = client.get(f"/campaigns/{plan_id}/report", params={"window_days": 7}).json()
        film = next(f for f in report["films"] if f["film_id"] == "00003")
        wave1 = film["waves"][0]
        assert (wave1["targets"], wave1["target_conversions"]) == (len(targets), 5)
        assert (wave1["controls"], wave1["control_conversions"]) == (len(controls), 1)
        assert film["waves"][1]["target_conversions"] + \
            film["waves"][1]["control_conversions"] == 1
        assert wave1["absolute_uplift"]["low"] < wave1["absolute_uplift"]["high"]
        assert client.get("/campaigns/plan-nope/report").status_code == 404
        deadline = time.monotonic() + 30
        while client.get("/events/status").json()["applied"] < seq and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        opted = w2[1]["user_id"]  # in the plan's unsent wave: the next wave would pick them
        r = client.post(f"/campaigns/{plan_id}/next",
                        json={"sent_waves": 1, "seed": 4, "exclude_user_ids": [opted]})
        assert r.status_code == 200, r.text
        nxt = r.json()
        assert nxt["summary"]["excluded"]["users_opted_out"] == 1
        assert nxt["summary"]["previous_plan_id"] == plan_id
        assert nxt["summary"]["events_seq"] >= seq
        new_rows = _rows(client.get(f"/campaigns/{nxt['plan_id']}/plan.csv").text)
        again = {(r["film_id"], r["user_id"]) for r in new_rows}
        assert ("00003", w2[0]["user_id"]) not in again, "an organic buyer is out"
        assert opted not in {u for _, u in again}, "an opt-out is never planned"
        huge = {"films": [{"film_id": "00003", "budget": 2**63}]}
        assert client.post("/campaigns/plan", json=huge).status_code == 422
        assert not {("00003", u) for u in targets + controls} & again
        budget = {f["film_id"]: f["budget"] for f in nxt["summary"]["films"]}
        assert budget["00003"] == 40 - len(targets)  # controls do not spend the budget
        for f in nxt["summary"]["films"]:
            assert f["contacts"] == sum(r["group"] == "target" for r in new_rows
                                        if r["film_id"] == f["film_id"]) <= f["budget"]
        assert client.post("/campaigns/plan-nope/next").status_code == 404
        # an opt-out written as a number is its digits, as a first plan reads it (it was 422)
        r = client.post(f"/campaigns/{plan_id}/next",
                        json={"sent_waves": 1, "exclude_user_ids": [987654]})
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["parameters"]["excluded_unknown_users"] == 1
        # ... an integer only: 1e2 was user "100.0" and 1.50 user "1.5" (nobody excluded)
        for number in ("1e2", "1.50", "-0.0"):
            r = client.post(f"/campaigns/{plan_id}/next", content=(
                f'{{"sent_waves": 1, "exclude_user_ids": [{number}]}}').encode(),
                headers={"content-type": "application/json"})
            assert r.status_code == 422 and "must be an integer" in r.text, (number, r.text)
            r = client.post("/campaigns/plan", content=(
                f'{{"films": [{{"film_id": "00003", "budget": 1}}], "exclude_user_ids": '
                f'[{number}]}}').encode(), headers={"content-type": "application/json"})
            assert r.status_code == 422 and "must be an integer" in r.text, (number, r.text)
        r = client.post("/campaigns/plan", content=b'{"films": [{"film_id": 1e400, "budget": 1}]}',
                        headers={"content-type": "application/json"})
        assert r.status_code == 422 and "must be an integer" in r.text, r.text
        # -0 is the id "-0" (json reads the number as 0): named as written, not as film "0"
        r = client.post("/campaigns/plan", content=b'{"films": [{"film_id": -0, "budget": 1}]}',
                        headers={"content-type": "application/json"})
        assert r.status_code == 404 and "film_id '-0'" in r.text, r.text
        # ... while a number that is not an id reads -0 as 0
        r = client.post("/campaigns/plan", content=(
            b'{"films": [{"film_id": "00003", "budget": 1}], "seed": -0}'),
            headers={"content-type": "application/json"})
        assert r.status_code == 200, r.text


def test_another_workers_events_reach_a_plan_at_once(model_dir: Path, tmp_path: Path
                                                    ) -> None:
    """Two workers (two apps on one store, neither polling in the test's time): events posted
    to one, then a next wave and a plan on the other. They planned on the second worker's
    engine as its last poll left it, so the users who had just bought the film were planned
    it again; the plan now reads the store first, and records the sequence its model saw."""
    store = str(tmp_path / "s.db")
    one, two = (TestClient(create_app(Settings(model_path=str(model_dir), store=store,
                                               events_poll=3600, warm_cache=False)))
                for _ in range(2))
    with one, two:
        body = {"films": [{"film_id": "00003", "budget": 40}], "waves": 2, "holdout": 0.25,
                "seed": 1}
        plan_id = one.post("/campaigns/plan", json=body).json()["plan_id"]
        rows = _rows(one.get(f"/campaigns/{plan_id}/plan.csv").text)
        unsent = [r["user_id"] for r in rows if r["wave"] == "2"]
        now = int(time.time())
        seq = one.post("/events", json={"events": [
            {"event_id": f"b-{i}", "user_id": u, "film_id": "00003", "timestamp": now}
            for i, u in enumerate(unsent)]}).json()["sequence"]
        assert two.get("/events/status").json()["applied"] < seq  # not polled since
        nxt = two.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1}).json()
        again = {r["user_id"] for r in _rows(two.get(
            f"/campaigns/{nxt['plan_id']}/plan.csv").text) if r["film_id"] == "00003"}
        assert not set(unsent) & again, "a buyer of the film was planned it again"
        assert nxt["summary"]["events_seq"] == seq and "warning" not in nxt["summary"]
        # a second next wave of the same plan plans the same remaining budget: it says so
        again_plan = one.post(f"/campaigns/{plan_id}/next", json={"sent_waves": 1}).json()
        assert nxt["plan_id"] in again_plan["summary"]["warning"]
        assert "send only one of them" in again_plan["summary"]["warning"]
        fresh = two.post("/campaigns/plan", json={**body, "seed": 2}).json()["plan_id"]
        planned = {r["user_id"] for r in _rows(two.get(f"/campaigns/{fresh}/plan.csv").text)}
        assert not set(unsent) & planned


def test_the_loop_from_the_command_line(model_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # one report time for the bodies compared (their as_of differed across a second)
    monkeypatch.setattr(report_module, "report_now", lambda: 1_800_000_000)
    store = str(tmp_path / "s.db")
    (tmp_path / "slate.csv").write_text("film_id,budget\n00003,40\n00005,30\n")
    assert main(["plan", str(model_dir), "--slate", str(tmp_path / "slate.csv"), "--out",
                 str(tmp_path / "p.csv"), "--store", store, "--waves", "2"]) == 0
    plan_id = capsys.readouterr().out.rsplit("rows of plan ", 1)[1].split()[0]
    rows = _rows((tmp_path / "p.csv").read_text())
    targets = [r for r in rows if r["wave"] == "1" and r["group"] == "target"]
    now = int(time.time()) + 5
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"{r['user_id']},{r['film_id']},{now}\n" for r in targets[:4]))
    assert main(["events", "import", "--store", store, str(tmp_path / "ev.csv")]) == 0
    # a new plan saved to this store plans on its events, as the service does: no one is
    # planned a film they have bought since the model was trained
    assert main(["plan", str(model_dir), "--slate", str(tmp_path / "slate.csv"), "--out",
                 str(tmp_path / "fresh.csv"), "--store", store, "--waves", "2"]) == 0
    fresh = {(r["film_id"], r["user_id"]) for r in _rows((tmp_path / "fresh.csv").read_text())}
    bought = {(r["film_id"], r["user_id"]) for r in targets[:4]}
    assert fresh and not fresh & bought
    capsys.readouterr()
    assert main(["campaign", "report", plan_id, "--store", store, "--window-days", "7",
                 "--json"]) == 0
    body: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert body == campaign_report(open_store(store), plan_id, 7.0)
    assert body["waves"][0]["target_conversions"] == 4
    assert main(["campaign", "report", plan_id, "--store", store]) == 0
    out = capsys.readouterr().out
    assert "absolute uplift [95%]" in out and "Newcombe" in out
    start = datetime.fromtimestamp(body["start"], UTC)  # a date a person reads
    assert f"start ({start:%Y-%m-%dT%H:%M:%S}Z, unix {body['start']})" in out
    assert main(["plan", str(model_dir), "--after", plan_id, "--store", store, "--out",
                 str(tmp_path / "next.csv")]) == 0
    assert f"next wave of {plan_id} (wave 1 sent): " in capsys.readouterr().out  # not 1..1
    nxt = _rows((tmp_path / "next.csv").read_text())
    assert nxt and not {(r["film_id"], r["user_id"]) for r in targets} & \
        {(r["film_id"], r["user_id"]) for r in nxt}
    assert main(["plan", str(model_dir), "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["campaign", "report", "plan-none", "--store", store]) == 2


def test_train_folds_in_the_stored_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The model holds the store's events, and `train` says how many (its output named
    none: only meta.json, or `info` afterwards, told what was folded in)."""
    folder = demo.generate(tmp_path / "data", seed=5, n_users=150, n_films=40,
                           n_interactions=1200)
    store = str(tmp_path / "s.db")
    ids = [line.split(",")[0] for line in (folder / "films.csv").read_text().splitlines()[1:4]]
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"fresh-user,{f},1700000000\n" for f in ids))
    assert main(["events", "import", "--store", store, str(tmp_path / "ev.csv")]) == 0
    assert main(["train", "--data", str(folder), "--out", str(tmp_path / "m"), "--events",
                 store, "--no-tune", "--factors", "8", "--iterations", "3"]) == 0
    said = capsys.readouterr().out
    model = artifact.load(tmp_path / "m")
    seq = int(read_events(open_store(store)).seq[-1])
    assert model.meta["events"]["through_seq"] == seq and model.meta["events"]["events"] == 3
    assert (f"campaign store: 3 events through sequence {seq} folded in from "
            f"{model.meta['events']['store']}") in said
    assert sorted(model.films.to_ids(model.user_films(model.user_index("fresh-user")))) == \
        sorted(ids)
    # its through_seq counts in the store it read (however the path is spelt), not another
    from recommender.campaigns.events import trained_through
    from recommender.campaigns.next_wave import refreshed_model

    assert trained_through(model.meta, open_store(store)) == seq
    assert trained_through(model.meta, open_store(f"sqlite:///{tmp_path}/./s.db")) == seq
    other = open_store(str(tmp_path / "other.db"))
    assert trained_through(model.meta, other) == 0
    (tmp_path / "ev2.csv").write_text("user_id,film_id,timestamp\nnewcomer,"
                                      f"{ids[0]},1700000000\n")
    assert main(["events", "import", "--store", str(tmp_path / "other.db"),
                 str(tmp_path / "ev2.csv")]) == 0
    # the other store's first event (sequence 1 <= through_seq) is not skipped
    assert "newcomer" in refreshed_model(model, other).users
    # a store is known by its own id, not its URL: the same relative URL from another folder
    # is another store
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert main(["events", "import", "--store", "sqlite:///rel.db", str(tmp_path / "ev.csv")]) == 0
    assert main(["train", "--data", str(folder), "--out", str(tmp_path / "m2"), "--events",
                 "sqlite:///rel.db", "--no-tune", "--factors", "8", "--iterations", "3"]) == 0
    m2 = artifact.load(tmp_path / "m2")
    assert trained_through(m2.meta, open_store("sqlite:///rel.db")) == 3
    monkeypatch.chdir(tmp_path / "b")
    assert trained_through(m2.meta, open_store("sqlite:///rel.db")) == 0


def test_train_events_are_never_left_out_as_disliked(tmp_path: Path) -> None:
    """Events carry no rating: under --min-rating above the log's median, a stored event on a
    new pair is fitted (it stood for the median and was dropped as disliked, so a user known
    only by events got a zero vector), and one on a pair the user rated keeps their rating
    (merging took the event's). Oracle: the log's own counts, read from the CSV."""
    folder = demo.generate(tmp_path / "data", seed=5, n_users=150, n_films=40,
                           n_interactions=1200)
    rows = list(csv.DictReader((folder / "interactions.csv").open()))
    ratings = sorted(float(r["rating"]) for r in rows)
    low = next(r for r in rows if float(r["rating"]) < 2.5)  # rated, and below the cut
    cut = 4.5
    assert ratings[len(ratings) // 2] < cut
    rated = {(r["user_id"], r["film_id"]) for r in rows}
    new_films = [r["film_id"] for r in csv.DictReader((folder / "films.csv").open())][:3]
    store = str(tmp_path / "s.db")
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp\n" + "".join(
        f"fresh-user,{f},1780000000\n" for f in new_films)
        + f"{low['user_id']},{low['film_id']},1780000000\n")
    assert main(["events", "import", "--store", store, str(tmp_path / "ev.csv")]) == 0
    assert main(["train", "--data", str(folder), "--out", str(tmp_path / "m"), "--events",
                 store, "--no-tune", "--factors", "8", "--iterations", "3",
                 "--min-rating", str(cut)]) == 0
    model = artifact.load(tmp_path / "m")
    liked = {(r["user_id"], r["film_id"]) for r in rows if float(r["rating"]) >= cut}
    fresh = {("fresh-user", f) for f in new_films} - rated
    assert model.meta["data"]["interactions_fitted"] == len(liked | fresh)
    assert model.meta["data"]["event_rating"] == cut
    assert np.abs(model.user_factors[model.user_index("fresh-user")]).sum() > 0


def test_plan_options_and_failures_from_the_command_line(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A next wave refuses the options it takes from the stored plan, honours --summary and
    --exclude; a failing output leaves no file and stores nothing; a store that is not a
    database is a clear error."""
    store = str(tmp_path / "s.db")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,40\n00005,30\n")
    out = tmp_path / "p.csv"
    # --summary cannot be written: neither the plan file nor the stored plan appears
    (tmp_path / "adir").mkdir()
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--store", store, "--summary", str(tmp_path / "adir")]) == 2
    assert not out.exists() and open_store(store).list_plans()[0] == 0
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--store", store, "--summary", str(out)]) == 2
    assert "name the same file" in capsys.readouterr().err and not out.exists()
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--store", store, "--waves", "2"]) == 0
    plan_id = capsys.readouterr().out.rsplit("rows of plan ", 1)[1].split()[0]
    wave2 = [r["user_id"] for r in _rows(out.read_text()) if r["wave"] == "2"]
    after = ["plan", str(model_dir), "--after", plan_id, "--store", store, "--out",
             str(tmp_path / "n.csv")]
    for extra, word in ((["--cap", "2"], "--cap"), (["--slate", str(slate)], "--slate"),
                        (["--waves", "2"], "--next-waves"), (["--engine", "spark"], "--engine")):
        assert main(after + extra) == 2
        assert word in capsys.readouterr().err
    for option, value in (("--waves", "1001"), ("--cap", "1001"), ("--seed", str(2**32))):
        # the bounds HTTP has (1000, 2^32 - 1)
        assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out), option,
                     value]) == 2
        assert "expected a number in [" in capsys.readouterr().err
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--sent-waves", "1"]) == 2
    assert "--sent-waves only applies with --after" in capsys.readouterr().err
    # an opt-out named twice counts once; users at the cap are not counted as opted out
    (tmp_path / "optout.txt").write_text("\n".join(wave2[:3] + wave2[:1]) + "\n")
    summary = tmp_path / "n.json"
    assert main(after + ["--summary", str(summary), "--exclude",
                         str(tmp_path / "optout.txt")]) == 0
    body = json.loads(summary.read_text())
    assert body["excluded"]["users_opted_out"] == 3 and body["previous_plan_id"] == plan_id
    assert body["excluded"]["users_at_cap"] > 0
    assert body["parameters"]["excluded_users"] == 3
    assert body["parameters"]["excluded_unknown_users"] == 0
    # the next wave's default seed is the HTTP route's (1: a new control draw), not 0
    assert body["parameters"]["seed"] == 1
    nxt = {r["user_id"] for r in _rows((tmp_path / "n.csv").read_text())}
    assert nxt and not nxt & set(wave2[:3])
    assert open_store(store).excluded(body["plan_id"]) == sorted(wave2[:3])
    assert main(["campaign", "list", "--store", str(slate)]) == 2
    assert "cannot open the campaign store" in capsys.readouterr().err


def _same_but_ids(cli: dict[str, Any], http: dict[str, Any]) -> None:
    """Two plans' bodies made apart: equal but for their ids (and the ids of the plans they
    follow, where named) and the seconds they took."""
    def strip(body: dict[str, Any]) -> str:
        summary = {k: v for k, v in body["summary"].items()
                   if k not in ("seconds", "solve_seconds", "created")}
        text = json.dumps({"keys": sorted(body), "summary": summary})
        for plan_id in (body["plan_id"], summary.get("previous_plan_id")):
            text = text.replace(plan_id or "no previous plan", "PLAN")
        return text
    assert strip(cli) == strip(http)
    assert cli["plan_id"] == cli["summary"]["plan_id"]


def test_plan_json_prints_the_http_body(model_dir: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``plan --json`` (first plan and --after) prints what POST /campaigns/plan and POST
    /campaigns/{plan_id}/next answer, stdout holding that body alone; it had no --json."""
    (tmp_path / "slate.csv").write_text("film_id,budget\n00003,40\n00005,30\n")
    cli_store, http_store = str(tmp_path / "cli.db"), str(tmp_path / "http.db")
    assert main(["plan", str(model_dir), "--slate", str(tmp_path / "slate.csv"), "--out",
                 str(tmp_path / "p.csv"), "--store", cli_store, "--waves", "2", "--seed", "1",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    cli = json.loads(out)
    assert f"rows of plan {cli['plan_id']}" in err
    settings = Settings(model_path=str(model_dir), store=http_store, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        body = {"films": [{"film_id": "00003", "budget": 40}, {"film_id": "00005", "budget": 30}],
                "waves": 2, "seed": 1}
        http = client.post("/campaigns/plan", json=body).json()
        _same_but_ids(cli, http)
        assert main(["plan", str(model_dir), "--after", cli["plan_id"], "--store", cli_store,
                     "--out", str(tmp_path / "n.csv"), "--json"]) == 0
        out, err = capsys.readouterr()
        nxt = json.loads(out)
        assert f"next wave of {cli['plan_id']}" in err
        assert nxt["summary"]["previous_plan_id"] == cli["plan_id"]
        _same_but_ids(nxt, client.post(f"/campaigns/{http['plan_id']}/next",
                                       json={"sent_waves": 1}).json())


def test_a_next_waves_unknown_opt_out_is_warned(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """``plan --after --exclude`` said nothing of an opt-out id the model does not hold (the
    first plan's --exclude warns): a typo left the person it meant in the next wave."""
    store, slate, out = str(tmp_path / "s.db"), tmp_path / "slate.csv", tmp_path / "p.csv"
    slate.write_text("film_id,budget\n00003,40\n")
    assert main(["plan", str(model_dir), "--slate", str(slate), "--out", str(out),
                 "--store", store, "--waves", "2"]) == 0
    plan_id = capsys.readouterr().out.rsplit("rows of plan ", 1)[1].split()[0]
    optouts = tmp_path / "optouts.txt"
    optouts.write_text("no-such-user\n")
    assert main(["plan", str(model_dir), "--after", plan_id, "--store", store, "--out",
                 str(tmp_path / "n.csv"), "--exclude", str(optouts)]) == 0
    assert "1 opt-out id in" in capsys.readouterr().err
