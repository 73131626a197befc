"""Every HTTP answer has a CLI command with the same body: the HTTP app and the CLI run on the
same model folder and the same SQLite campaign store, and `--json` (or `--csv`) prints the
endpoint's bytes. Nothing is excluded from the comparisons: no field of these bodies changes
between two reads of the same store. The film answers are compared on a service whose store
holds no events: the service folds stored events into the model it serves, the CLI reads the
saved model folder."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run
from httpx import Response
from service_fixtures import GENRES, ODD_FILM_ID, save_model

import recommender.campaigns.report as report_module
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.query.catalog import segment_labels
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("parity") / "model")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("parity-store") / "campaigns.db")


@pytest.fixture(scope="module")
def client(model_dir: Path, store: str) -> Iterator[TestClient]:
    settings = Settings(model_path=str(model_dir), store=store, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def answers(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A service on the same model with a store of its own, which never receives events."""
    store = str(tmp_path_factory.mktemp("parity-answers") / "campaigns.db")
    settings = Settings(model_path=str(model_dir), store=store, warm_cache=False)
    with TestClient(create_app(settings)) as c:
        yield c


def same_body(capsys: pytest.CaptureFixture[str], http: Response, *argv: Any) -> str:
    """The CLI's `--json` output is the HTTP body, byte for byte; returns its stderr."""
    assert http.status_code == 200, http.text
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    assert out == http.content.decode() + "\n"
    return err


def bad_input(capsys: pytest.CaptureFixture[str], *argv: Any) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture(scope="module")
def plans(model_dir: Path, store: str, client: TestClient,
          tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Two stored plans (one from the CLI, one over HTTP) and a few responses to the first."""
    folder = tmp_path_factory.mktemp("parity-plan")
    (folder / "slate.csv").write_text("film_id,budget\n00003,30\n00005,20\n", encoding="utf-8")
    assert main(["plan", str(model_dir), "--slate", str(folder / "slate.csv"), "--out",
                 str(folder / "p.csv"), "--store", store, "--waves", "2",
                 "--holdout", "0.25"]) == 0
    first = client.get("/campaigns").json()["plans"][0]["plan_id"]
    second = client.post("/campaigns/plan", json={
        "films": [{"film_id": "00004", "budget": 10}], "waves": 1}).json()["plan_id"]
    rows = client.get(f"/campaigns/{first}/plan.csv").text.splitlines()[1:]
    now = int(time.time())
    events = [{"event_id": f"e{i}", "user_id": line.split(",")[2].strip('"'),
               "film_id": "00003", "timestamp": now}
              for i, line in enumerate(r for r in rows if ",00003," in r or '"00003"' in r)
              if i < 6]
    assert client.post("/events", json={"events": events}).status_code == 200
    return [first, second]


def test_campaign_list_and_show(client: TestClient, store: str, plans: list[str],
                                model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listing = client.get("/campaigns")
    assert sorted(p["plan_id"] for p in listing.json()["plans"]) == sorted(plans)
    # each plan's expected conversions say the span they cover: its summary's horizon
    for p in listing.json()["plans"]:
        days = client.get(f"/campaigns/{p['plan_id']}").json()["summary"]["horizon"]["days"]
        assert p["horizon_days"] == days
    same_body(capsys, listing, "campaign", "list", "--store", store, "--model", model_dir)
    same_body(capsys, client.get("/campaigns", params={"limit": 1, "offset": 1}),
              "campaign", "list", "--store", store, "--limit", 1, "--offset", 1,
              "--model", model_dir)
    # without a model the CLI names the films by the titles each plan recorded, and says no
    # title came from a model: every plan here recorded its own, so the body is the same
    # (the key was left out, so a reader of GET /campaigns's body failed on it)
    assert all(p["titles_from_model"] == [] for p in listing.json()["plans"])
    same_body(capsys, listing, "campaign", "list", "--store", store)
    for plan_id in plans:
        same_body(capsys, client.get(f"/campaigns/{plan_id}"),
                  "campaign", "show", plan_id, "--store", store)
    code, out, _ = run(capsys, "campaign", "list", "--store", store)
    assert code == 0 and all(p in out for p in plans) and "2 stored plans" in out
    assert "; showing 1-2, newest first" in out
    assert "contacts ((film, user) pairs)" in out  # rows, not users (a user has one a film)
    days = listing.json()["plans"][0]["horizon_days"]
    assert "within (days)" in out and (days is None or f"{days:g}" in out)
    # a page says which plans it shows, and past the last says so ("showing 0 from number 6")
    code, out, _ = run(capsys, "campaign", "list", "--store", store, "--offset", 1)
    assert code == 0 and "; showing 2, newest first" in out
    code, out, _ = run(capsys, "campaign", "list", "--store", store, "--offset", 5)
    assert code == 0 and "2 stored plans in" in out and out.rstrip().endswith(
        "; no plans at numbers 6+ (the store has 2)")
    code, out, _ = run(capsys, "campaign", "list", "--store", store, "--model", model_dir)
    titles = listing.json()["plans"][0]["titles"]
    assert code == 0 and all(f"{t} ({f})" in out for f, t in titles.items() if t)
    code, out, _ = run(capsys, "campaign", "show", plans[0], "--store", store)
    assert code == 0 and plans[0] in out and "expected conversions (users)" in out
    assert client.get("/campaigns/plan-nope").status_code == 404
    assert "plan-nope" in bad_input(capsys, "campaign", "show", "plan-nope", "--store", store)
    assert "limit" in bad_input(capsys, "campaign", "list", "--store", store, "--limit", 1001)
    # the bound GET /campaigns puts on offset, named as the option (it named the library's
    # "limit must be in [1, ...] and offset in [0, ...]")
    big = 2**31
    assert client.get(f"/campaigns?offset={big}").status_code == 422
    code, _, err = run(capsys, "campaign", "list", "--store", store, "--offset", big)
    assert code == 2 and f"argument --offset: expected a number in [0, {big - 1}]" in err
    code, out, _ = run(capsys, "campaign", "list", "--help")  # a sub-command's defaults too
    assert code == 0 and "(default: 100)" in out and "(default: 0)" in out


def test_campaign_rows_csv(client: TestClient, store: str, plans: list[str],
                           capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    for plan_id in plans:
        http = client.get(f"/campaigns/{plan_id}/plan.csv")
        assert http.status_code == 200
        assert main(["campaign", "show", plan_id, "--store", store, "--csv"]) == 0
        out = capsysbinary.readouterr().out
        assert out == http.content and out.count(b"\n") > 1


def test_campaign_report(client: TestClient, store: str, plans: list[str], model_dir: Path,
                         capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    # one report time for the bodies compared (their as_of differed across a second)
    monkeypatch.setattr(report_module, "report_now", lambda: 2_000_000_000)
    for days in ("30", "0.5"):
        http = client.get(f"/campaigns/{plans[0]}/report", params={"window_days": days})
        assert http.json()["overall"]["target_conversions"] > 0
        # the places of the dispersion check: the served model's users', the CLI's --model's
        assert http.json()["dispersion"]["attribute"] == "region"
        same_body(capsys, http, "campaign", "report", plans[0], "--store", store,
                  "--window-days", days, "--model", model_dir)
    # without a model the CLI checks no places, and says so (the rest of the body the same)
    code, out, _ = run(capsys, "campaign", "report", plans[0], "--store", store, "--json")
    alone = json.loads(out)
    assert code == 0 and alone["dispersion"]["attribute"] is None
    assert "no model given" in alone["dispersion"]["note"]
    # and says how to get the service's block: the model's folder (the store records only
    # the plan's model version), in the JSON body and the printed report alike
    assert "pass --model MODEL" in alone["dispersion"]["note"]
    code, out, _ = run(capsys, "campaign", "report", plans[0], "--store", store)
    assert code == 0 and "place dispersion: not checked: no model given: pass --model MODEL" \
        in out, out
    assert {k: v for k, v in alone.items() if k not in ("dispersion", "note")} == \
        {k: v for k, v in client.get(f"/campaigns/{plans[0]}/report").json().items()
         if k not in ("dispersion", "note")}
    assert client.get("/campaigns/plan-nope/report").status_code == 404
    assert "plan-nope" in bad_input(capsys, "campaign", "report", "plan-nope", "--store", store)
    # one window bound everywhere: the CLI took 0.00001 day (under a second), the library took
    # any window that rounds to a second, the route needs a whole second
    second = 1 / 86400
    for days in (second * 0.99, 0.00001, 3650.5, float("nan")):
        assert client.get(f"/campaigns/{plans[0]}/report",
                          params={"window_days": repr(days)}).status_code == 422
        code, _, err = run(capsys, "campaign", "report", plans[0], "--store", store,
                           "--window-days", repr(days))
        assert code == 2 and "argument --window-days: expected days in [1/86400, 3650]" in err
        with pytest.raises(InvalidParameterError,
                           match=r"window_days: expected days in \[1/86400, 3650\]"):
            campaign_report(open_store(store), plans[0], days)
    for days in (second, 3650.0):
        same_body(capsys, client.get(f"/campaigns/{plans[0]}/report",
                                     params={"window_days": repr(days)}),
                  "campaign", "report", plans[0], "--store", store, "--window-days", repr(days),
                  "--model", model_dir)
    # the table says, group by group, which targets its uplift leaves out (a film's wave
    # without controls), as the body's notes do
    body = client.get(f"/campaigns/{plans[0]}/report").json()
    blocks = [body["overall"], *body["waves"], *body["films"],
              *(w for f in body["films"] for w in f["waves"])]
    notes = [b["note"] for b in blocks if b.get("note")]
    warned = [b["warning"] for b in blocks if b.get("warning")]
    code, out, _ = run(capsys, "campaign", "report", plans[0], "--store", store,
                       "--model", model_dir)
    # each kind said once, naming its blocks (test_report_warnings_grouped)
    assert code == 0 and "strata:" in out
    assert f"place dispersion: {body['dispersion']['note']}" in out
    assert ("some targets are in waves of a film with no control group" in out) is bool(notes)
    assert all(w.split("): ", 1)[1] in out for w in warned)
    assert any(b.get("warning") for b in blocks)  # a film's wave of few controls


def test_a_report_rate_over_fewer_targets_than_its_row_says_its_counts() -> None:
    """The table's target rate is over the targets compared (those whose film and wave hold
    controls): beside 11 converted of 21 it read 37.50%, the rate of 6 of 16."""
    import numpy as np

    from recommender.campaigns.report import strata_stats
    from recommender.cli.report_text import report_row

    block = strata_stats(np.array([8, 8, 5]), np.array([4, 2, 5]), np.array([3, 3, 0]),
                         np.array([1, 2, 0]), 0.0, 0.0)
    row = report_row("overall", block)
    assert row[1:4] == [21, 11, "37.50% (6/16)"]
    whole = strata_stats(np.array([8]), np.array([4]), np.array([3]), np.array([1]), 0.0, 0.0)
    assert report_row("overall", whole)[3] == "50.00%"


def test_film_detail(answers: TestClient, model_dir: Path,
                     capsys: pytest.CaptureFixture[str]) -> None:
    for film in (ODD_FILM_ID, "00004"):
        http = answers.get(f"/films/{film}")
        same_body(capsys, http, "film", model_dir, film)
        code, out, _ = run(capsys, "film", model_dir, film)
        assert code == 0 and http.json()["title"] in out
        assert all(s["label"] in out for s in http.json()["viewer_segments"])
    line = bad_input(capsys, "film", model_dir, "the matrix")
    assert "it is the title of 00000 The Matrix" in line
    assert line.count("00000 The Matrix") == 1  # not listed again among the titles matched


def test_cold_start_skips_unknown_films(answers: TestClient, model_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    body = {"comparable_film_ids": ["00002", "ghost", "the matrix"], "k": 6}
    http = answers.post("/audiences/cold-start", json=body)
    assert http.json()["unknown_film_ids"] == ["ghost", "the matrix"]
    known = answers.post("/audiences/cold-start", json={"comparable_film_ids": ["00002"],
                                                       "k": 6}).json()
    assert {**known, "unknown_film_ids": ["ghost", "the matrix"],
            "unknown_film_hints": http.json()["unknown_film_hints"]} == http.json()
    err = same_body(capsys, http, "cold-start", model_dir, "--like", "00002", "ghost",
                    "the matrix", "--k", 6)
    lines = err.strip().splitlines()
    assert lines[0] == "skipped unknown film_id 'ghost'"
    assert lines[1].startswith("skipped unknown film_id 'the matrix'; it is the title of "
                               "00000 The Matrix (1990): give its id, '00000'")
    assert lines[1].count("00000 The Matrix") == 1  # not listed again among the matches
    code, out, err = run(capsys, "cold-start", model_dir, "--like", "00002", "ghost", "--k", 6)
    assert code == 0 and "ghost" in err and all(u["user_id"] in out for u in known["users"])
    # nothing known but a genre: the genre alone, the films still named
    genres = answers.post("/audiences/cold-start", json={"comparable_film_ids": ["ghost"],
                                                        "genres": [GENRES[1]], "k": 4})
    assert genres.json()["unknown_film_ids"] == ["ghost"]
    same_body(capsys, genres, "cold-start", model_dir, "--like", "ghost", "--genre",
              GENRES[1], "--k", 4)
    # nothing known at all: 404 and exit 2, as before
    r = answers.post("/audiences/cold-start", json={"comparable_film_ids": ["ghost", "wraith"]})
    assert r.status_code == 404 and "ghost" in r.json()["detail"]
    assert "ghost" in bad_input(capsys, "cold-start", model_dir, "--like", "ghost", "wraith")


def test_cold_start_segment_by_label(answers: TestClient, model_dir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    from recommender.model import artifact

    labels = segment_labels(artifact.load(model_dir))
    by_number = answers.post("/audiences/cold-start", json={"genres": [GENRES[0]], "k": 5,
                                                           "segment": 1})
    for given in (labels[1], labels[1].upper(), "1"):
        http = answers.post("/audiences/cold-start", json={"genres": [GENRES[0]], "k": 5,
                                                          "segment": given})
        assert http.json() == by_number.json(), given
        same_body(capsys, http, "cold-start", model_dir, "--genre", GENRES[0], "--k", 5,
                  "--segment", given)
    r = answers.post("/audiences/cold-start", json={"genres": [GENRES[0]], "segment": "nope"})
    assert r.status_code == 422 and labels[0] in r.json()["detail"]
    line = bad_input(capsys, "cold-start", model_dir, "--genre", GENRES[0], "--segment", "nope")
    assert line == f"error: {r.json()['detail']}"
    r = answers.post("/audiences/cold-start", json={"genres": [GENRES[0]], "segment": True})
    assert r.status_code == 422


def test_print_body_writes_floats_as_a_response_model_route_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The answers' routes return dicts through a response model, which FastAPI writes with
    pydantic's serializer: `0.000039`, `5e-7`, where `json.dumps` writes `3.9e-05`, `5e-07`
    (a cold-start page of the demo model holds such scores)."""
    import json

    from fastapi import FastAPI
    from pydantic import BaseModel

    from recommender.cli.printing import print_body

    class Body(BaseModel):
        values: list[float]
        extra: dict[str, Any]

    app = FastAPI()
    body = {"values": [3.9e-05, 5e-07, 0.1, 100.0, 1e16, 1 / 3],
            "extra": {"gap": 7.772020123969161e-08, "é": [1e-5]}}

    @app.get("/x", response_model=Body)
    def x() -> dict[str, Any]:
        return body

    http = TestClient(app).get("/x").content.decode()
    print_body(body)
    assert capsys.readouterr().out == http + "\n"
    assert json.dumps(body, separators=(",", ":"), ensure_ascii=False) != http  # the trap


def test_cold_start_and_lookalike_tables_write_values_as_the_csv(
        answers: TestClient, model_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The text tables of cold-start and lookalike show each value as the JSON body and the
    audience CSV write it (render.column_text): a beyond-the-rings user's tier is empty."""
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("u4\nu8\n", encoding="utf-8")
    for argv, http in (
            (["cold-start", model_dir, "--genre", GENRES[2], "--k", 3, "--offset", 150],
             answers.post("/audiences/cold-start", json={"genres": [GENRES[2]], "k": 3,
                                                         "offset": 150})),
            (["lookalike", model_dir, "--seeds", seeds, "--k", 3],
             answers.post("/audiences/lookalike", json={"seed_user_ids": ["u4", "u8"],
                                                        "k": 3}))):
        code, out, _ = run(capsys, *argv)
        assert code == 0
        lines = out.splitlines()
        head = lines.index(next(x for x in lines if x.startswith("rank")))
        rows = [x.split() for x in lines[head + 2:-1]]  # the last line: the legend
        assert lines[-1].startswith("score: ") and "percentile: in (0, 100]" in lines[-1]
        users = http.json()["users"]
        assert len(rows) == len(users) == 3
        for row, user in zip(rows, users, strict=True):
            assert row[:4] == [str(user["rank"]), user["user_id"], repr(user["score"]),
                               repr(user["percentile"])]
            assert (row[4] == user["tier"]) if user["tier"] else row[4] == str(user["segment"])


def test_a_year_in_the_title_is_not_said_twice(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """``film`` printed "Toy Story (1995) (1995)" for MovieLens titles, which carry their
    year; a title without one still gets it (from the release date)."""
    from tests.io.reading_helpers import make_ml100k

    data = make_ml100k(tmp_path / "ml-100k")
    code, _, err = run(capsys, "train", "--data", data, "--out", tmp_path / "m", "--no-tune",
                       "--factors", 2, "--segments", 1, "--holdout", 0)
    assert code == 0, err
    code, out, _ = run(capsys, "film", tmp_path / "m", "1")
    assert code == 0 and out.splitlines()[0].startswith("Toy Story (1995) [film 1]:")
    code, out, _ = run(capsys, "film", tmp_path / "m", "3")
    assert code == 0 and out.splitlines()[0].startswith("Something Odd (1971) [film 3]:")


def test_audience_csv_names_its_model_as_the_download_does(
        answers: TestClient, model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The HTTP download says which model cut it (X-Model-Version); `audience --csv` printed
    the same rows and said nothing of it (`audiences` names it in its line): on stderr, the
    CSV on stdout unchanged."""
    http = answers.get("/films/00004/audience.csv", params={"k": "3"})
    assert http.status_code == 200, http.text
    code, out, err = run(capsys, "audience", model_dir, "00004", "--k", 3, "--csv")
    assert code == 0 and out == http.text
    assert err == (f"note: audience of film '00004' from model "
                   f"{http.headers['X-Model-Version']} as trained\n")


def test_with_repeated_as_over_http(answers: TestClient, model_dir: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`--with` repeated adds each column, as `with=` repeated does over HTTP (it was refused as
    "given twice" on the CLI): the same CSV bytes either way, and as one comma-separated list."""
    film = "00004"
    http = answers.get(f"/films/{film}/audience.csv",
                       params=[("k", "4"), ("with", "title"), ("with", "region")])
    assert http.status_code == 200, http.text
    assert http.text.splitlines()[0].endswith(",title,region")
    for columns in (["--with", "title", "--with", "region"], ["--with", "title,region"]):
        code, out, err = run(capsys, "audience", model_dir, film, "--k", 4, "--csv", *columns)
        assert code == 0, err
        assert out == http.text


def test_a_report_table_counts_plan_rows_not_users(client: TestClient, store: str,
                                                   plans: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The table's targets and controls are plan rows, as the body's units say: its header
    said '(users)', and a plan at --cap 2 read 251 targets (users) overall for 208 users."""
    units = client.get(f"/campaigns/{plans[0]}/report").json()["units"]
    code, out, _ = run(capsys, "campaign", "report", plans[0], "--store", store)
    header = next(line for line in out.splitlines() if line.startswith("group "))
    assert code == 0 and "(users)" not in header
    assert f"targets ({units['targets']})" in header
    assert f"controls ({units['controls']})" in header
