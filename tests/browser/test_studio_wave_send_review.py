"""The campaign page's send form, reviewed: a wave a next wave re-planned is not offered (the
server refuses it: the page knows why and says it), the time typed in the browser's own zone
is sent at its own UTC offset across a summer-time change (Europe/Berlin), and the focus of a
keyboard user stays in the form once the wave recorded moves it on. Oracles: the server's own
refusal, and Python's zoneinfo for the instant meant."""

from __future__ import annotations

import json
import time
import urllib.error
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from studio_http import api, stored_plan

BERLIN = ZoneInfo("Europe/Berlin")


def _context(browser: Any, zone: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(timezone_id=zone, viewport={"width": 1366, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def test_a_wave_a_next_wave_re_planned_is_not_offered(served_demo: Any, browser: Any) -> None:
    plan = stored_plan(served_demo, 27, budget=20, waves=3, seed=47)
    pid = plan["plan_id"]
    later = api(served_demo, f"/campaigns/{pid}/next", {"sent_waves": 1})["plan_id"]
    time.sleep(1.1)  # a send after the plan's creation (whole seconds)
    api(served_demo, f"/campaigns/{pid}/waves/1/sent", {"at": int(time.time())})
    # the oracle: the server refuses wave 2 of this plan, and says why
    with pytest.raises(urllib.error.HTTPError) as refused:
        api(served_demo, f"/campaigns/{pid}/waves/2/sent", {"at": int(time.time())})
    assert refused.value.code == 422
    assert "re-plans the rest" in json.loads(refused.value.read())["detail"]
    context, page, errors = _context(browser, "UTC")
    try:
        page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#report table")
        page.wait_for_selector("#send-replanned")
        assert page.locator("#record-send").count() == 0
        said = page.inner_text("#send-replanned")
        assert later in said and "wave 2" in said.lower(), said
    finally:
        context.close()
    assert not errors, errors


@pytest.mark.parametrize("typed", ["2026-07-15T10:00:00", "2026-01-15T10:00:00",
                                   "2026-10-25T02:30:00", "2026-03-29T02:30:00"])
def test_the_time_typed_is_sent_at_its_own_offset(served_demo: Any, browser: Any,
                                                  typed: str) -> None:
    """Summer and winter (+02:00, +01:00, whatever the day the test runs), the hour the
    clocks go back (the earlier one, as Python's fold=0) and the hour skipped in spring (the
    instant zoneinfo gives it: 01:30 UTC; it was sent as 02:30+02:00, 00:30 UTC)."""
    plan = stored_plan(served_demo, 28, budget=20, waves=2, seed=48)
    context, page, errors = _context(browser, "Europe/Berlin")
    posted: list[str] = []

    def hold(route: Any) -> None:
        posted.append(json.loads(route.request.post_data)["at"])
        route.fulfill(status=422, content_type="application/json",
                      body=json.dumps({"detail": "held by the test"}))

    try:
        page.route("**/waves/*/sent", hold)
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
        page.wait_for_selector("#record-send")
        page.fill("#send-at", typed)
        page.click("#record-send")
        page.click("#send-confirm")
        page.wait_for_selector("#send-out [role=alert]")
        meant = datetime.fromisoformat(typed).replace(tzinfo=BERLIN)
        sent = datetime.fromisoformat(posted[0])
        assert sent.astimezone(UTC) == meant.astimezone(UTC), (posted, meant)
        # the offset sent is the zone's own at that instant, and the label says it
        offset = sent.astimezone(BERLIN).strftime("%z")
        assert posted[0].endswith(f"{offset[:3]}:{offset[3:]}"), posted
        assert page.inner_text("label[for=send-at]").endswith(f"UTC{offset[:3]}:{offset[3:]})")
    finally:
        context.close()
    assert not errors, errors


def test_the_focus_stays_in_the_form_with_the_keyboard(served_demo: Any, browser: Any) -> None:
    plan = stored_plan(served_demo, 29, budget=20, waves=3, seed=49)
    pid = plan["plan_id"]
    context, page, errors = _context(browser, "UTC")
    try:
        page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#record-send")
        # refused (before the plan): the focus stays on the button
        page.fill("#send-at", "2020-01-01T10:00:00")
        page.focus("#record-send")
        page.keyboard.press("Enter")
        page.wait_for_selector("#send-confirm:focus")  # asked first: Enter confirms
        page.keyboard.press("Enter")
        page.wait_for_selector("#send-out [role=alert]")
        page.wait_for_function("() => !document.getElementById('record-send').disabled")
        assert page.evaluate("document.activeElement.id") == "record-send"
        time.sleep(1.1)
        sent = int(time.time())
        page.fill("#send-at", datetime.fromtimestamp(sent, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        page.focus("#record-send")
        page.keyboard.press("Enter")
        page.wait_for_selector("#send-confirm:focus")
        page.keyboard.press("Enter")
        page.wait_for_selector("label[for=send-at]:has-text('Wave 2 went out at')")
        stored = api(served_demo, f"/campaigns/{pid}")["summary"]["wave_sends"]
        assert [s["wave"] for s in stored] == [1]
        # the form drawn for wave 2: the focus goes to its time (it fell to the body)
        page.wait_for_timeout(200)
        assert page.evaluate("document.activeElement.id") == "send-at"
    finally:
        context.close()
    assert not errors, errors


def test_enter_in_the_time_records_the_send(served_demo: Any, browser: Any) -> None:
    """As in the page's other forms (it did nothing: the time and the button were no form);
    the oracle: the send the server stored."""
    plan = stored_plan(served_demo, 30, budget=20, waves=2, seed=50)
    pid = plan["plan_id"]
    context, page, errors = _context(browser, "UTC")
    try:
        page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#record-send")
        time.sleep(1.1)
        sent = int(time.time())
        page.fill("#send-at", datetime.fromtimestamp(sent, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        page.focus("#send-at")
        page.keyboard.press("Enter")
        page.wait_for_selector("#send-confirm:focus")  # Enter asks, as the button does
        page.keyboard.press("Enter")
        page.wait_for_selector("#send-recorded", timeout=10000)
        stored = api(served_demo, f"/campaigns/{pid}")["summary"]["wave_sends"]
        assert [(s["wave"], s["sent_at"]) for s in stored] == [(1, sent)]
    finally:
        context.close()
    assert not errors, errors
