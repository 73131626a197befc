"""The send form's question names the time the browser reads, when the clocks change around
it. In London, 2026-03-29T01:30 does not exist (the clocks go from 01:00 to 02:00): the
browser reads it as 02:30+01:00 (01:30Z), and the question said "at 2026-03-29 01:30 your
time (UTC+01:00; 2026-03-29T01:30:00Z)", a contradiction; it now names 02:30 and says why.
2026-10-25T01:30 happens twice: the first is taken and said so, and the second, which the box
cannot hold, is offered. The oracle: Python's zoneinfo (fold=0 for a skipped time, both folds
for a repeated one), computed here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from studio_http import stored_plan


def _said(typed: str, zone: str, fold: int = 0) -> tuple[str, str, str, int]:
    """The time meant by ``typed`` in ``zone`` (its ``fold``): (local time shown, UTC offset,
    UTC time, unix seconds), as Python reads it."""
    local = datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo(zone), fold=fold)
    ts = int(local.timestamp())
    back = datetime.fromtimestamp(ts, ZoneInfo(zone))  # the instant, on the zone's clock
    off = back.strftime("%z")
    return (back.strftime("%Y-%m-%d %H:%M:%S"), f"{off[:3]}:{off[3:]}",
            datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), ts)


def _asked(served_demo: Any, browser: Any, zone: str, typed: str, pid: str
           ) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(timezone_id=zone)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#send-at")
    page.fill("#send-at", typed)
    page.click("#record-send")
    page.wait_for_selector("#send-asked")
    return context, page, errors


@pytest.mark.parametrize(("zone", "typed"), [("Europe/London", "2026-03-29T01:30"),
                                             ("Australia/Lord_Howe", "2026-10-04T02:15")])
def test_a_time_the_clocks_skip_is_said_as_the_time_meant(
        served_demo: Any, browser: Any, zone: str, typed: str) -> None:
    pid = stored_plan(served_demo, 71 + ("Howe" in zone), budget=20, waves=2, seed=48)["plan_id"]
    shown, off, utc, _ = _said(typed, zone)
    assert shown[11:16] != typed[11:16]  # the oracle agrees: the time typed does not exist
    context, page, errors = _asked(served_demo, browser, zone, typed, pid)
    try:
        asked = page.inner_text("#send-asked")
        assert f"as sent at {shown} your time (UTC{off}; {utc})?" in asked, asked
        assert f"{typed.replace('T', ' ')}:00 does not exist in your time zone" in asked, asked
        assert page.locator("#send-confirm-second").count() == 0
    finally:
        context.close()
    assert not errors, errors


def test_a_time_that_happens_twice_names_the_first_and_offers_the_second(
        served_demo: Any, browser: Any) -> None:
    zone, typed = "Europe/London", "2026-10-25T01:30"
    pid = stored_plan(served_demo, 73, budget=20, waves=2, seed=49)["plan_id"]
    first, second = _said(typed, zone, 0), _said(typed, zone, 1)
    assert first[1] != second[1] and first[0] == second[0]  # the oracle: one time, two offsets
    context, page, errors = _asked(served_demo, browser, zone, typed, pid)
    try:
        asked = page.inner_text("#send-asked")
        assert f"as sent at {first[0]} your time (UTC{first[1]}; {first[2]})?" in asked, asked
        assert "happens twice in your time zone" in asked and f"the first, UTC{first[1]}" in asked
        other = page.inner_text("#send-confirm-second")
        assert f"(UTC{second[1]}; {second[2]})" in other, other
        # sent, the server names the instant it got: the second (before this plan: refused)
        page.click("#send-confirm-second")
        page.wait_for_selector(f"text={second[3]}")
    finally:
        context.close()
    assert not errors, errors
