"""Answers from the command line include the campaign store's events, as the service's do:
``--store`` (or ``RECOMMENDER_STORE``) gives the same bodies as the service serving that store.
Before, the CLI answered from the model as trained, so ``--json`` and HTTP differed once
events were recorded (viewers, exclusions, new users)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.cli import main
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-answers") / "model")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_cli_answers_see_the_stores_events(model_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store = str(tmp_path / "s.db")
    settings = Settings(model_path=str(model_dir), store=store, events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        users = [u["user_id"] for u in client.get("/films/00003/audience",
                                                  params={"k": 6}).json()["users"]]
        now = int(time.time())
        events = [{"event_id": f"e{i}", "user_id": u, "film_id": "00003", "timestamp": now}
                  for i, u in enumerate(users[:4] + ["newcomer-1"])]
        seq = client.post("/events", json={"events": events}).json()["sequence"]
        deadline = time.monotonic() + 30
        while client.get("/events/status").json()["applied"] < seq and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        asks = [
            ("/films/00003/audience?k=8", ["audience", "00003", "--k", "8"]),
            ("/films/00003/audience/summary", ["summary", "00003"]),
            ("/films/00003", ["film", "00003"]),
            # its body is the film vectors' as trained; the note names the events served, as
            # X-Events-Seq does (it said 'as trained': similar had no --store)
            ("/films/00004/similar?k=3", ["similar", "00004", "--k", "3"]),
            (f"/users/{users[0]}/recommendations?k=5", ["recommend", "--user", users[0],
                                                        "--k", "5"]),
            ("/films/00003/distribution?by=region", ["distribution", "00003"]),
            ("/users/newcomer-1/recommendations?k=5", ["recommend", "--user", "newcomer-1",
                                                       "--k", "5"]),
            # the segments' sizes count the users served, newcomer-1 included (README)
            ("/segments", ["segments"]),
            # without_value counts newcomer-1 (no attributes): `attributes` had no --store
            ("/users/attributes", ["attributes"]),
        ]
        bodies = {path: client.get(path).text for path, _ in asks}
        heads = {path: client.get(path).headers for path, _ in asks}
        # a user the model knows only from the store's events is said to be one (the Studio
        # could not tell them from a user of the training data)
        assert json.loads(bodies["/users/newcomer-1/recommendations?k=5"])["known_from"] == \
            "events"
        assert json.loads(bodies[f"/users/{users[0]}/recommendations?k=5"])["known_from"] == \
            "training"
        status = client.get("/events/status").text
    bare = cli(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json")
    assert bare.strip() != bodies["/films/00003/audience?k=8"]  # the events change it
    for path, argv in asks:
        code = main([argv[0], str(model_dir), *argv[1:], "--json", "--store", store])
        out, err = capsys.readouterr()
        assert code == 0 and out.strip() == bodies[path], path
        # stderr names what the headers do: the model, the events folded in
        n = len(events)
        assert err.splitlines()[-1] == (
            f"note: answer from model {heads[path]['X-Model-Version']} with the campaign "
            f"store's {n} events since training (through sequence "
            f"{heads[path]['X-Events-Seq']})"), (path, err)
    # what the store holds and what answers fold in (GET /events/status had no command)
    assert cli(capsys, "events", "status", "--model", str(model_dir), "--store", store,
               "--json").strip() == status
    text = cli(capsys, "events", "status", "--model", str(model_dir), "--store", store)
    assert f"latest event sequence {seq}" in text and "5 events after it apply" in text
    assert "(1 new to the model)" in text
    assert cli(capsys, "events", "status", "--store", store, "--json").strip() == \
        f'{{"sequence":{seq},"applied":0,"caught_up":false,"counted":"store",' \
        '"overlay":{}}'
    text = cli(capsys, "recommend", str(model_dir), "--user", "newcomer-1", "--store", store)
    assert "a user known only from the store's events since training" in text.splitlines()[0]
    # the film table's viewers say they count the store's events too (they said "in the
    # training data" while counting them)
    table = cli(capsys, "film", str(model_dir), "00003", "--store", store)
    assert "users who watched it in the training data or in the store's 5 events since" \
        in table
    # the same from the environment, as the service reads it
    monkeypatch.setenv("RECOMMENDER_STORE", store)
    out = cli(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json")
    assert out.strip() == bodies["/films/00003/audience?k=8"]
    # a store named by the environment that does not exist yet has no event; one given by
    # --store that does not exist is a mistake
    monkeypatch.setenv("RECOMMENDER_STORE", str(tmp_path / "none.db"))
    assert cli(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json") == bare
    assert not (tmp_path / "none.db").exists()
    assert main(["audience", str(model_dir), "00003", "--store", str(tmp_path / "typo.db")]) == 2
    assert "no campaign store" in capsys.readouterr().err


def test_a_store_that_cannot_be_read_is_said(model_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad $RECOMMENDER_STORE fell back to the model as trained without a word; and an
    answer migrated the store (writing its schema into an empty file) under its write lock."""
    not_a_db = tmp_path / "notadb.csv"
    not_a_db.write_text("user_id,film_id\nu1,f1\n")
    monkeypatch.setenv("RECOMMENDER_STORE", str(not_a_db))
    assert main(["audience", str(model_dir), "00003", "--k", "3"]) == 2
    assert "campaign store" in capsys.readouterr().err
    empty = tmp_path / "empty.db"
    empty.touch()
    monkeypatch.delenv("RECOMMENDER_STORE")
    assert main(["audience", str(model_dir), "00003", "--k", "3", "--store", str(empty)]) == 2
    assert "holds no campaign store" in capsys.readouterr().err
    assert empty.stat().st_size == 0  # a reader writes no schema


def test_what_counts_the_stores_events_says_so(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """/health's and `info`'s users and interactions counted the store's events under the
    training data's name ("100,063 interactions from data/", described as training
    interactions), and a Parquet export or a plan made with them recorded the model version
    alone: two exports of one version differed row for row with nothing to tell them apart.
    Each now says which events it folds in."""
    import json

    import pyarrow.parquet as pq

    store = str(tmp_path / "s.db")
    settings = Settings(model_path=str(model_dir), store=store, events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["model"]["store_events"] is None
        users = [u["user_id"] for u in client.get("/films/00003/audience",
                                                  params={"k": 4}).json()["users"]]
        now = int(time.time())
        events = [{"event_id": f"e{i}", "user_id": u, "film_id": "00003", "timestamp": now}
                  for i, u in enumerate(users[:3] + ["newcomer-1"])]
        seq = client.post("/events", json={"events": events}).json()["sequence"]
        deadline = time.monotonic() + 30
        while client.get("/events/status").json()["applied"] < seq and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        health = client.get("/health").json()["model"]
    want = {"events_applied": 4, "through_seq": seq, "new_users": 1}
    assert health["store_events"] == want
    info = json.loads(cli(capsys, "info", str(model_dir), "--json", "--store", store))
    assert info["model"]["store_events"] == want
    assert info["model"]["interactions"] == health["interactions"]
    table = cli(capsys, "info", str(model_dir), "--store", store)
    assert f"+ the campaign store's 4 events since training (through sequence {seq}; " \
           "1 new user)" in table  # in the noun's number (it said "1 new users")
    assert "events since training" not in cli(capsys, "info", str(model_dir))
    films = tmp_path / "films.txt"
    films.write_text("00003\n")
    out = tmp_path / "aud.parquet"
    cli(capsys, "audiences", str(model_dir), "--films", str(films), "--k", "5", "--out",
        str(out), "--store", store)
    meta = json.loads(pq.read_schema(out).metadata[b"recommender"])
    assert meta["store_events"] == want
    cli(capsys, "audiences", str(model_dir), "--films", str(films), "--k", "5", "--out",
        str(out))
    assert json.loads(pq.read_schema(out).metadata[b"recommender"])["store_events"] is None
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    summary = tmp_path / "summary.json"
    plan = tmp_path / "plan.parquet"
    cli(capsys, "plan", str(model_dir), "--slate", str(slate), "--out", str(plan),
        "--summary", str(summary), "--store", store)
    assert json.loads(summary.read_text())["store_events"] == want
    assert json.loads(pq.read_schema(plan).metadata[b"recommender"])["store_events"] == want
    cli(capsys, "plan", str(model_dir), "--slate", str(slate), "--out", str(plan))
    # the model as trained: null, as in the summary and an audience export, not left out
    assert json.loads(pq.read_schema(plan).metadata[b"recommender"])["store_events"] is None


def test_a_csv_export_says_the_model_and_the_store_events_it_was_cut_from(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV has no place for its context (a Parquet export keeps it in its metadata): the
    line reporting the export named neither the model version nor the store's events folded
    in, so two CSVs of one model, with and without events, could not be told apart."""
    from recommender.campaigns.events import EventBatch, record_events
    from recommender.campaigns.store import open_store
    from recommender.model import artifact

    version = artifact.load(model_dir).version
    store = tmp_path / "s.db"
    s = open_store(str(store))
    now = int(time.time()) - 60
    record_events(s, EventBatch(["e1", "e2"], ["u0001", "newcomer"], ["00003", "00003"],
                                [now, now], [1.0, 1.0]))
    s.close()
    films = tmp_path / "films.txt"
    films.write_text("00003\n")
    for argv in (["audiences", str(model_dir), "--films", str(films), "--k", "3"],
                 ["recommend", str(model_dir), "--all", "--k", "2"]):
        out = cli(capsys, *argv, "--out", str(tmp_path / "a.csv"))
        assert out.strip().endswith(f"from model {version} as trained"), out
        out = cli(capsys, *argv, "--out", str(tmp_path / "a.csv"), "--store", str(store))
        assert out.strip().endswith(f"from model {version} with the campaign store's 2 events "
                                    "since training (through sequence 2)"), out


def test_the_store_events_of_a_line_are_in_their_number() -> None:
    """One event folded in is "1 event", not "1 events" (an export's line, `info`)."""
    from types import SimpleNamespace

    from recommender.cli.printing import export_source

    meta = {"overlay": {"events_applied": 1, "seq": 7, "new_users": 1}}
    line = export_source(SimpleNamespace(meta=meta, version="v1"))  # type: ignore[arg-type]
    assert line == ("from model v1 with the campaign store's 1 event since training "
                    "(through sequence 7)")
