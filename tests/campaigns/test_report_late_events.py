"""A report says how many of the events it counted are dated after its own time: one "as of
22:05:01Z" counted responses dated up to six hours later (a simulator's, dated in the hours
after the wave's start; the store takes events up to a day past its clock) without a word.
They are counted (cut at ``as_of``, a report read just after a simulated wave counted none of
its responses), and ``events_after_as_of``, the note and the CLI's header say so. Oracle: the
events written here, counted by hand against the window and the report's time."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from test_wave_sends import DAY, START, stored

import recommender.campaigns.report as report_module
from recommender.campaigns.events import check_events, record_events
from recommender.campaigns.report import campaign_report
from recommender.campaigns.store import open_store


def test_events_after_the_reports_time_are_counted_and_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    url = str(tmp_path / "s.db")
    store = open_store(url)
    rows = stored(store)
    targets = [r for r in rows.to_pylist() if r["group"] == "target" and r["wave"] == 1]
    days = [2, 3, 8, 9, 12]  # in the 30-day window; the report's time is day 5
    bought = zip(targets[:5], days, strict=True)
    record_events(store, check_events([
        {"event_id": f"e{i}", "user_id": r["user_id"], "film_id": r["film_id"],
         "timestamp": START + d * DAY} for i, (r, d) in enumerate(bought)]))
    as_of = START + 5 * DAY
    got = campaign_report(store, "plan-w", as_of=as_of)
    after = [d for d in days if START + d * DAY > as_of]
    assert got["events_read"] == len(days)
    assert got["events_after_as_of"] == len(after) == 3
    assert got["overall"]["target_conversions"] == len(days)  # counted all the same
    assert ("; 3 of the events read are dated after the report's time (2024-03-06T00:00:00Z), "
            "the latest 2024-03-13T00:00:00Z: counted all the same") in got["note"]
    later = campaign_report(store, "plan-w", as_of=START + 13 * DAY)
    assert later["events_after_as_of"] == 0 and "dated after the report's time" not in \
        later["note"]
    store.close()
    monkeypatch.setattr(report_module, "report_now", lambda: as_of)
    code, out, err = run_cli(capsys, "campaign", "report", "plan-w", "--store", url)
    assert code == 0, err
    assert ("as of 2024-03-06T00:00:00Z (unix "
            f"{as_of}), 3 of them dated after it (counted: note below)") in out, out
