"""Each wave's conversions count from its own send (``wave_sends.py``): a wave sent on day 20
read its controls' purchases of day 5 as conversions, and its targets' of day 35 as none, a
-25.6-point uplift where every target converted; recorded, wave 2 reads from day 20. Send
times are checked (plan, wave, time, order), final, and retried safely; a store of the schema
before is migrated; ``campaign copy`` carries them. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

import recommender.campaigns.store as store_module
from recommender.campaigns.copy_store import copy_store
from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.campaigns.report import campaign_report, strata_stats
from recommender.campaigns.store import CampaignStore, UnknownPlanError, open_store
from recommender.campaigns.wave_sends import (
    WaveSentClashError,
    record_wave_sent,
    wave_send_times,
    wave_sends,
)
from recommender.campaigns.withdraw import withdraw
from recommender.errors import InvalidParameterError

DAY = 86_400
CREATED = "2024-03-01T00:00:00+00:00"
START = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
PER = {1: (6, 118), 2: (6, 118)}  # per film and wave: (targets, controls), holdout 0.95


def plan_rows(plan_id: str) -> pa.Table:
    """2 films x 2 waves, 6 targets and 118 controls in each (film, wave)."""
    film, user, wave, group = [], [], [], []
    for f in ("A", "B"):
        for w, (t, c) in PER.items():
            for i in range(t + c):
                film.append(f)
                user.append(f"{f}{w}-{i}")
                wave.append(w)
                group.append("target" if i < t else "control")
    n = len(film)
    return pa.Table.from_arrays([
        pa.array([plan_id] * n), pa.array(film), pa.array(user),
        pa.array(np.array(wave, np.int16)), pa.array(group),
        pa.array(np.arange(1, n + 1, dtype=np.int32)), pa.array(np.full(n, 0.1)),
        pa.array(np.full(n, 0.1))], schema=PLAN_SCHEMA)


def stored(store: CampaignStore, plan_id: str = "plan-w") -> pa.Table:
    rows = plan_rows(plan_id)
    store.save_plan(plan_id, {"created": CREATED, "model_version": "m", "films": [
        {"film_id": "A"}, {"film_id": "B"}], "parameters": {"waves": 2},
        "horizon": {"days": 30}}, rows)
    return rows


def respond(store: CampaignStore, rows: pa.Table) -> None:
    """Every wave-2 target buys on day 35; 30 wave-2 controls of each film on day 5 (before
    wave 2 went out, on day 20); 2 wave-1 targets of each film on day 3."""
    events = []
    for r in rows.to_pylist():
        i = int(r["user_id"].split("-")[1])
        day = (35 if r["group"] == "target" else 5 if i < 36 else None) if r["wave"] == 2 \
            else (3 if r["group"] == "target" and i < 2 else None)
        if day is not None:
            events.append({"event_id": f"e-{r['film_id']}-{r['user_id']}",
                           "user_id": r["user_id"], "film_id": r["film_id"],
                           "timestamp": START + day * DAY})
    record_events(store, check_events(events))


def oracle(rows: pa.Table, sends: dict[int, int], wave: int) -> dict[str, Any]:
    """Wave ``wave``'s block counted by hand: a row converts when its user's event falls in
    ``[send, send + 30 days)``, its wave's send the plan's start where none is recorded."""
    start = sends.get(wave, START)
    n_t, x_t, n_c, x_c = [], [], [], []
    for _film in ("A", "B"):  # the films' rows are alike
        t, c = PER[wave]
        bought = [i for i in range(t + c)
                  if start <= START + _day(wave, i, t) * DAY < start + 30 * DAY]
        n_t.append(t)
        x_t.append(sum(i < t for i in bought))
        n_c.append(c)
        x_c.append(sum(i >= t for i in bought))
    return strata_stats(*(np.array(a, np.int64) for a in (n_t, x_t, n_c, x_c)), 0.0, 0.0)


def _day(wave: int, i: int, t: int) -> float:
    if wave == 2:
        return 35 if i < t else 5 if i < 36 else np.inf
    return 3 if i < 2 else np.inf


def test_wave_two_counts_from_its_send(store_target: str) -> None:
    store = open_store(store_target)
    rows = stored(store)
    respond(store, rows)
    before = campaign_report(store, "plan-w")
    w2 = before["waves"][1]
    # unrecorded: as ever, from the plan's start (the reproduction's -25.6 points)
    assert (w2["target_conversions"], w2["control_conversions"]) == (0, 60)
    assert w2["absolute_uplift"] == oracle(rows, {}, 2)["absolute_uplift"]
    assert w2["absolute_uplift"]["estimate"] < 0 and w2["absolute_uplift"]["high"] < 0
    assert [w["source"] for w in before["wave_starts"]] == ["plan start"] * 2
    sent = START + 20 * DAY
    record_wave_sent(store, "plan-w", 1, START)  # wave 1 at the plan's start: as before
    body = record_wave_sent(store, "plan-w", 2, sent)
    assert body["already"] is False and body["waves"] == [{"wave": 1, "sent_at": START},
                                                          {"wave": 2, "sent_at": sent}]
    after = campaign_report(store, "plan-w", as_of=sent + 30 * DAY)  # both windows closed
    w2 = after["waves"][1]
    assert (w2["target_conversions"], w2["control_conversions"]) == (12, 0)
    want = oracle(rows, {2: sent}, 2)
    for key in ("absolute_uplift", "relative_uplift", "target_rate", "control_rate"):
        assert w2[key] == want[key], key
    assert w2["absolute_uplift"]["estimate"] > 0 and w2["absolute_uplift"]["low"] > 0
    # wave 1 from its send, the plan's start; ``start`` and ``end`` keep their meaning
    assert after["waves"][0] == before["waves"][0]
    assert after["waves"][0]["target_conversions"] == 4
    assert (after["start"], after["end"]) == (START, START + 30 * DAY)
    assert after["wave_starts"] == [
        {"wave": 1, "start": START, "end": START + 30 * DAY, "source": "recorded",
         "window_elapsed_days": 30.0, "window_elapsed_share": 1.0, "window_open": False},
        {"wave": 2, "start": sent, "end": sent + 30 * DAY, "source": "recorded",
         "window_elapsed_days": 30.0, "window_elapsed_share": 1.0, "window_open": False}]
    assert "wave 2 from 2024-03-21T00:00:00Z (its recorded send)" in after["note"]
    assert after["early_conversions"] == 0  # day 5 is weeks before wave 2: no early one
    store.close()


def test_early_conversions_per_wave_start(tmp_path: Path) -> None:
    """A wave-2 control buying the day before wave 2's send is early for wave 2, not a
    conversion, though it falls inside the plan-start window."""
    store = open_store(str(tmp_path / "s.db"))
    stored(store)
    record_events(store, check_events([{"event_id": "x", "user_id": "A2-100", "film_id": "A",
                                        "timestamp": START + 19 * DAY + 3600}]))
    assert campaign_report(store, "plan-w")["waves"][1]["control_conversions"] == 1
    record_wave_sent(store, "plan-w", 1, START)
    record_wave_sent(store, "plan-w", 2, START + 20 * DAY)
    got = campaign_report(store, "plan-w")
    assert got["waves"][1]["control_conversions"] == 0 and got["early_conversions"] == 1
    assert "with an event in the day before their wave's start (its send, else an earlier " \
        "wave's, else the plan's creation), not counted (early_conversions): 1; those events " \
        "carry times" in got["note"]
    store.close()


def test_refusals_say_what(store_target: str) -> None:
    store = open_store(store_target)
    stored(store)
    now = START + 60 * DAY
    with pytest.raises(UnknownPlanError):
        record_wave_sent(store, "plan-none", 1, START, now=now)
    for wave in (0, 3):
        with pytest.raises(InvalidParameterError, match=rf"wave must be in \[1, 2\] \(the waves "
                           rf"of plan plan-w\), got {wave}"):
            record_wave_sent(store, "plan-w", wave, START, now=now)
    with pytest.raises(InvalidParameterError, match="before plan plan-w was created"):
        record_wave_sent(store, "plan-w", 1, START - 1, now=now)
    with pytest.raises(InvalidParameterError, match="is in the future"):
        record_wave_sent(store, "plan-w", 1, now + DAY + 1, now=now)
    with pytest.raises(InvalidParameterError, match="must be a whole number"):
        record_wave_sent(store, "plan-w", 1, True, now=now)  # type: ignore[arg-type]
    record_wave_sent(store, "plan-w", 1, START + 10 * DAY, now=now)
    with pytest.raises(InvalidParameterError, match=r"before wave 1's recorded send, "
                       rf"{START + 10 * DAY} \(2024-03-11T00:00:00Z\): waves go out in order"):
        record_wave_sent(store, "plan-w", 2, START + 9 * DAY, now=now)
    record_wave_sent(store, "plan-w", 2, START + 10 * DAY, now=now)  # the same moment: fine
    with pytest.raises(WaveSentClashError, match=rf"wave 1 of plan plan-w was recorded as sent "
                       rf"at {START + 10 * DAY} \(2024-03-11T00:00:00Z\)"):
        record_wave_sent(store, "plan-w", 1, START + 11 * DAY, now=now)
    assert wave_send_times(store, "plan-w") == {1: START + 10 * DAY, 2: START + 10 * DAY}
    stored(store, "plan-x")
    with pytest.raises(InvalidParameterError, match=r"wave 1 of plan plan-x has no recorded "
                       r"send, so wave 2 cannot be recorded: waves go out in order; record "
                       r"wave 1 first \(campaign sent plan-x --wave 1 --at TIME"):
        record_wave_sent(store, "plan-x", 2, START + 5 * DAY, now=now)
    stored(store, "plan-y")
    withdraw(store, "plan-y", 1)
    with pytest.raises(InvalidParameterError, match="withdrawn after 1 sent wave.*wave 2 "
                       "never went out"):
        record_wave_sent(store, "plan-y", 2, START + 5 * DAY, now=now)
    store.close()


def test_racing_sends_of_one_wave_store_one(store_target: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sends of the same wave at once, with other times, both past the moved check
    together: one is stored, the other is refused naming it (never a primary-key error)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from recommender.campaigns import moved

    store = open_store(store_target)
    stored(store)
    real, barrier = moved.check_plan, threading.Barrier(2, timeout=3)

    def held(conn: Any, st: CampaignStore, what: str = "this plan") -> None:
        real(conn, st, what)  # SQLite: the write lock, so the other waits before the barrier
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(moved, "check_plan", held)

    def send(day: int) -> str:
        try:
            record_wave_sent(store, "plan-w", 1, START + day * DAY)
            return "stored"
        except WaveSentClashError as e:
            return str(e)

    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(send, [1, 2]))
    assert got.count("stored") == 1, got
    assert all("was recorded as sent at" in g for g in got if g != "stored"), got
    store.close()


def test_the_same_send_again_is_accepted(store_target: str) -> None:
    store = open_store(store_target)
    stored(store)
    first = record_wave_sent(store, "plan-w", 1, START + DAY)
    again = record_wave_sent(store, "plan-w", 1, START + DAY)
    assert (first["already"], again["already"]) == (False, True)
    assert again["recorded_at"] == first["recorded_at"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(wave_sends)).scalar() == 1
    store.close()


def test_a_store_of_the_schema_before_is_migrated(store_target: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    latest = store_module.MIGRATIONS
    before = [step for step in latest if step[0] < 8]  # 8 added the wave sends' table
    with monkeypatch.context() as m:
        m.setattr(store_module, "MIGRATIONS", before)
        old = open_store(store_target)
        assert old.version() == 7
        stored(old)
        old.close()
    store = open_store(store_target)
    assert store.version() == latest[-1][0] >= 8
    record_wave_sent(store, "plan-w", 1, START)
    record_wave_sent(store, "plan-w", 2, START + 20 * DAY)
    assert campaign_report(store, "plan-w")["wave_starts"][1]["source"] == "recorded"
    store.close()


def test_store_copy_carries_send_times(tmp_path: Path, store_target: str) -> None:
    source = open_store(str(tmp_path / "a.db"))
    stored(source)
    record_wave_sent(source, "plan-w", 1, START + DAY)
    record_wave_sent(source, "plan-w", 2, START + 20 * DAY)
    source.close()
    result = copy_store(str(tmp_path / "a.db"), store_target)
    assert result.rows["campaign_wave_sends"] == 2
    target = open_store(store_target)
    assert wave_send_times(target, "plan-w") == {1: START + DAY, 2: START + 20 * DAY}
    target.close()


def test_a_deleted_plan_takes_its_send_times(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.db"))
    stored(store)
    record_wave_sent(store, "plan-w", 1, START + DAY)
    with store.engine.begin() as conn:
        conn.execute(store_module.plans.delete())
    assert wave_send_times(store, "plan-w") == {}
    store.close()


def test_cli_equals_http_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                      ) -> None:
    """``campaign sent --json`` prints what ``POST /campaigns/{plan_id}/waves/{wave}/sent``
    answers; the report's CLI names the waves' starts; each refusal says what, through both;
    a read key may not record a send."""
    import json

    from fastapi.testclient import TestClient
    from helpers import run_cli
    from service_fixtures import save_model

    from service.app import create_app
    from service.settings import Settings

    stores = {k: str(tmp_path / f"{k}.db") for k in ("cli", "http")}
    for url in stores.values():
        s = open_store(url)
        respond(s, stored(s))
        s.close()
    iso = "2024-03-21T00:00:00Z"
    for url in stores.values():  # wave 1 at the plan's start: the waves go out in order
        s = open_store(url)
        record_wave_sent(s, "plan-w", 1, START)
        s.close()
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "2", "--at", iso,
                             "--store", stores["cli"], "--json")
    assert code == 0, err
    cli = json.loads(out)
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=stores["http"],
                        warm_cache=False, read_keys="ci:read-key-0123456789",
                        write_keys="ingest:write-key-0123456789")
    read, write = {"X-API-Key": "read-key-0123456789"}, {"X-API-Key": "write-key-0123456789"}
    with TestClient(create_app(settings)) as client:
        url = "/campaigns/plan-w/waves/2/sent"
        assert client.post(url, json={"at": iso}, headers=read).status_code == 403
        r = client.post(url, json={"at": iso}, headers=write)
        assert r.status_code == 200, r.text
        http = r.json()
        assert {**cli, "recorded_at": ""} == {**http, "recorded_at": ""}
        assert cli["sent_at"] == START + 20 * DAY and cli["already"] is False
        again = client.post(url, json={"at": START + 20 * DAY}, headers=write).json()
        assert again["already"] is True
        r = client.post(url, json={"at": START + 21 * DAY}, headers=write)
        assert r.status_code == 409 and "was recorded as sent at" in r.json()["detail"]
        r = client.post("/campaigns/plan-w/waves/3/sent", json={}, headers=write)
        assert r.status_code == 422 and "wave must be in [1, 2]" in r.text
        r = client.post("/campaigns/plan-none/waves/1/sent", json={}, headers=write)
        assert r.status_code == 404
        r = client.post(url, json={"at": "2024-03-21T00:00:00"}, headers=write)
        assert r.status_code == 422 and "could be any zone's" in r.text
        report = client.get("/campaigns/plan-w/report", headers=read).json()
        assert report["wave_starts"][1]["source"] == "recorded"
        assert report["waves"][1]["control_conversions"] == 0
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "2", "--at",
                             str(START + 21 * DAY), "--store", stores["cli"])
    assert code == 2 and "was recorded as sent at" in err, (out, err)
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-w", "--wave", "2", "--at",
                             str(START + 20 * DAY), "--store", stores["cli"])
    assert code == 0 and "nothing changed" in out, err
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", stores["cli"])
    assert code == 0, err
    assert ("waves' windows start: wave 1 2024-03-01T00:00:00Z (unix "
            f"{START}, its recorded send); wave 2 2024-03-21T00:00:00Z (unix "
            f"{START + 20 * DAY}, its recorded send)") in out


def test_simulated_responses_follow_the_waves_send(tmp_path: Path) -> None:
    """``campaign simulate --wave 2`` dated its responses in the 6 hours after the plan's
    start: with wave 2 recorded as sent two days later, the report counted none of them."""
    from helpers import train_folder

    from recommender.campaigns.controls import plan_beside
    from recommender.campaigns.simulate import RESPONSE_SPAN, stored_wave_responses
    from recommender.campaigns.slate import SlateFilm
    from recommender.io import demo

    folder = demo.generate(tmp_path / "data", seed=7, n_users=600, n_films=60,
                           n_interactions=9_000)
    model = train_folder(folder, factors=8, iterations=4, segments=3)
    films = model.films.ids[np.argsort(model.film_counts(), kind="stable")[20:23]].tolist()
    store = open_store(str(tmp_path / "s.db"))
    plan = plan_beside(model, [SlateFilm(f, 60) for f in films], store, holdout=0.3, seed=1,
                       waves=2, progress=False)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    created = int(datetime.fromisoformat(plan.summary["created"]).timestamp())
    sent = created + 2 * DAY
    w1 = np.asarray(stored_wave_responses(folder, model, store, plan.plan_id, 1)["events"][
        "timestamp"], np.int64)  # no recorded send: from the plan's start
    assert ((w1 >= created) & (w1 < created + RESPONSE_SPAN)).all()
    record_wave_sent(store, plan.plan_id, 1, created, now=sent)
    record_wave_sent(store, plan.plan_id, 2, sent, now=sent)
    drawn = stored_wave_responses(folder, model, store, plan.plan_id, 2)["events"]
    ts = np.asarray(drawn["timestamp"], np.int64)
    assert len(ts) and ((ts >= sent) & (ts < sent + RESPONSE_SPAN)).all()
    store.close()
