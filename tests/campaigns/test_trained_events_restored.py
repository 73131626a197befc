"""A store restored from a backup and written to again is not the one a model was trained on.

``train --events`` recorded the store's id and the last sequence it folded in; a backup keeps
the id, and the restored store's next imports reuse the numbers of the events it lost, so a
model trained through 13 ignored the 10 new events stored under 4-13 (``events status``: "0
events after it apply"; a new user's watched film was recommended). Oracles: the events
written by hand, the pairs of the restored store's events in the answering model's ``seen``,
and the store as trained (or copied) still recognised; a model recorded before the
fingerprint is matched by id as before.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import run_cli

from recommender.campaigns.backup import backup_store
from recommender.campaigns.events import EventBatch, record_events, trained_through
from recommender.campaigns.next_wave import store_overlay
from recommender.campaigns.store import open_store
from recommender.campaigns.trained_events import sampled, trained_events
from recommender.campaigns.training_events import with_stored_events
from recommender.model import artifact
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from tests.service_fixtures import build_interactions


def _record(path: Path, rows: list[tuple[str, str, int]]) -> None:
    store = open_store(str(path))
    try:
        record_events(store, EventBatch([f"{u}|{f}|{t}" for u, f, t in rows],
                                        [u for u, _, _ in rows], [f for _, f, _ in rows],
                                        [t for _, _, t in rows], [1.0] * len(rows)))
    finally:
        store.close()


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """s.db: 3 events, backed up, then 10 more; a model trained through its 13; r.db: the
    backup restored and given 10 other events (sequences 4-13)."""
    tmp = tmp_path_factory.mktemp("restored")
    inter = build_interactions(n_users=40, n_films=12, per_user=4, seed=3)
    users, films = [str(u) for u in inter.users.ids], [str(f) for f in inter.films.ids]
    _record(tmp / "s.db", [(users[i], films[i], 1_700_000_000) for i in range(3)])
    backup_store(str(tmp / "s.db"), tmp / "bk.db")
    _record(tmp / "s.db", [(users[i], films[(i * 5) % 12], 1_700_000_100)
                           for i in range(10, 20)])
    data, info = with_stored_events(inter, str(tmp / "s.db"))
    model = train(data, TrainConfig(model="als", factors=4, iterations=3, segments=2,
                                    holdout=0.0), progress=False)
    model.meta["events"] = info
    shutil.copy(tmp / "bk.db", tmp / "r.db")
    new = [(f"newbie{i}", films[(i * 7) % 12], 1_700_000_200) for i in range(10)]
    _record(tmp / "r.db", new)
    return {"tmp": tmp, "model": model, "new": new}


def test_the_restored_store_applies_every_event_and_says_retrain(restored: dict[str, Any]
                                                                 ) -> None:
    tmp, model = restored["tmp"], restored["model"]
    assert model.meta["events"]["through_seq"] == 13
    store = open_store(str(tmp / "r.db"))
    try:
        assert trained_through(model.meta, store) == 0  # was 13: nothing applied
        gone = trained_events(model.meta, store).gone
        assert gone is not None and "other events up to sequence 13" in gone
        assert "retrain" in gone
        overlay = store_overlay(model, store)
        assert overlay.since == 0 and overlay.seq == 13
        assert overlay.describe()["events_applied"] == 13  # all of them, as new
        assert overlay.describe()["trained_events_gone"] == gone
        refreshed: Model = overlay.model()
    finally:
        store.close()
    for user, film, _ in restored["new"]:  # each new watch is seen: never recommended
        u, f = refreshed.users.index_of(user), refreshed.films.index_of(film)
        assert f in refreshed.seen.indices[refreshed.seen.indptr[u]:refreshed.seen.indptr[u + 1]]


def test_the_store_as_trained_its_backup_after_training_and_old_models_are_recognised(
        restored: dict[str, Any]) -> None:
    tmp, model = restored["tmp"], restored["model"]
    backup_store(str(tmp / "s.db"), tmp / "after.db")  # a backup keeps the events as they are
    for name in ("s.db", "after.db"):
        store = open_store(str(tmp / name))
        try:
            assert trained_events(model.meta, store).through == 13
            assert trained_events(model.meta, store).gone is None
        finally:
            store.close()
    old = {"events": {k: v for k, v in model.meta["events"].items() if k != "fingerprint"}}
    store = open_store(str(tmp / "r.db"))
    try:  # a meta.json written before the fingerprint: matched by the store's id, as before
        assert trained_events(old, store).through == 13
    finally:
        store.close()


def test_a_restore_with_no_new_event_says_the_trained_event_is_missing(
        restored: dict[str, Any]) -> None:
    tmp, model = restored["tmp"], restored["model"]
    shutil.copy(tmp / "bk.db", tmp / "bare.db")
    store = open_store(str(tmp / "bare.db"))
    try:
        got = trained_events(model.meta, store)
    finally:
        store.close()
    assert got.through == 0 and got.gone is not None
    assert "holds no event at sequence 13" in got.gone


def test_events_status_and_recommend_warn(restored: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    tmp, model = restored["tmp"], restored["model"]
    folder = artifact.save(model, tmp / "m")
    code, out, err = run_cli(capsys, "events", "status", "--store", tmp / "r.db",
                             "--model", folder)
    assert code == 0, err
    assert "warning: the campaign store" in out and "retrain the model" in out
    assert "13 events after it apply" in out
    user, film, _ = restored["new"][0]
    code, out, err = run_cli(capsys, "recommend", folder, "--user", user, "--store",
                             tmp / "r.db", "-k", "11", "--json")
    assert code == 0, err
    assert "warning: the campaign store" in err and "retrain" in err
    body = json.loads(out)
    assert body["known_from"] == "events" and len(body["films"]) == 11  # 12 films, 1 watched
    assert film not in [f["film_id"] for f in body["films"]]  # the one watched since


def test_the_sampled_sequences_reach_the_first_and_the_last() -> None:
    assert sampled(1) == [1]
    assert sampled(13) == [1, 5, 9, 11, 12, 13]
    assert sampled(20_016)[-1] == 20_016 and sampled(20_016)[0] == 1
    assert len(sampled(20_000_000)) <= 27
    assert np.all(np.diff(sampled(1_000)) > 0)


def test_the_service_applies_every_event_and_says_why(restored: dict[str, Any],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    tmp, model = restored["tmp"], restored["model"]
    folder = artifact.save(model, tmp / "served")
    settings = Settings(model_path=str(folder), store=str(tmp / "r.db"), events_poll=0,
                        warm_cache=False, watch_interval=0)
    with caplog.at_level("WARNING"), TestClient(create_app(settings)) as client:
        status = client.get("/events/status").json()
    assert status["applied"] == 13 and status["overlay"]["events_applied"] == 13
    gone = status["overlay"]["trained_events_gone"]
    assert gone and "retrain" in gone
    assert any(gone in r.getMessage() for r in caplog.records)


def test_forgetting_a_user_is_no_restore(restored: dict[str, Any]) -> None:
    """``forget`` gives an erased user's events a tombstone in place of their id and event id:
    the store still holds the events the model was trained through (the fingerprint reads
    their film, time and weight), so the model's events stay applied, not all applied again.
    Oracle: the store's own event at sequence 13 (a sampled one) belongs to the forgotten
    user before the erasure, and ``trained_through`` is the 13 recorded."""
    from recommender.campaigns.erasure import forget

    tmp, model = restored["tmp"], restored["model"]
    shutil.copy(tmp / "s.db", tmp / "f.db")
    store = open_store(str(tmp / "f.db"))
    try:
        with store.engine.connect() as conn:
            (user,) = conn.exec_driver_sql(
                "SELECT user_id FROM campaign_events WHERE seq = 13").one()
        assert 13 in sampled(13)
        forget(store, [str(user)])
        with store.engine.connect() as conn:
            (now,) = conn.exec_driver_sql(
                "SELECT user_id FROM campaign_events WHERE seq = 13").one()
        assert now != user  # the erasure did change the sampled row
        assert trained_events(model.meta, store).gone is None
        assert trained_through(model.meta, store) == 13
    finally:
        store.close()
