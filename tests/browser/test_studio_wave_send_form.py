"""The campaign page records the next unsent wave's send (POST
/campaigns/{id}/waves/{wave}/sent, as `campaign sent`): a time in the user's own time with
its UTC offset, sent as ISO 8601 with that offset; a refusal is said (role=alert), a send
stored moves that wave's window to it and the form to the next wave. The oracle: the time
converted here with Python's datetime at a fixed offset, and the server's summary read
directly. Not offered where /health says the store takes no writes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from studio_http import api, api_as, said_writable, stored_plan

ZONE = "Asia/Kolkata"  # UTC+05:30 all year: a half-hour offset, no summer time
OFFSET = timezone(timedelta(hours=5, minutes=30))


def _page(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(timezone_id=ZONE, viewport={"width": 1366, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def test_the_next_waves_send_is_recorded_from_the_page(served_demo: Any, browser: Any) -> None:
    plan = stored_plan(served_demo, 23, budget=20, waves=3, seed=43)
    pid = plan["plan_id"]
    context, page, errors = _page(browser)
    try:
        page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#report table")
        assert page.inner_text("label[for=send-at]") == (
            "Wave 1 went out at (your local time, UTC+05:30)")
        # before the plan: the server's refusal, said; nothing stored
        page.fill("#send-at", "2020-01-01T10:00:00")
        page.click("#record-send")
        page.click("#send-confirm")
        page.wait_for_selector("#send-out [role=alert]")
        assert "before plan" in page.inner_text("#send-out [role=alert]")
        assert not api(served_demo, f"/campaigns/{pid}")["summary"].get("wave_sends")
        time.sleep(2)  # a second after the plan's creation, at least
        sent = int(time.time()) - 1
        page.fill("#send-at", datetime.fromtimestamp(sent, OFFSET).strftime("%Y-%m-%dT%H:%M:%S"))
        page.click("#record-send")
        page.click("#send-confirm")
        page.wait_for_selector("#send-recorded")
        stored = api(served_demo, f"/campaigns/{pid}")["summary"]["wave_sends"]
        assert [(s["wave"], s["sent_at"]) for s in stored] == [(1, sent)]
        utc = datetime.fromtimestamp(sent, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # the report read again: wave 1's window starts at its send
        page.wait_for_selector(f"#report-wave-starts:has-text('wave 1 from {utc}')")
        assert "wave 1 from " + utc + " to" in page.inner_text("#report-wave-starts")
        assert "(its recorded send)" in page.inner_text("#report-wave-starts")
        page.wait_for_function("() => document.getElementById('page-status').textContent"
                               ".startsWith('Wave 1 recorded as sent at')")
        # the form goes on to wave 2 (the next in order only)
        page.wait_for_selector("label[for=send-at]:has-text('Wave 2 went out at')")
        assert page.locator("#send-at").count() == 1
    finally:
        context.close()
    # the browser logs the refusal's answer; nothing else went wrong
    assert errors == ["Failed to load resource: the server responded with a status of 422 "
                      "(Unprocessable Entity)"], errors


def test_no_send_form_where_the_store_takes_no_writes(served_demo: Any, browser: Any) -> None:
    plan = stored_plan(served_demo, 24, budget=20, waves=2, seed=44)

    def read_only(route: Any) -> None:
        body = route.fetch().json()
        body["campaign_store"] = "read_only"
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    context, page, errors = _page(browser)
    try:
        page.route("**/health", read_only)
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
        page.wait_for_selector("#report table")
        page.wait_for_selector("#send-read-only")
        assert "read_only" in page.inner_text("#send-read-only")
        assert page.locator("#record-send").count() == 0
    finally:
        context.close()
    assert not errors, errors


def test_a_read_key_is_asked_for_a_write_key(served_locked: Any, browser: Any,
                                            read_key: str, write_key: str) -> None:
    """A key whose write rights went after the page was drawn: the send is refused (403), the
    key dialog opens saying what the action needs, as Plan and Withdraw do, and the form gives
    way to a note; with the write key entered the same form records it. (A key that could
    not write when the page asked is not offered the form: test_studio_read_key_writes.)"""
    film = api_as(served_locked, "/films?limit=26", read_key)["films"][25]["film_id"]
    plan = api_as(served_locked, "/campaigns/plan", write_key,
                   {"films": [{"film_id": film, "budget": 20}], "seed": 45, "waves": 2})
    pid = plan["plan_id"]
    context, page, errors = _page(browser)
    try:
        page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', '{read_key}')")
        page.route("**/health", said_writable)  # the key could write while the page was drawn
        time.sleep(1.1)  # the form's default, now, is after the plan's creation (whole seconds)
        page.goto(f"{served_locked.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#report table")
        page.unroute("**/health")  # from here on /health says what the read key may do
        page.click("#record-send")
        page.click("#send-confirm")
        page.locator("#key-dialog").wait_for(state="visible", timeout=5000)
        assert page.inner_text("#key-message").startswith(
            "This action needs a key with write rights")
        assert "write rights" in page.inner_text("#send-out [role=alert]")
        # refused: the page asked again what the key may do, and the form gave way to a note
        page.wait_for_selector("#send-no-write", state="attached")
        assert page.locator("#record-send").count() == 0
        assert not api_as(served_locked, f"/campaigns/{pid}", read_key)["summary"].get(
            "wave_sends")
        page.fill("#key-input", write_key)
        page.get_by_role("button", name="Save").click()
        page.wait_for_selector("#record-send")
        page.click("#record-send")
        page.click("#send-confirm")
        page.wait_for_selector("#send-recorded")
        stored = api_as(served_locked, f"/campaigns/{pid}", read_key)["summary"]["wave_sends"]
        assert [s["wave"] for s in stored] == [1]
    finally:
        context.close()
    assert errors and all("403" in e for e in errors), errors
