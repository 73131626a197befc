"""The campaign page names each wave's report window (the report's ``wave_starts``): wave 2
recorded as sent (``POST /campaigns/{plan_id}/waves/{wave}/sent``) is counted from its send,
wave 1 from the plan's start; the page said one window, "within 30 days of the plan", for all.
Early responses are said before their wave's start, not "before the plan was created".
Oracle: the server's report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from studio_http import api, api_text, legacy_send, stored_plan


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_each_waves_window_start_is_shown(served_demo: Any, watched: Any) -> None:
    page = watched.page
    pid = stored_plan(served_demo, 33, budget=40, seed=5, waves=2)["plan_id"]
    start = api(served_demo, f"/campaigns/{pid}/report")["start"]
    sent = start + 3 * 3600
    # wave 2 alone recorded, as an older engine let it in (refused since: wave 1 first), so
    # that one page shows both kinds of window start
    legacy_send(served_demo, pid, 2, sent)
    rows = list(csv.DictReader(io.StringIO(api_text(served_demo, f"/campaigns/{pid}/plan.csv"))))
    late = [r for r in rows if r["wave"] == "2"][:2]  # an hour before wave 2 went out
    api(served_demo, "/events", {"events": [
        {"event_id": f"before-send-{pid}-{n}", "user_id": r["user_id"],
         "film_id": r["film_id"], "timestamp": sent - 3600} for n, r in enumerate(late)]})
    report = api(served_demo, f"/campaigns/{pid}/report")
    assert [(w["wave"], w["source"]) for w in report["wave_starts"]] == [
        (1, "plan start"), (2, "recorded")]
    assert report["early_conversions"] == len(late) > 0
    page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    said = page.inner_text("#report-wave-starts")
    for w in report["wave_starts"]:
        assert f"wave {w['wave']} from {_utc(w['start'])} to {_utc(w['end'])}" in said, said
    assert f"from {_utc(sent)} to {_utc(sent + 30 * 86_400)} (its recorded send)" in said
    assert f"from {_utc(start)} to" in said and "the plan's start" in said
    assert "of its wave's start" in page.inner_text("#report")
    early = page.inner_text("#report-early")
    assert "in the day before their wave's start" in early, early
    watched.assert_clean()
