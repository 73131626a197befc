""""Record send" stored the send at the first click, though the page says a send time is
final. It now asks first, naming the wave and the time (in the browser's time and in UTC), as
Withdraw does; Cancel, or a time changed meanwhile, stores nothing. The time is named to the
second, a whole minute's too (the box's value leaves ":00" seconds off, and a send made on a
whole minute failed here, 1 in 60). Oracle: the sends the server stored (GET /campaigns/{id}'s
wave_sends), and the time typed converted here."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from studio_http import api, stored_plan


def test_a_send_is_confirmed_first(served_demo: Any, browser: Any) -> None:
    plan_id = stored_plan(served_demo, 54, budget=20, waves=2, seed=46)["plan_id"]
    context = browser.new_context(timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
        page.wait_for_selector("#record-send")
        time.sleep(1.1)  # a whole second after the plan's creation
        sent = int(time.time())
        typed = datetime.fromtimestamp(sent, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        page.fill("#send-at", typed)
        page.click("#record-send")
        asked = page.inner_text("#send-asked")
        assert asked.startswith(f"Record wave 1 as sent at {typed.replace('T', ' ')} your time "
                                f"(UTC+00:00; {typed}Z)?")  # UTC as every send time reads
        assert "final" in asked
        assert api(served_demo, f"/campaigns/{plan_id}")["summary"]["wave_sends"] == []
        page.click("#send-cancel")
        assert page.locator("#send-asked").count() == 0
        # asked, then the time changed (to the minute before, on its whole minute: never the
        # time asked for): taken back, nothing stored
        page.click("#record-send")
        minute = datetime.fromtimestamp(sent - sent % 60 - 60, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        page.fill("#send-at", minute)
        assert page.locator("#send-confirm").count() == 0
        # a time on a whole minute is named to the second too (the box's value is "…:MM",
        # and a send made on a whole minute was asked for as "HH:MM your time")
        page.click("#record-send")
        assert page.inner_text("#send-asked").startswith(
            f"Record wave 1 as sent at {minute.replace('T', ' ')} your time "
            f"(UTC+00:00; {minute}Z)?")
        page.fill("#send-at", typed)
        assert page.locator("#send-confirm").count() == 0
        page.click("#record-send")
        page.click("#send-confirm")
        page.wait_for_selector("#send-recorded")
        stored = api(served_demo, f"/campaigns/{plan_id}")["summary"]["wave_sends"]
        assert [(s["wave"], s["sent_at"]) for s in stored] == [(1, sent)]
    finally:
        context.close()
    assert not errors, errors
