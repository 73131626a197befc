"""Without ``--store`` and ``RECOMMENDER_STORE`` an answering command reads the store that
``serve MODEL`` opens by default (``MODEL.campaigns.db`` beside the model) when that file
exists, never creating it: it read no store, so ``audience --json`` listed users the service
knew had watched the film (events POSTed to it) and differed from the service's body. ``plan``
without a store says the plan is not in the store the service reads."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_fixtures import save_model

from recommender.campaigns.store import open_store
from recommender.cli import main
from service.app import create_app
from service.settings import Settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out, err


def test_answers_read_the_services_default_store(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model_dir = save_model(tmp_path / "model")
    beside = tmp_path / "model.campaigns.db"
    # no store there yet: the model as trained, and nothing created
    trained, err = run(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json")
    assert not beside.exists() and "campaign store" not in err
    settings = Settings(model_path=str(model_dir), events_poll=0.05, warm_cache=False)
    with TestClient(create_app(settings)) as client:
        assert beside.exists()  # the service's own default, made at its start
        before = client.get("/films/00003/audience", params={"k": 8}).text
        assert trained.strip() == before
        users = [u["user_id"] for u in client.get("/films/00003/audience",
                                                  params={"k": 8}).json()["users"]]
        now = int(time.time())
        events = [{"event_id": f"e{i}", "user_id": u, "film_id": "00003", "timestamp": now}
                  for i, u in enumerate(users[:3])]
        seq = client.post("/events", json={"events": events}).json()["sequence"]
        deadline = time.monotonic() + 30
        while client.get("/events/status").json()["applied"] < seq and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        after = client.get("/films/00003/audience", params={"k": 8})
        recs = client.get(f"/users/{users[0]}/recommendations", params={"k": 5}).text
    watched = {u["user_id"] for u in after.json()["users"]}
    assert after.text != before and not watched & set(users[:3])  # the service's answer moved
    out, err = run(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json")
    assert out.strip() == after.text  # and the command's with it: the same body
    assert f"note: reading the campaign store {beside}, the one `serve {model_dir}` opens " \
           "without RECOMMENDER_STORE" in err
    assert err.splitlines()[-1].endswith(
        f"with the campaign store's 3 events since training (through sequence {seq})")
    out, _ = run(capsys, "recommend", str(model_dir), "--user", users[0], "--k", "5", "--json")
    assert out.strip() == recs
    # a store named by --store or the variable is still the one read (here: an empty one)
    other = tmp_path / "other.db"
    open_store(str(other)).close()
    out, err = run(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json",
                   "--store", str(other))
    assert out == trained and str(beside) not in err
    monkeypatch.setenv("RECOMMENDER_STORE", str(other))
    out, err = run(capsys, "audience", str(model_dir), "00003", "--k", "8", "--json")
    assert out == trained and str(beside) not in err


def test_a_plan_without_a_store_names_the_services(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model_dir = save_model(tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    out, err = run(capsys, "plan", str(model_dir), "--slate", str(slate), "--out",
                   str(tmp_path / "plan.csv"))
    beside = tmp_path / "model.campaigns.db"
    assert "(not stored)" in out
    assert f"is not in the campaign store that `serve {model_dir}` reads ({beside}, " \
           f"without RECOMMENDER_STORE): plan with --store {beside}" in err
    assert not beside.exists()


def test_a_plan_without_a_store_reads_the_services_events(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan`` without a store read no store at all, so it planned a film for users the
    service knew had watched it (events POSTed to the server): it reads the default store's
    events now, read only, and stores nothing there."""
    import csv

    from recommender.campaigns.events import EventBatch, record_events

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model_dir = save_model(tmp_path / "model")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    out_csv = tmp_path / "plan.csv"

    def planned() -> set[str]:
        with out_csv.open(newline="", encoding="utf-8") as f:
            return {r["user_id"] for r in csv.DictReader(f) if r["film_id"] == "00003"}

    run(capsys, "plan", str(model_dir), "--slate", str(slate), "--out", str(out_csv))
    first = planned()
    watcher = sorted(first)[0]
    beside = tmp_path / "model.campaigns.db"
    store = open_store(str(beside))  # as `serve MODEL` makes it, with an event POSTed
    record_events(store, EventBatch(["e1"], [watcher], ["00003"], [int(time.time())], [1.0]))
    store.close()
    _, err = run(capsys, "plan", str(model_dir), "--slate", str(slate), "--out", str(out_csv))
    assert first and watcher not in planned()
    assert f"note: reading the campaign store {beside}, the one `serve {model_dir}` opens " \
           "without RECOMMENDER_STORE" in err
    assert f"is not in the campaign store that `serve {model_dir}` reads ({beside}" in err
    store = open_store(str(beside))
    try:
        assert store.list_plans()[0] == 0  # read, never written to
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["damaged", "newer"])
def test_an_unreadable_default_store_is_said_and_the_answer_is_the_models(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        kind: str) -> None:
    """A default store beside the model that this engine cannot read (a damaged file, or one a
    newer engine migrated, as in a rolling upgrade) failed ``audience`` and every answering
    command, though no one named it: the answer is now the model's as trained, with a note;
    named with ``--store``, it is still refused."""
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model_dir = save_model(tmp_path / "model")
    trained, _ = run(capsys, "audience", str(model_dir), "00003", "--k", "5", "--json")
    beside = tmp_path / "model.campaigns.db"
    if kind == "damaged":
        beside.write_bytes(b"not a database, " * 512)
    else:
        open_store(str(beside)).close()
        import sqlite3

        with sqlite3.connect(beside) as conn:
            (latest,) = conn.execute("select max(version) from schema_version").fetchone()
            conn.execute("insert into schema_version values (?, 'future', '2030-01-01')",
                         (latest + 1,))
    before = beside.read_bytes()
    out, err = run(capsys, "audience", str(model_dir), "00003", "--k", "5", "--json")
    assert out == trained
    assert f"note: the campaign store beside the model, {beside} " in err
    assert "the answer is the model's as trained" in err
    assert beside.read_bytes() == before  # nothing written into it
    code = main(["audience", str(model_dir), "00003", "--k", "5", "--store", str(beside)])
    assert code == 2  # named, it is refused as before
    capsys.readouterr()
