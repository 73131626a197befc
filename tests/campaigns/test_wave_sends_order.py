"""Waves are recorded sent in order, and a send recorded by mistake can be taken back.

A campaign manager recorded wave 1, then typed ``--wave 3`` for wave 2: it was stored, and the
campaign was stuck for good (wave 2 was refused "after wave 3's recorded send", a next wave or
a withdrawal after 1 sent wave "must be at least 3", the report counted wave 2 from the plan's
start). A send of wave N while wave N-1 has none is refused, naming the missing wave and the
command to record it; a store already holding such a record gets a way out
(``campaign sent --retract``, ``DELETE /campaigns/{plan_id}/waves/{wave}/sent``). A next wave
numbers its waves from 1: the answers say which of the campaign's waves one is. Oracle: the
store's rows, and the chain as stored (each link's sent waves)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli
from service_fixtures import save_model
from test_wave_sends import CREATED, DAY, START, plan_rows, stored

from recommender.campaigns.next_wave import prepare_next_wave
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import CampaignStore, open_store
from recommender.campaigns.wave_sends import (
    record_wave_sent,
    retract_wave_sent,
    wave_send_times,
    wave_sends,
)
from recommender.campaigns.withdraw import withdraw
from recommender.errors import InvalidParameterError
from service.app import create_app
from service.settings import Settings

READ, WRITE = "read-key-0123456789", "write-key-0123456789"


def three_waves(store: CampaignStore, plan_id: str = "plan-3") -> None:
    """A plan of 3 waves (the rows of 2: enough for the sends' checks)."""
    store.save_plan(plan_id, {"created": CREATED, "model_version": "m", "films": [
        {"film_id": "A"}, {"film_id": "B"}], "parameters": {"waves": 3},
        "horizon": {"days": 30}}, plan_rows(plan_id))


def mistyped(store: CampaignStore, plan_id: str = "plan-3") -> None:
    """Waves 1 and 3 recorded, 2 not: what an older engine let in."""
    record_wave_sent(store, plan_id, 1, START + DAY)
    with store.engine.begin() as conn:
        conn.execute(wave_sends.insert().values(plan_id=plan_id, wave=3, sent_at=START + 2 * DAY,
                                                recorded_at="2024-03-03T00:00:00Z"))


def test_a_wave_after_an_unrecorded_one_is_refused(store_target: str) -> None:
    store = open_store(store_target)
    three_waves(store)
    record_wave_sent(store, "plan-3", 1, START + DAY)
    with pytest.raises(InvalidParameterError, match=(
            r"wave 2 of plan plan-3 has no recorded send, so wave 3 cannot be recorded: waves "
            r"go out in order; record wave 2 first \(campaign sent plan-3 --wave 2 --at TIME, "
            r"or POST /campaigns/plan-3/waves/2/sent\)")):
        record_wave_sent(store, "plan-3", 3, START + 2 * DAY)
    assert wave_send_times(store, "plan-3") == {1: START + DAY}  # nothing stored
    # the campaign goes on as it should: wave 2, then 3; a next wave after 3 is not refused
    record_wave_sent(store, "plan-3", 2, START + 2 * DAY)
    record_wave_sent(store, "plan-3", 3, START + 3 * DAY)
    assert wave_send_times(store, "plan-3") == {1: START + DAY, 2: START + 2 * DAY,
                                                3: START + 3 * DAY}
    three_waves(store, "plan-b")  # nothing recorded: wave 1 is missing, named
    with pytest.raises(InvalidParameterError, match="wave 1 of plan plan-b has no recorded"):
        record_wave_sent(store, "plan-b", 2, START + DAY)
    store.close()


def test_a_mistyped_send_is_taken_back_and_the_campaign_goes_on(store_target: str) -> None:
    """Waves 1 and 3 recorded (an older engine's store): the withdrawal and the next wave
    after 1 are refused and say how to take wave 3 back; the earlier send is not taken back
    before the later one; once wave 3's is, both go through and the report counts wave 1."""
    store = open_store(store_target)
    three_waves(store)
    mistyped(store)
    with pytest.raises(InvalidParameterError, match=(
            r"at least 3 .*take it back first \(campaign sent plan-3 --wave 3 --retract, or "
            r"DELETE /campaigns/plan-3/waves/3/sent\)")):
        withdraw(store, "plan-3", 1)
    model = None  # refused before any model is read
    with pytest.raises(InvalidParameterError, match="--wave 3 --retract"):
        prepare_next_wave(model, store, "plan-3", 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"wave 3's send of plan plan-3 is recorded "
                       r"after wave 1's: take back the last first"):
        retract_wave_sent(store, "plan-3", 1)
    assert wave_send_times(store, "plan-3") == {1: START + DAY, 3: START + 2 * DAY}
    got = retract_wave_sent(store, "plan-3", 3)
    assert got == {"plan_id": "plan-3", "wave": 3, "plan_waves": 3,
                   "retracted": {"wave": 3, "sent_at": START + 2 * DAY,
                                 "sent_at_utc": "2024-03-03T00:00:00Z",
                                 "recorded_at": "2024-03-03T00:00:00Z"},
                   "waves": [{"wave": 1, "sent_at": START + DAY}]}
    assert wave_send_times(store, "plan-3") == {1: START + DAY}
    again = retract_wave_sent(store, "plan-3", 3)  # a retry: nothing left to take back
    assert again["retracted"] is None and again["waves"] == got["waves"]
    report = campaign_report(store, "plan-3")
    assert report["sent_waves"] == 1 and report["recorded_waves"] == [1]
    assert withdraw(store, "plan-3", 1)["sent_waves"] == 1
    store.close()


def test_a_send_a_next_wave_was_planned_after_stays(tmp_path: Path) -> None:
    """A next wave planned after wave 1 was sent: wave 1's send is not taken back (its link
    says the wave went out, and the uplift it was planned on counted from that send)."""
    store = open_store(str(tmp_path / "s.db"))
    stored(store)
    record_wave_sent(store, "plan-w", 1, START + DAY)
    store.save_plan("plan-n", {"created": CREATED, "model_version": "m", "films": [],
                               "parameters": {"waves": 2}, "previous_plan_id": "plan-w",
                               "sent_waves": 1}, plan_rows("plan-n").slice(0, 0),
                    link={"previous_plan_id": "plan-w", "sent_waves": 1, "events_seq": 0})
    with pytest.raises(InvalidParameterError, match=r"wave 1 of plan plan-w cannot be taken "
                       r"back: its next wave plan-n was planned after 1 sent wave"):
        retract_wave_sent(store, "plan-w", 1)
    assert wave_send_times(store, "plan-w") == {1: START + DAY}
    store.close()


def _next_plan(store: CampaignStore) -> None:
    """plan-w (2 waves) sent its wave 1, then plan-n was planned after it (2 waves)."""
    stored(store)
    record_wave_sent(store, "plan-w", 1, START + DAY)
    store.save_plan("plan-n", {"created": "2024-03-05T00:00:00+00:00", "model_version": "m",
                               "films": [{"film_id": "A"}], "parameters": {"waves": 2},
                               "previous_plan_id": "plan-w", "sent_waves": 1},
                    plan_rows("plan-n"),
                    link={"previous_plan_id": "plan-w", "sent_waves": 1, "events_seq": 0})


def test_cli_and_http_refuse_alike_and_take_back_alike(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """``campaign sent --wave 3`` after wave 1 exits 2 naming wave 2, as ``POST .../waves/3/
    sent {}`` answers 422; ``--retract --json`` prints what ``DELETE`` answers (a write key's:
    a read key gets 403)."""
    stores = {k: str(tmp_path / f"{k}.db") for k in ("cli", "http")}
    for url in stores.values():
        s = open_store(url)
        three_waves(s)
        record_wave_sent(s, "plan-3", 1, START + DAY)
        s.close()
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-3", "--wave", "3", "--at",
                             str(START + 2 * DAY), "--store", stores["cli"])
    assert code == 2 and "wave 2 of plan plan-3 has no recorded send" in err, (out, err)
    assert "campaign sent plan-3 --wave 2 --at TIME" in err
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=stores["http"],
                        warm_cache=False, read_keys=f"ci:{READ}", write_keys=f"w:{WRITE}")
    with TestClient(create_app(settings)) as client:
        r = client.post("/campaigns/plan-3/waves/3/sent", json={}, headers={"X-API-Key": WRITE})
        assert r.status_code == 422 and "record wave 2 first" in r.json()["detail"], r.text
    for url in stores.values():  # the older engine's record, to take back
        s = open_store(url)
        with s.engine.begin() as conn:
            conn.execute(wave_sends.insert().values(plan_id="plan-3", wave=3,
                                                    sent_at=START + 2 * DAY,
                                                    recorded_at="2024-03-03T00:00:00Z"))
        s.close()
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-3", "--wave", "3", "--retract",
                             "--store", stores["cli"], "--json")
    assert code == 0, err
    cli = json.loads(out)
    with TestClient(create_app(settings)) as client:
        url = "/campaigns/plan-3/waves/3/sent"
        assert client.delete(url, headers={"X-API-Key": READ}).status_code == 403
        assert client.delete(url).status_code == 401
        r = client.delete(url, headers={"X-API-Key": WRITE})
        assert r.status_code == 200, r.text
        assert r.json() == cli and cli["retracted"]["sent_at"] == START + 2 * DAY
        r = client.delete("/campaigns/plan-3/waves/1/sent", headers={"X-API-Key": WRITE})
        assert r.status_code == 200 and r.json()["waves"] == [], r.text  # the last, now
        spec = client.get("/openapi.json", headers={"X-API-Key": READ}).json()
        assert "403" in spec["paths"]["/campaigns/{plan_id}/waves/{wave}/sent"]["delete"][
            "responses"]
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-3", "--wave", "2", "--retract",
                             "--store", stores["cli"])
    assert code == 0 and "no send of wave 2 of plan plan-3 is recorded" in out, (out, err)
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-3", "--wave", "1", "--retract",
                             "--store", stores["cli"])
    assert code == 0 and "took back" in out and "2024-03-02T00:00:00Z" in out, (out, err)
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-3", "--wave", "1", "--retract",
                             "--at", "0", "--store", stores["cli"])
    assert code == 2 and "--at does not apply with --retract" in err


def test_a_next_waves_wave_says_its_campaign_number(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A next wave planned after 1 sent wave numbers its waves from 1: wave 1 of it is the
    campaign's wave 2, in ``campaign sent``'s answer (JSON and text) and in ``campaign show``,
    which names the plan it continues and its chain."""
    url = str(tmp_path / "s.db")
    store = open_store(url)
    _next_plan(store)
    first = record_wave_sent(store, "plan-w", 1, START + DAY)  # the first plan's: the same
    assert first["campaign_wave"] == 1 and first["already"] is True
    store.close()
    at = datetime(2024, 3, 6, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-n", "--wave", "1", "--at", at,
                             "--store", url, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert (body["wave"], body["campaign_wave"]) == (1, 2)  # 1 sent wave of plan-w before it
    code, out, err = run_cli(capsys, "campaign", "sent", "plan-n", "--wave", "1", "--at", at,
                             "--store", url)
    assert code == 0 and "wave 1 of 2 of plan plan-n (the campaign's wave 2)" in out, out
    code, out, err = run_cli(capsys, "campaign", "show", "plan-n", "--store", url)
    assert code == 0, err
    assert ("Next wave of plan plan-w, planned after 1 of its waves were sent; chain, nearest "
            "first: plan-w (1 sent); its waves 1-2 are the campaign's waves 2-3") in out, out
    code, out, err = run_cli(capsys, "campaign", "show", "plan-w", "--store", url)
    assert code == 0 and "Next wave of" not in out
