"""``recommender plan``: files written, summary printed and stored, bad input exits 2."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import run_cli as run
from service_fixtures import ODD_FILM_ID, ODD_USER_ID, save_model

from recommender.campaigns.store import open_store
from recommender.model import artifact
from recommender.model.model import Model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("plan") / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Model:
    return artifact.load(model_dir)


def slate_file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "slate.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_plan_writes_rows_summary_and_store(model_dir: Path, model: Model, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    slate = slate_file(tmp_path, f"film_id,budget,value\n00000,30,2\n{ODD_FILM_ID},25,\n"
                                 "00002,500,1\n")
    exclude = tmp_path / "optout.txt"
    exclude.write_text(f"{ODD_USER_ID}\nu3\nu3-typo\n", encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, out, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                         tmp_path / "plan.csv", "--cap", 2, "--holdout", 0.2, "--waves", 2,
                         "--seed", 5, "--exclude", exclude, "--summary",
                         tmp_path / "summary.json", "--store", store)
    assert code == 0, err
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    # an opt-out id the model does not know is named on stderr, not only counted
    assert summary["parameters"]["excluded_unknown_users"] == 1
    assert "1 opt-out id in" in err and "'u3-typo'" in err
    with open(tmp_path / "plan.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["plan_id", "film_id", "user_id", "wave", "group", "rank", "p",
                             "expected_value"]
    assert {r["plan_id"] for r in rows} == {summary["plan_id"]}
    assert {r["film_id"] for r in rows} == {"00000", ODD_FILM_ID, "00002"}  # zeros kept
    assert not {ODD_USER_ID, "u3"} & {r["user_id"] for r in rows}
    targets: dict[str, int] = {}
    for r in rows:
        if r["group"] == "target":
            targets[r["user_id"]] = targets.get(r["user_id"], 0) + 1
    assert max(targets.values()) <= 2
    # a budget counts target rows; the control group comes on top, within the selection size
    assert sum(r["film_id"] == "00000" and r["group"] == "target" for r in rows) <= 30
    f0 = next(f for f in summary["films"] if f["film_id"] == "00000")
    assert sum(r["film_id"] == "00000" for r in rows) == f0["selected"] <= f0["selected_limit"]
    eligible = next(f for f in summary["films"] if f["film_id"] == "00002")["eligible_users"]
    assert summary["totals"]["flagged_films"] == ["00002"] and eligible < 500
    # the table: every number with its unit, the flag, where the plan went
    for fragment in ("expected conversions (users)", "dual price (value/selected user)",
                     "budget + control > eligible users", "LP upper bound", "naive plan objective",
                     "probability of watching within", f"stored in sqlite:///{tmp_path}"):
        assert fragment in out, fragment
    # a total counts (film, user) rows, not users: at cap 2 a user holds up to two of them
    assert summary["totals"]["contacts"] == sum(targets.values()) > len(targets)
    contacts_line = next(line for line in out.splitlines() if line.startswith("contacts "))
    assert "(film, user) pairs" in contacts_line and "users to contact" not in contacts_line
    st = open_store(store)
    try:
        # the file is the plan's body as read: the stored summary and the read-time fields
        from recommender.campaigns.withdraw import read_fields

        assert {**st.summary(summary["plan_id"]), **read_fields(st, summary["plan_id"])
                } == summary
        stored = [t.to_pylist() for t in st.iter_rows(summary["plan_id"])]
    finally:
        st.close()
    assert sum(map(len, stored)) == len(rows)
    # Parquet: the same rows
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "plan.parquet", "--cap", 2, "--holdout", 0.2, "--waves", 2,
                       "--seed", 5, "--exclude", exclude)
    assert code == 0, err
    table = pq.read_table(tmp_path / "plan.parquet")
    assert table.column_names == list(rows[0])
    assert table.column("user_id").to_pylist() == [r["user_id"] for r in rows]
    assert table.column("group").to_pylist() == [r["group"] for r in rows]


def test_plan_bad_input_exits_2_without_output(model_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.csv"
    cases = [
        ("film_id,budget\n00000,x\n", [], ["slate.csv, line 2", "whole number"]),
        # an unknown film names the file and its line, as every other slate error does
        ("film_id,budget\nnope,3\n00000,1\n\nalso-nope,2\n", [],
         ["slate.csv, line 2: unknown film_id 'nope'", "'also-nope' on line 5"]),
        # a quoted newline is one record over two lines: later lines are counted as lines
        ('film_id,budget\n"no\npe",3\nalso-nope,2\n', [], ["'also-nope' on line 4"]),
        ("film_id,budget\n00000,3\n", ["--cap", "0"], ["--cap"]),
        ("film_id,budget\n00000,3\n", ["--holdout", "1.5"], ["--holdout"]),
        ("film_id,budget\n00000,3\n", ["--exclude", str(tmp_path / "none.txt")],
         ["none.txt"]),
        ("film_id,budget\n00000,3\n", ["--store", "mysql://x/y"], ["sqlite"]),
    ]
    for text, extra, fragments in cases:
        slate = slate_file(tmp_path, text)
        code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out", out, *extra)
        assert code == 2, (text, extra, err)
        assert "Traceback" not in err
        for fragment in fragments:
            assert fragment in err, (fragment, err)
        assert not out.exists()
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "plan.txt")
    assert code == 2 and ".csv or .parquet" in err


def test_an_opt_out_is_the_id_as_written(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # a model holding both ' a' and 'a' (ids are kept byte for byte): the line ' a' opts out
    # ' a'. The line was stripped first, so ' a' stayed in the plan. An opt-out fails safe: a
    # line the model holds in two readings leaves out both (id_lists.read_opt_outs), while a
    # seed list reads the line as written
    import pyarrow as pa

    from recommender.io.dataset import Interactions
    from recommender.model.config import TrainConfig
    from recommender.model.training import train

    users = [u for u in ("a", " a", "b", "c", "d", "e") for _ in range(3)]
    films = [f"f{(i * 7 + j) % 9}" for i in range(6) for j in range(3)]
    model = train(Interactions.from_columns(pa.array(users), pa.array(films), source="spaced"),
                  TrainConfig(factors=2, iterations=2, segments=1, holdout=0.0, tune=False),
                  progress=False)
    folder = artifact.save(model, tmp_path / "model")
    slate = slate_file(tmp_path, "film_id,budget\n" + "".join(f"f{i},6\n" for i in range(9)))
    exclude = tmp_path / "optout.txt"
    exclude.write_text(" a\n", encoding="utf-8")
    code, _, err = run(capsys, "plan", folder, "--slate", slate, "--out", tmp_path / "p.csv",
                       "--cap", 9, "--holdout", 0, "--waves", 1, "--exclude", exclude)
    assert code == 0, err
    with open(tmp_path / "p.csv", newline="", encoding="utf-8") as f:
        planned = {r["user_id"] for r in csv.DictReader(f)}
    assert " a" not in planned and "a" not in planned and "b" in planned, planned
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(" a\n", encoding="utf-8")
    code, out, err = run(capsys, "lookalike", folder, "--seeds", seeds, "--json", "--k", 10)
    assert code == 0, err
    ranked = [u["user_id"] for u in json.loads(out)["users"]]
    assert " a" not in ranked and "a" in ranked, ranked


@pytest.mark.parametrize("inside", ["current/cinemas.csv", "x.csv", "versions/x.csv",
                                    "current/sub/x.csv"])
def test_an_export_inside_the_model_folder_is_refused(model: Model, tmp_path: Path,
                                                      inside: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # an export named MODEL/current/<a model file> replaced it: the model no longer loaded
    folder = artifact.save(model, tmp_path / "m")
    films = tmp_path / "films.txt"
    films.write_text("00003\n", encoding="utf-8")
    for argv in (["audiences", folder, "--films", films, "--k", 3],
                 ["recommend", folder, "--all", "--k", 3]):
        code, _, err = run(capsys, *argv, "--out", folder / inside)
        assert code == 2 and "is inside the model folder" in err, err
    # a flat model folder too, and the model still loads
    flat = tmp_path / "flat"
    flat.mkdir()
    for f in artifact.layout.resolve(folder).iterdir():
        (flat / f.name).write_bytes(f.read_bytes())
    code, _, err = run(capsys, "audiences", flat, "--films", films, "--out", flat / "a.csv")
    assert code == 2 and "is inside the model folder" in err, err
    assert artifact.load(folder).version == artifact.load(flat).version == model.version
    code, _, err = run(capsys, "audiences", folder, "--films", films, "--k", 3,
                       "--out", tmp_path / "a.csv")
    assert code == 0, err


@pytest.mark.parametrize("signum,code", [(2, 130), (15, 143)])  # SIGINT, SIGTERM
def test_an_interrupt_while_the_plan_is_stored_leaves_store_and_files_agreeing(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, signum: int, code: int) -> None:
    """Ctrl-C or SIGTERM arriving while the plan is committed to the store (raised right
    after the commit): the plan was stored but its files were removed (exit 130), so the
    store held a plan no file showed and a retry stored a second one. The signal now waits
    until the files are in place: the exit code still says it came, and both agree."""
    from signal_arrival import signal_arrives

    from recommender.campaigns.store import CampaignStore

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    original = CampaignStore.save_plan

    def save_then_signal(self: CampaignStore, *args: object, **kwargs: object) -> object:
        stored = original(self, *args, **kwargs)  # type: ignore[arg-type]
        signal_arrives(signum)  # held (HeldInterrupts): acts once the files are in place
        return stored

    monkeypatch.setattr(CampaignStore, "save_plan", save_then_signal)
    slate = slate_file(tmp_path, "film_id,budget\n00000,30\n00002,20\n")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    got, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                      tmp_path / "plan.csv", "--summary", tmp_path / "summary.json",
                      "--store", store)
    assert got == code, err
    assert "both were completed, not undone" in err  # no retry storing it twice
    st = open_store(store)
    try:
        total, plans = st.list_plans(10, 0)
    finally:
        st.close()
    assert total == 1
    assert (tmp_path / "plan.csv").is_file() and (tmp_path / "summary.json").is_file()
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["plan_id"] == plans[0]["plan_id"]
    with open(tmp_path / "plan.csv", newline="", encoding="utf-8") as f:
        assert {r["plan_id"] for r in csv.DictReader(f)} == {plans[0]["plan_id"]}


HELD_CHILD = """
import os, sys
from recommender.campaigns.store import CampaignStore
from recommender.cli import main

original = CampaignStore.save_plan

def save_then_signal(self, *args, **kwargs):
    stored = original(self, *args, **kwargs)
    os.kill(os.getpid(), int(sys.argv[1]))  # a real signal, to this child only
    return stored

CampaignStore.save_plan = save_then_signal
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize("signum,code", [(2, 130), (15, 143)])  # SIGINT, SIGTERM
def test_a_held_signal_is_raised_again_for_real_once_the_plan_lands(
        model_dir: Path, tmp_path: Path, signum: int, code: int) -> None:
    """The same stop as above, a real signal to a child process: the held signal is raised
    again in the process (``interrupts.deliver``, which the in-process tests replace with its
    handler's run), so the command still exits with the signal's code, after both landed."""
    from signal_arrival import stopped_child

    slate = slate_file(tmp_path, "film_id,budget\n00000,30\n00002,20\n")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    # exit ``code``, its last line saying so, no traceback: checked by stopped_child
    done = stopped_child(HELD_CHILD, signum, code, "plan", str(model_dir), "--slate",
                         str(slate), "--out", str(tmp_path / "plan.csv"), "--store", store)
    assert "both were completed, not undone" in done.stderr
    st = open_store(store)
    try:
        assert st.list_plans(10, 0)[0] == 1
    finally:
        st.close()
    assert (tmp_path / "plan.csv").is_file()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_relative_uplift_s_interval_says_percent_even_without_an_estimate() -> None:
    """Without a control conversion the relative uplift has no estimate and no upper bound:
    the report printed "n/a [-99.73, +inf]", a number with no unit (the studio shows
    "[-99.73%, +∞]"); a difference of rates keeps its percentage points on the estimate."""
    from recommender.cli.report_text import _pct

    assert _pct({"estimate": None, "low": -0.9973, "high": None}) == "n/a [-99.73%, +inf]"
    assert _pct({"estimate": 0.5, "low": -0.2, "high": 1.0}) == "+50.00% [-20.00%, +100.00%]"
    assert _pct({"estimate": 0.0813, "low": -0.1237, "high": 0.2149}, 100, " pts") == \
        "+8.13 pts [-12.37, +21.49]"
    assert _pct({"estimate": 2.0, "low": -1.5, "high": 3.25}, 1.0, "") == "+2.00 [-1.50, +3.25]"


def test_campaign_list_names_films_as_planned(model_dir: Path, model: Model, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan's films are listed under the titles it was planned with: ``campaign list
    --model`` and GET /campaigns looked each id up in the model given or served, so a plan
    made on one catalog showed another catalog's film under the same id ("Usual Suspects"
    for a plan of "Star Wars"). A plan whose summary recorded no titles gets the model's,
    said to be so."""
    from dataclasses import replace

    from fastapi.testclient import TestClient
    from service_fixtures import build_model

    from recommender.campaigns.plan import PLAN_SCHEMA
    from service.app import create_app
    from service.settings import Settings

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    other = build_model()  # the same ids, every title another
    other.catalog = replace(other.catalog, titles=other.catalog.titles.astype(object) + " II")
    other_dir = artifact.save(other, tmp_path / "other")
    planned = str(model.catalog.titles[model.film_index("00000")])
    store = f"sqlite:///{tmp_path / 'store.db'}"
    slate = slate_file(tmp_path, "film_id,budget\n00000,30\n")
    assert run(capsys, "plan", model_dir, "--slate", slate, "--out", tmp_path / "plan.csv",
               "--store", store)[0] == 0
    st = open_store(store)
    try:  # a plan stored before summaries recorded their films' titles
        st.save_plan("plan-old", {"created": "2000-01-01T00:00:00+00:00", "model_version": "m0",
                                  "films": [{"film_id": "00002"}]}, PLAN_SCHEMA.empty_table())
    finally:
        st.close()
    code, out, err = run(capsys, "campaign", "list", "--store", store, "--model", other_dir,
                         "--json")
    assert code == 0, err
    new, old = json.loads(out)["plans"]
    assert new["titles"] == {"00000": planned} and new["titles_from_model"] == []
    assert old["titles"] == {"00002": f"{model.catalog.titles[model.film_index('00002')]} II"}
    assert old["titles_from_model"] == ["00002"]
    with TestClient(create_app(Settings(model_path=str(other_dir), store=store))) as client:
        assert client.get("/campaigns").json() == json.loads(out)
    code, out, _ = run(capsys, "campaign", "list", "--store", store, "--model", other_dir)
    assert f"{planned} (00000)" in out and f"{planned} II" not in out
    assert "(00002; title from the model given)" in out
    code, out, _ = run(capsys, "campaign", "list", "--store", store, "--json")  # no model
    new, old = json.loads(out)["plans"]
    assert new["titles"] == {"00000": planned} and new["titles_from_model"] == []
    assert old["titles"] == {} and old["titles_from_model"] == []  # no model: none from one


def test_a_plan_that_a_plan_stored_meanwhile_clashes_with_is_made_again(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """As POST /campaigns/plan does: a plan the store refuses because a plan stored while it
    was made holds out some of its pairs is made again around them (it exited 2 asking the
    user to run the command again); the files and the store hold the second plan."""
    from recommender.campaigns import controls

    real = controls.plan_beside
    rival: list[str] = []

    def plan_then_rival(engine: object, slate: object, store: object, **options: object
                        ) -> object:
        mine = real(engine, slate, store, **options)  # type: ignore[arg-type]
        if not rival:  # another command's plan of the same film, stored meanwhile
            other = real(engine, slate, store, **{**options, "seed": 99})  # type: ignore[arg-type]
            store.save_plan(other.plan_id, other.summary, other.rows)  # type: ignore[attr-defined]
            rival.append(other.plan_id)
        return mine

    monkeypatch.setattr(controls, "plan_beside", plan_then_rival)
    slate = slate_file(tmp_path, "film_id,budget\n00002,40\n")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "plan.csv", "--holdout", 0.5, "--seed", 4, "--store", store)
    assert code == 0, err
    assert f"note: the campaign store did not store this plan: plan {rival[0]}" in err
    with open(tmp_path / "plan.csv", newline="", encoding="utf-8") as f:
        mine = {(r["film_id"], r["user_id"]) for r in csv.DictReader(f)}
    s = open_store(store)
    try:
        assert s.list_plans()[0] == 2
        theirs = {(r["film_id"], r["user_id"]) for t in s.iter_rows(rival[0])
                  for r in t.to_pylist() if r["group"] == "control"}
    finally:
        s.close()
    assert theirs and not theirs & mine


def test_plan_json_keeps_the_warnings_on_stderr(model_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """README: ``--json`` puts the body on stdout instead of the tables; the notes and
    warnings the tables come with stay on stderr (they were dropped: a second next wave of one
    plan said nothing of the first, a second plan nothing of the pairs it left out)."""
    slate = slate_file(tmp_path, "film_id,budget\n00000,20\n00002,20\n")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    code, _, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                       tmp_path / "a.csv", "--waves", 3, "--store", store)
    assert code == 0, err
    code, out, err = run(capsys, "plan", model_dir, "--slate", slate, "--out",
                         tmp_path / "b.csv", "--waves", 3, "--store", store, "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["summary"]["held_out_elsewhere"]["pairs"] > 0
    assert "note: " in err and "left out, so that no plan's control group" in err
    plan_id = first["plan_id"]
    bodies = []
    for name in ("n1.csv", "n2.csv"):
        code, out, err = run(capsys, "plan", model_dir, "--after", plan_id, "--sent-waves", 1,
                             "--store", store, "--out", tmp_path / name, "--json")
        assert code == 0, err
        bodies.append(json.loads(out))
    warning = bodies[1]["summary"]["warning"]
    assert bodies[0]["plan_id"] in warning and f"warning: {warning}" in err
