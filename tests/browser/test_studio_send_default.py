"""The campaign page's send form starts at now or at the plan's creation, whichever is later:
"now" (the browser's, to the second) fell before a plan made within the last second, or
before any plan made while the browser's clock is behind the server's, and the default was
refused ("before plan ... was created"). The oracle: the plan's ``created`` as the server
stored it, converted here with Python's datetime, and the send the server stored.
A plan created on a whole minute is shown without its seconds (the browser's normal form
of a datetime-local value), which the comparison allows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from studio_http import api, stored_plan

OFFSET = timezone(timedelta(hours=5, minutes=30))  # Asia/Kolkata: no summer time


def test_the_default_send_time_is_not_before_the_plan(served_demo: Any, browser: Any) -> None:
    plan = stored_plan(served_demo, 27, budget=20, waves=2, seed=47)
    pid = plan["plan_id"]
    created = datetime.fromisoformat(api(served_demo, f"/campaigns/{pid}")["summary"]["created"])
    context = browser.new_context(timezone_id="Asia/Kolkata")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # the browser's clock an hour behind the server's: its "now" is before the plan
        page.clock.set_fixed_time(created - timedelta(hours=1))
        page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#report table")
        # the browser normalises the field's value: ":00" seconds are left off
        # ("21:16", not "21:16:00"), so the two are compared as times
        shown = datetime.fromisoformat(page.input_value("#send-at"))
        assert shown == created.astimezone(OFFSET).replace(tzinfo=None, microsecond=0)
        page.click("#record-send")  # the default as it stands: accepted
        page.click("#send-confirm")
        page.wait_for_selector("#send-recorded")
        stored = api(served_demo, f"/campaigns/{pid}")["summary"]["wave_sends"]
        assert [(s["wave"], s["sent_at"]) for s in stored] == [(1, int(created.timestamp()))]
    finally:
        context.close()
    assert not errors, errors
