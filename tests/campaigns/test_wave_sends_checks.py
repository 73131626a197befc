"""Recorded wave sends seen and kept consistent: ``campaign show`` and ``GET
/campaigns/{plan_id}`` list them; a withdrawal or a next wave that says fewer waves went out
than a recorded send is refused, as a send of a wave a next wave re-planned is; a plan whose
``created`` has no offset starts at that UTC time whatever the machine's zone; the store copy
carries sends from PostgreSQL back to SQLite."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_wave_sends import CREATED, DAY, START, plan_rows, stored

from recommender.campaigns.copy_store import copy_store
from recommender.campaigns.next_wave import prepare_next_wave
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store
from recommender.campaigns.wave_sends import record_wave_sent, wave_send_times
from recommender.campaigns.withdraw import withdraw
from recommender.errors import InvalidParameterError


def test_show_and_get_list_the_recorded_sends(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """``campaign show --json`` and ``GET /campaigns/{plan_id}`` name each recorded send
    (unix seconds and UTC), by wave, the same through both; the notes name them too."""
    from fastapi.testclient import TestClient
    from helpers import run_cli
    from service_fixtures import save_model

    from service.app import create_app
    from service.settings import Settings

    url = str(tmp_path / "s.db")
    store = open_store(url)
    store.save_plan("plan-w", {"created": CREATED, "model_version": "m", "films": [],
                               "parameters": {"waves": 2}, "optimality": {}},
                    plan_rows("plan-w"))
    sends = {1: START + 2 * DAY, 2: START + 20 * DAY}
    answers = {w: record_wave_sent(store, "plan-w", w, t) for w, t in sends.items()}
    store.close()
    code, out, err = run_cli(capsys, "campaign", "show", "plan-w", "--store", url, "--json")
    assert code == 0, err
    cli = json.loads(out)["summary"]["wave_sends"]
    notes = err  # print_notes, on stderr: the text's notes too
    keys = ("wave", "campaign_wave", "sent_at", "sent_at_utc", "recorded_at")
    assert cli == [{k: answers[w][k] for k in keys} for w in (1, 2)]
    assert [(w["wave"], w["sent_at"]) for w in cli] == sorted(sends.items())
    assert cli[1]["sent_at_utc"] == "2024-03-21T00:00:00Z"
    settings = Settings(model_path=str(save_model(tmp_path / "model")), store=url,
                        warm_cache=False)
    with TestClient(create_app(settings)) as client:
        r = client.get("/campaigns/plan-w")
        assert r.status_code == 200, r.text
        assert r.json()["summary"]["wave_sends"] == cli
        described = client.get("/openapi.json").json()["components"]["schemas"]["PlanCreated"]
        assert "wave_sends" in described["properties"]["summary"]["description"]
    assert ("wave 2 at 2024-03-21T00:00:00Z (unix "
            f"{START + 20 * DAY} seconds; recorded {answers[2]['recorded_at']})") in notes


def test_withdrawal_below_a_recorded_send_is_refused(store_target: str) -> None:
    """Wave 2 recorded as sent: a withdrawal after 1 wave released its contacted targets and
    dropped it from the report; it is refused, and one after 2 waves goes through."""
    store = open_store(store_target)
    stored(store)
    record_wave_sent(store, "plan-w", 1, START)
    record_wave_sent(store, "plan-w", 2, START + 20 * DAY)
    with pytest.raises(InvalidParameterError, match=r"at least 2 .* wave 2's send was recorded"):
        withdraw(store, "plan-w", 1)
    assert campaign_report(store, "plan-w")["sent_waves"] == 2  # nothing written
    assert withdraw(store, "plan-w", 2)["released_rows"] == 0
    store.close()


def test_next_wave_below_a_recorded_send_is_refused(tmp_path: Path) -> None:
    """A next wave after 1 sent wave, wave 2 recorded as sent, would contact wave 2's targets
    again: refused before anything is planned (no model read)."""
    store = open_store(str(tmp_path / "s.db"))
    stored(store)
    record_wave_sent(store, "plan-w", 1, START)
    record_wave_sent(store, "plan-w", 2, START + 20 * DAY)
    model: Any = None  # refused before the model is read
    with pytest.raises(InvalidParameterError, match=r"at least 2 .* wave 2's send"):
        prepare_next_wave(model, store, "plan-w", 1)
    store.close()


def test_a_send_of_a_re_planned_wave_is_refused(store_target: str) -> None:
    """A next wave planned after 1 sent wave re-plans wave 2: recording wave 2 of the first
    plan as sent is refused; wave 1 still records."""
    store = open_store(store_target)
    stored(store)
    store.save_plan("plan-n", {"created": CREATED, "model_version": "m", "films": [],
                               "parameters": {"waves": 1}}, plan_rows("plan-n").slice(0, 0),
                    link={"previous_plan_id": "plan-w", "sent_waves": 1, "events_seq": 0})
    with pytest.raises(InvalidParameterError, match="next wave plan-n was planned after 1"):
        record_wave_sent(store, "plan-w", 2, START + 20 * DAY)
    assert wave_send_times(store, "plan-w") == {}
    record_wave_sent(store, "plan-w", 1, START + DAY)
    assert wave_send_times(store, "plan-w") == {1: START + DAY}
    store.close()


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_created_without_offset_is_utc_in_any_zone(tmp_path: Path, kolkata: None) -> None:
    """``created`` written without an offset (a hand-made or older store) read as the
    machine's zone moved the start 5.5 hours under TZ=Asia/Kolkata, and let a send 5 hours
    before the plan through."""
    store = open_store(str(tmp_path / "s.db"))
    store.save_plan("plan-w", {"created": CREATED.removesuffix("+00:00"), "model_version": "m",
                               "films": [{"film_id": "A"}], "parameters": {"waves": 2}},
                    plan_rows("plan-w"))
    assert campaign_report(store, "plan-w")["start"] == START
    with pytest.raises(InvalidParameterError, match="before plan plan-w was created"):
        record_wave_sent(store, "plan-w", 1, START - 5 * 3600)
    store.close()


def test_store_copy_carries_sends_back_to_sqlite(tmp_path: Path, store_target: str) -> None:
    """From the store under test (PostgreSQL too) into a new SQLite file: the sends come
    along, and the copy's report counts wave 2 from its send."""
    source = open_store(store_target)
    stored(source)
    record_wave_sent(source, "plan-w", 1, START + DAY)
    record_wave_sent(source, "plan-w", 2, START + 20 * DAY)
    want = campaign_report(source, "plan-w")["wave_starts"]
    source.close()
    target = str(tmp_path / "copy.db")
    assert copy_store(store_target, target).rows["campaign_wave_sends"] == 2
    copied = open_store(target)
    assert wave_send_times(copied, "plan-w") == {1: START + DAY, 2: START + 20 * DAY}
    assert campaign_report(copied, "plan-w")["wave_starts"] == want
    copied.close()


@pytest.mark.parametrize("hour", [0, 8])
def test_early_rows_before_a_send_are_told_so(tmp_path: Path, hour: int) -> None:
    """Wave 2 sent at 09:00 on day 20, two of its rows with an event that day before 09:00:
    the note blamed the plan's own day (a log of dates) or a plan stored after its messages
    went out, where the wave's recorded send is what they fall before."""
    from recommender.campaigns.events import check_events, record_events

    store = open_store(str(tmp_path / "s.db"))
    stored(store)
    sent = START + 20 * DAY + 9 * 3600
    record_wave_sent(store, "plan-w", 1, START)
    record_wave_sent(store, "plan-w", 2, sent)
    record_events(store, check_events([
        {"event_id": f"e{i}", "user_id": f"A2-{i}", "film_id": "A",
         "timestamp": START + 20 * DAY + hour * 3600} for i in range(2)]))
    report = campaign_report(store, "plan-w")
    assert report["early_conversions"] == 2
    note = report["note"]
    assert "plan rows with an event in the day before their wave's start" in note
    if hour == 0:  # midnight: a log of dates
        assert "responses on the day a wave was sent fall before its send" in note, note
    else:
        assert "sent before the send time recorded for their wave" in note, note
    assert "plan's own day" not in note
    store.close()


def test_a_withdrawal_while_a_send_is_checked_is_seen(store_target: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A withdrawal after 1 wave stored between the send's read of the plan and its write:
    wave 2's send was stored beside it (the summary read before the lock said nothing)."""
    store = open_store(store_target)
    stored(store)
    read = store.summary

    def raced(plan_id: str) -> dict[str, Any]:
        before = read(plan_id)
        monkeypatch.setattr(store, "summary", read)
        withdraw(store, plan_id, 1)  # another caller, in between
        return before

    monkeypatch.setattr(store, "summary", raced)
    with pytest.raises(InvalidParameterError, match="withdrawn after 1 sent wave"):
        record_wave_sent(store, "plan-w", 2, START + 20 * DAY)
    assert wave_send_times(store, "plan-w") == {}
    store.close()


def test_a_send_recorded_while_a_next_wave_was_planned_refuses_its_save(
        store_target: str) -> None:
    """A next wave planned after 1 sent wave passed the check before planning; wave 2's send
    recorded meanwhile (before the save took the plan's lock) let it be stored anyway: the
    save checks again under the lock and stores nothing."""
    from recommender.campaigns.next_wave import NextWave
    from recommender.campaigns.plan import Plan

    store = open_store(store_target)
    stored(store)
    wave = NextWave(Plan("plan-n", plan_rows("plan-n").slice(0, 0), {
        "created": CREATED, "model_version": "m", "films": [], "parameters": {"waves": 1},
        "previous_plan_id": "plan-w", "sent_waves": 1, "events_seq": 0}), [])
    record_wave_sent(store, "plan-w", 1, START)
    record_wave_sent(store, "plan-w", 2, START + 20 * DAY)  # after planning, before saving
    with pytest.raises(InvalidParameterError, match=r"at least 2 .* wave 2's send"):
        wave.save(store)
    with pytest.raises(Exception, match="plan-n"):
        store.summary("plan-n")  # nothing stored
    assert campaign_report(store, "plan-w")["sent_waves"] == 2
    store.close()
