"""Guards of the closed loop: reports count only sent waves and scale predictions to the
window, a next wave cannot claim more sent waves than the plan has, a reused event_id with a
different payload is a conflict, readers never create a store, and weights stay bounded (the
overlay refuses a non-finite vector)."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import scipy.sparse as sp
from fastapi.testclient import TestClient
from helpers import synthetic_model
from service_fixtures import save_model

import recommender.campaigns.report as report_module
from recommender.campaigns.events import (
    MAX_WEIGHT,
    EventBatch,
    EventConflictError,
    check_events,
    count_events,
    plan_links,
    record_events,
)
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import CampaignStore, open_store
from recommender.cli import main
from recommender.errors import InvalidParameterError
from recommender.model import artifact
from recommender.serving.overlay import Overlay, confidence_of, fold_in
from service.app import create_app
from service.settings import Settings

START = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
DAY = 86_400
# film A, 3 waves: (user, wave, group)
LAYOUT = [("u0", 1, "target"), ("u1", 1, "target"), ("u2", 1, "target"), ("u3", 1, "target"),
          ("u4", 1, "control"), ("u5", 1, "control"), ("u6", 2, "target"), ("u7", 2, "target"),
          ("u8", 2, "control"), ("u9", 3, "target"), ("u10", 3, "control")]
CURVE = {"days": [5.0, 10.0, 20.0], "ratio": [0.6, 1.0, 1.5]}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("loop-guards") / "model")


def three_wave_plan(store: CampaignStore, plan_id: str = "plan-a", curve: bool = True) -> None:
    n = len(LAYOUT)
    rows = pa.Table.from_arrays([
        pa.array([plan_id] * n), pa.array(["A"] * n), pa.array([u for u, _, _ in LAYOUT]),
        pa.array(np.array([w for _, w, _ in LAYOUT], np.int16)),
        pa.array([g for _, _, g in LAYOUT]), pa.array(np.arange(1, n + 1, dtype=np.int32)),
        pa.array(np.full(n, 0.2)), pa.array(np.full(n, 0.2))], schema=PLAN_SCHEMA)
    horizon: dict[str, object] = {"days": 10.0}
    if curve:
        horizon["curve"] = CURVE
    store.save_plan(plan_id, {"created": "2024-03-01T00:00:00+00:00", "model_version": "m1",
                              "parameters": {"waves": 3, "cap": 1, "holdout": 0.2},
                              "films": [{"film_id": "A", "title": "Film A", "budget": 11}],
                              "horizon": horizon}, rows)
    # wave 1: three targets (u0, u1, u2) and one control (u4) converted; nobody later
    record_events(store, check_events([
        {"event_id": f"c-{u}", "user_id": u, "film_id": "A", "timestamp": START + DAY}
        for u in ("u0", "u1", "u2", "u4")]))


def test_report_counts_only_the_sent_waves(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    three_wave_plan(store)
    one = campaign_report(store, "plan-a", window_days=10, sent_waves=1)
    o = one["overall"]
    assert (o["targets"], o["target_conversions"], o["controls"], o["control_conversions"]) \
        == (4, 3, 2, 1)
    assert math.isclose(o["absolute_uplift"]["estimate"], 3 / 4 - 1 / 2)
    assert one["waves_included"] == [1] and [w["wave"] for w in one["waves"]] == [1]
    assert one["films"][0]["targets"] == 4 and one["sent_waves_source"] == "given"
    every = campaign_report(store, "plan-a", window_days=10)
    assert every["waves_included"] == [1, 2, 3] and "all 3 waves" in every["sent_waves_source"]
    o = every["overall"]  # unsent waves dilute: 3 of 7 targets, 1 of 4 controls
    assert (o["targets"], o["target_conversions"], o["controls"], o["control_conversions"]) \
        == (7, 3, 4, 1)
    with pytest.raises(InvalidParameterError, match="at most|in \\[1, 3\\]"):
        campaign_report(store, "plan-a", sent_waves=4)
    # a next wave planned after 1 sent wave makes 1 the default
    store.save_plan("plan-b", {"created": "2024-03-02T00:00:00+00:00", "model_version": "m1"},
                    PLAN_SCHEMA.empty_table())
    with store.engine.begin() as conn:
        conn.execute(plan_links.insert().values(plan_id="plan-b", previous_plan_id="plan-a",
                                                sent_waves=1, events_seq=0))
    linked = campaign_report(store, "plan-a", window_days=10)
    assert linked["waves_included"] == [1] and "plan-b" in linked["sent_waves_source"]
    assert linked["overall"] == one["overall"]


def test_predicted_conversions_follow_the_window(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    three_wave_plan(store)
    three_wave_plan(store, "plan-flat", curve=False)
    for days, k in ((10, 1.0), (20, 1.5), (5, 0.6), (7.5, 0.8)):  # k read off CURVE by hand
        body = campaign_report(store, "plan-a", window_days=days, sent_waves=1)
        by_hand = 4 * (1 - 0.8 ** k)  # four wave-1 targets at p = 0.2 over 10 days
        assert math.isclose(body["overall"]["predicted_target_conversions"], by_hand,
                            abs_tol=1e-4), days
        assert math.isclose(body["predicted"]["factor"], k, abs_tol=1e-6)
        assert body["predicted"]["horizon_days"] == 10.0 and "curve" in body["note"]
    flat = campaign_report(store, "plan-flat", window_days=25, sent_waves=1)
    assert math.isclose(flat["overall"]["predicted_target_conversions"],
                        4 * (1 - 0.8 ** 2.5), abs_tol=1e-4)
    assert "window / horizon" in flat["predicted"]["scaling"]
    # a window under half a second rounds to no second at all: refused, not an empty report
    with pytest.raises(InvalidParameterError, match="at least one second"):
        campaign_report(store, "plan-a", window_days=1e-9)


def test_a_reused_event_id_with_another_payload_is_a_conflict(store_target: str) -> None:
    store = open_store(store_target)
    base = {"event_id": "e1", "user_id": "u1", "film_id": "f1", "timestamp": 100}
    assert record_events(store, check_events([base]))[:2] == (1, 0)
    for change in ({"user_id": "u2"}, {"film_id": "f2"}, {"timestamp": 101}, {"weight": 2.0}):
        batch = check_events([{"event_id": "e2", "user_id": "u", "film_id": "f",
                               "timestamp": 1}, {**base, **change}])
        with pytest.raises(EventConflictError, match="event_id 'e1'") as info:
            record_events(store, batch)
        assert info.value.event_id == "e1" and "nothing of this batch" in str(info.value)
        assert count_events(store) == 1, "nothing of the batch is stored"
    with pytest.raises(EventConflictError, match="'e3'"):  # within one batch
        record_events(store, check_events([{**base, "event_id": "e3"},
                                           {**base, "event_id": "e3", "weight": 3}]))
    again = record_events(store, check_events([base, {**base, "event_id": "e4"}, base]))
    assert again[:2] == (1, 2) and count_events(store) == 2, "an identical retry is harmless"
    store.close()


def test_weights_are_bounded(tmp_path: Path) -> None:
    row = {"event_id": "w", "user_id": "u", "film_id": "f", "timestamp": 1}
    assert check_events([{**row, "weight": MAX_WEIGHT}]).weight == [MAX_WEIGHT]
    for w in (MAX_WEIGHT * 1.000001, 1e308, 0.0):
        with pytest.raises(InvalidParameterError, match="weight"):
            check_events([{**row, "weight": w}])
    store = open_store(str(tmp_path / "s.db"))
    with pytest.raises(InvalidParameterError, match="weight"):  # a batch built by hand
        record_events(store, EventBatch(["w"], ["u"], ["f"], [1], [1e308]))
    assert count_events(store) == 0
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp,weight\nu,f,1,2\nu,f,2,1e308\n")
    assert main(["events", "import", "--store", str(tmp_path / "s.db"),
                 str(tmp_path / "ev.csv")]) == 2
    assert count_events(store) == 0


def test_the_overlay_refuses_a_non_finite_vector(caplog: pytest.LogCaptureFixture) -> None:
    model = synthetic_model(n_users=40, n_films=20, seed=3)
    model.meta["params"] = {**model.meta["params"], "weighting": "rating"}
    overlay = Overlay(model)
    caplog.set_level(logging.WARNING, "recommender.serving.overlay")
    overlay.apply(np.array(["user-0001", "user-0002"]), np.array(["0001000", "0001037"]),
                  np.array([np.inf, 2.0]), 2)
    derived = overlay.model()
    assert np.array_equal(derived.user_factors[1], model.user_factors[1]), "old vector kept"
    assert np.isfinite(derived.user_factors).all()
    # user 2 is refreshed as usual: its trained vector plus the fold-in of its counts with the
    # event less the fold-in without it
    base = sp.csr_matrix(model.seen[2], dtype=np.float64)
    counts = sp.lil_matrix(base)
    counts[0, 1] = counts[0, 1] + 2.0
    counts = sp.csr_matrix(counts)
    seen = derived.seen
    expect = model.user_factors[2] \
        + fold_in(model.film_factors, confidence_of(model, counts, seen), 0.05)[0] \
        - fold_in(model.film_factors, confidence_of(model, base, seen), 0.05)[0]
    assert np.allclose(derived.user_factors[2], expect, atol=1e-5)
    overlay.apply(np.array(["user-0001"]), np.array(["0001074"]), np.array([1.0]), 3)
    overlay.model()
    assert overlay.describe()["non_finite_vectors_refused"] == 2
    assert len([r for r in caplog.records if "non-finite" in r.getMessage()]) == 1


def test_surfaces(model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> None:
    # one report time for the CLI's, the library's and HTTP's bodies (compared whole)
    monkeypatch.setattr(report_module, "report_now", lambda: 1_800_000_000)
    path = tmp_path / "s.db"
    store = open_store(str(path))
    three_wave_plan(store)
    # the command line: --sent-waves, its bound, readers never create a store
    assert main(["campaign", "report", "plan-a", "--store", str(path), "--sent-waves", "1",
                 "--window-days", "10", "--json", "--model", str(model_dir)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body == campaign_report(store, "plan-a", 10.0, sent_waves=1,
                                   model=artifact.load(model_dir))
    assert main(["campaign", "report", "plan-a", "--store", str(path)]) == 0
    assert "waves 1-3 of 3 included" in capsys.readouterr().out
    assert main(["campaign", "report", "plan-a", "--store", str(path), "--sent-waves",
                 "4"]) == 2
    missing = tmp_path / "nonexist.db"
    for argv in (["campaign", "report", "plan-a"], ["campaign", "list"],
                 ["campaign", "show", "plan-a"]):
        assert main([*argv, "--store", str(missing)]) == 2
        assert f"no campaign store at {missing}" in capsys.readouterr().err
        assert not missing.exists()
    assert main(["plan", str(model_dir), "--after", "plan-a", "--store", str(path),
                 "--sent-waves", "4", "--out", str(tmp_path / "n.csv")]) == 2
    assert "at most the 3 waves" in capsys.readouterr().err
    before = count_events(store)
    (tmp_path / "ev.csv").write_text("user_id,film_id,timestamp,event_id\n"
                                     "u9,A,1700000005,fresh\nu0,A,1700000006,c-u0\n")
    assert main(["events", "import", "--store", str(path), str(tmp_path / "ev.csv"),
                 "--batch", "1"]) == 2
    assert "event_id 'c-u0'" in capsys.readouterr().err and count_events(store) == before
    # over HTTP
    settings = Settings(model_path=str(model_dir), store=str(path), events_poll=0.05,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.get("/campaigns/plan-a/report", params={"sent_waves": 1, "window_days": 10})
        assert r.status_code == 200 and r.json() == body
        r = client.get("/campaigns/plan-a/report", params={"sent_waves": 4})
        assert r.status_code == 422 and "sent_waves" in r.json()["detail"]
        r = client.post("/campaigns/plan-a/next", json={"sent_waves": 4})
        assert r.status_code == 422 and "at most the 3 waves" in r.json()["detail"]
        new = {"event_id": "h1", "user_id": "u9", "film_id": "A", "timestamp": START}
        clash = {"event_id": "c-u0", "user_id": "u0", "film_id": "A", "timestamp": START}
        r = client.post("/events", json={"events": [new, clash]})
        assert r.status_code == 409 and "'c-u0'" in r.json()["detail"]
        assert count_events(store) == before
        same = {**clash, "timestamp": START + DAY}
        r = client.post("/events", json={"events": [same]})
        assert r.status_code == 200 and r.json()["duplicates"] == 1
        r = client.post("/events", json={"events": [{**new, "weight": 2e6}]})
        assert r.status_code == 422 and count_events(store) == before
    store.close()


def test_an_import_overtaken_by_another_writer_says_what_it_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that reuses a stored event_id is refused before its first batch commits; but
    another import running at the same time may store one of its event_ids (with another
    payload) while it imports. It stopped there, its first batches committed, saying
    "nothing of this batch was stored" and naming no file or line: read as "the file was
    not imported"."""
    from recommender.campaigns import events as ev

    path, file = tmp_path / "s.db", tmp_path / "ev.csv"
    file.write_text("user_id,film_id,timestamp,event_id\n" +
                    "".join(f"u{i},A,{1_700_000_100 + i},e{i}\n" for i in range(6)))
    record, calls = ev.record_events, []

    def another_writer_between_batches(store: CampaignStore, batch: EventBatch) -> object:
        calls.append(len(batch))
        if len(calls) == 2:  # after this import's first batch, another stores e3 its own way
            record(store, EventBatch(["e3"], ["someone"], ["B"], [7], [1.0]))
        return record(store, batch)

    monkeypatch.setattr(ev, "record_events", another_writer_between_batches)
    assert main(["events", "import", "--store", str(path), str(file), "--batch", "2"]) == 2
    err = capsys.readouterr().err
    assert f"{file}, line 5: event_id 'e3'" in err, err  # e3 is the 4th data line
    assert "first 2 events were recorded (2 new, 0 already stored)" in err, err
    assert "nothing of this batch" not in err
    assert count_events(open_store(str(path))) == 3
    # the file refused before any batch: named, with its line, and nothing stored
    monkeypatch.setattr(ev, "record_events", record)
    assert main(["events", "import", "--store", str(path), str(file)]) == 2
    err = capsys.readouterr().err
    assert f"{file}, line 5: event_id 'e3'" in err and "nothing of the file was stored" in err


def test_a_store_held_by_another_process_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holding the SQLite store's write lock past the busy wait (30 s; a
    few milliseconds here) made ``events import`` end in SQLAlchemy's traceback, exit 1. It
    is one line naming the cause, exit 2, as a store that cannot be opened is."""
    import sqlite3

    from recommender.campaigns import store as store_module

    path, file = tmp_path / "s.db", tmp_path / "ev.csv"
    open_store(str(path)).close()
    file.write_text("user_id,film_id,timestamp\nu1,A,1700000100\n")
    pragmas = store_module._sqlite_read_pragmas

    def short_wait(conn: object, record: object) -> None:
        pragmas(conn, record)
        conn.execute("PRAGMA busy_timeout=20")  # type: ignore[attr-defined]

    monkeypatch.setattr(store_module, "_sqlite_read_pragmas", short_wait)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding on
    try:
        code = main(["events", "import", "--store", str(path), str(file)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert code == 2 and "database is locked" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert count_events(open_store(str(path))) == 0
