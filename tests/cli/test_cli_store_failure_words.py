"""A campaign store that fails mid-command is named (its file, or its URL without the
password), and what stays is said in the command's terms: ``plan`` stored nothing of its
plan, ``events import`` keeps the batches committed (a re-run skips them by event_id), and a
store the command created is said to be removed again, not to keep "what was committed"."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from service_fixtures import save_model

from recommender.campaigns.store import CampaignStore
from recommender.cli import main
from recommender.cli.store_failure import failed_store, store_failure

FULL = sa.exc.OperationalError("INSERT INTO campaign_plans ...", None,
                               sqlite3.OperationalError("database or disk is full"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("store-failure") / "model")


def _full(*_args: Any, **_kw: Any) -> Any:
    raise FULL


def _plan(model_dir: Path, tmp_path: Path, store: Path) -> list[str]:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n00003,5\n")
    return ["plan", str(model_dir), "--slate", str(slate), "--out", str(tmp_path / "p.csv"),
            "--store", str(store)]


def test_a_full_disk_under_a_new_plan_store_names_it_and_says_it_was_removed(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    monkeypatch.setattr(CampaignStore, "save_plan", _full)
    store = tmp_path / "new" / "p.db"
    assert main(_plan(model_dir, tmp_path, store)) == 2
    err = capsys.readouterr().err.strip()
    assert not store.exists() and not (tmp_path / "p.csv").exists()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"the campaign store {store} could not be written (database or disk" in err, err
    assert "was removed again" in err and "no plan file was written" in err, err
    assert "committed before this stays" not in err and "event_id" not in err, err


def test_a_full_disk_under_an_existing_plan_store_says_nothing_of_the_plan_was_stored(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    store = tmp_path / "p.db"
    assert main(_plan(model_dir, tmp_path, store)) == 0
    (tmp_path / "p.csv").unlink()
    capsys.readouterr()
    monkeypatch.setattr(CampaignStore, "save_plan", _full)
    assert main(_plan(model_dir, tmp_path, store)) == 2
    err = capsys.readouterr().err.strip()
    assert store.exists() and not (tmp_path / "p.csv").exists()
    assert f"the campaign store {store} could not be written" in err, err
    assert ("nothing of this plan was stored; no plan file was written; run the same command "
            "again once there is room") in err, err
    assert "removed" not in err and "event_id" not in err, err


def test_an_import_keeps_its_committed_events_in_its_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import recommender.campaigns.events as events

    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    real, calls = events.record_events, []

    def full_after_one(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return _full() if len(calls) > 1 else real(*args, **kwargs)

    monkeypatch.setattr(events, "record_events", full_after_one)
    src = tmp_path / "responses.csv"
    src.write_text("user_id,film_id,timestamp,event_id\n"
                   + "".join(f"u{i},f{i},1700000000,e{i}\n" for i in range(4)))
    store = tmp_path / "s.db"
    assert main(["events", "import", "--store", str(store), "--batch", "2", str(src)]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"the campaign store {store} could not be written" in last, last
    assert ("the events committed before this stay in it, and the same command again once "
            "there is room skips them (events are recognised by event_id)") in last, last


def test_a_postgresql_store_is_named_without_its_password() -> None:
    args = argparse.Namespace(command="plan", store="postgresql://ann:s3cr@t@db.example/camp",
                              model="m")
    said = store_failure(FULL, failed_store(args), "plan")
    assert said is not None and "s3cr" not in said, said
    assert "the campaign store postgresql://ann:***@db.example/camp could" in said, said
    keyed = argparse.Namespace(command="plan", store="postgresql://h/c?sslpassword=k3y",
                               model="m")
    assert failed_store(keyed) == "postgresql://h/c?sslpassword=***"
    train = argparse.Namespace(command="train", events="/x/events.db", store=None)
    assert failed_store(train) == "/x/events.db"
    assert failed_store(argparse.Namespace(command="plan", store="none", model="m")) is None
