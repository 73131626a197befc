"""Audience Studio on a touch phone (375x667). The Campaign page's confirmations (Withdraw,
Record send) put the final action and Cancel side by side with no gap, both filled blue, and
Withdraw's opened partly below the screen; the fixed "Still waiting for the engine" note took
the taps of the controls it covered; the API-key dialog said "This server asks for a key" on a
server that asks for none, and had no way out on touch (no Escape; an empty Save keeps it
open). Oracle: the boxes and computed styles the browser lays out, the element it finds under
a point, and /health's access (read and write with no key) or a 401."""

from __future__ import annotations

from typing import Any

from conftest import Watched
from studio_http import api, stored_plan


def _apart_and_unlike(page: Any, action: str, cancel: str) -> None:
    """``action`` and ``cancel`` do not touch (8px apart at least) and do not look the same."""
    a, c = page.locator(action).bounding_box(), page.locator(cancel).bounding_box()
    assert a and c
    same_line = a["y"] < c["y"] + c["height"] and c["y"] < a["y"] + a["height"]
    gap = (c["x"] - (a["x"] + a["width"]) if same_line else c["y"] - (a["y"] + a["height"]))
    assert gap >= 8, (a, c)
    look = "(b) => { const s = getComputedStyle(b); return [s.backgroundColor, s.color]; }"
    assert page.locator(action).evaluate(look) != page.locator(cancel).evaluate(look)


def _in_view(page: Any, selector: str) -> bool:
    """Whether ``selector`` lies wholly inside the screen (to a pixel's rounding)."""
    return bool(page.locator(selector).evaluate(
        "(e) => { const r = e.getBoundingClientRect();"
        " return r.top >= -1 && r.bottom <= innerHeight + 1; }"))


def test_a_campaigns_confirmations_are_apart_unlike_and_in_view(phone: Watched,
                                                                served_demo: Any) -> None:
    page = phone.page
    plan_id = stored_plan(served_demo, 57, budget=20, waves=2, seed=58)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#withdraw-none")
    page.wait_for_selector("#record-send")
    # the button at the screen's foot, as a marketer scrolling down reaches it
    page.locator("#withdraw-none").evaluate("(b) => b.scrollIntoView({ block: 'end' })")
    page.locator("#withdraw-none").tap()
    page.wait_for_selector("#withdraw-confirm")
    assert _in_view(page, "#withdraw-confirm") and _in_view(page, "#withdraw-cancel")
    _apart_and_unlike(page, "#withdraw-confirm", "#withdraw-cancel")
    page.locator("#withdraw-cancel").tap()
    assert page.locator("#withdraw-confirm").count() == 0
    assert "withdrawn" not in api(served_demo, f"/campaigns/{plan_id}")["summary"]

    page.locator("#record-send").evaluate("(b) => b.scrollIntoView({ block: 'end' })")
    page.locator("#record-send").tap()
    page.wait_for_selector("#send-confirm")
    assert _in_view(page, "#send-confirm") and _in_view(page, "#send-cancel")
    _apart_and_unlike(page, "#send-confirm", "#send-cancel")
    page.locator("#send-cancel").tap()
    assert api(served_demo, f"/campaigns/{plan_id}")["summary"]["wave_sends"] == []
    phone.assert_clean()


# a control of the page under the note (the page scrolled to put its centre there): whether
# the element found at that point is the control
UNDER_NOTE = """() => {
  const note = document.getElementById("still-waiting").getBoundingClientRect();
  const x = note.left + note.width / 2;
  for (const c of document.querySelectorAll("#view input, #view button, #view select")) {
    let r = c.getBoundingClientRect();
    if (!r.width || r.left > x || r.right < x) continue;
    window.scrollBy(0, r.top + r.height / 2 - (note.top + note.height / 2));
    r = c.getBoundingClientRect();
    const y = r.top + r.height / 2;
    if (y <= note.top || y >= note.bottom) continue;
    const hit = document.elementFromPoint(x, y);
    return { control: c.outerHTML.slice(0, 80), hit: hit === c || c.contains(hit) };
  }
  return null;
}"""


def test_the_still_waiting_note_takes_no_tap(phone: Watched, served_demo: Any) -> None:
    page = phone.page
    films = [f for f in api(served_demo, "/films?limit=40")["films"] if f["title"]][33:37]
    page.goto(f"{served_demo.base}/studio/#/plan")
    for film in films:
        page.fill("#slate-search", film["title"].lower())
        page.get_by_role("button", name=f"Add {film['title']}").first.tap()
    held: list[Any] = []
    page.route("**/campaigns/plan", lambda route: held.append(route))  # the engine slow
    page.get_by_role("button", name="Plan", exact=True).tap()
    page.locator("#still-waiting").wait_for(timeout=15000)
    under = page.evaluate(UNDER_NOTE)
    assert under is not None, "no control of the plan page lies under the note"
    assert under["hit"], under
    held[0].abort()
    page.unroute("**/campaigns/plan")
    page.wait_for_selector("#plan-result .error")
    phone.console_errors.clear()  # the request aborted here
    phone.assert_clean()


def test_the_key_dialog_says_what_the_server_asks_and_closes_on_touch(
        phone: Watched, served_demo: Any, served_locked: Any) -> None:
    page = phone.page
    access = api(served_demo, "/health")["access"]
    assert access["read"] is True and access["write"] is True  # a server that asks no key
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("#view h1")
    page.locator("#key-button").tap()
    dialog = page.locator("#key-dialog")
    dialog.wait_for(state="visible")
    said = dialog.inner_text()
    assert "asks for a key" not in said, said
    assert "Type a key if your server uses one." in said, said
    dialog.get_by_role("button", name="Save").tap()  # empty: kept open, as before
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Cancel").tap()
    dialog.wait_for(state="hidden")
    assert page.evaluate("sessionStorage.getItem('recommender.studio.key')") is None

    # refused for want of a key: the dialog says the server asks for one, and Cancel closes it
    page.goto(f"{served_locked.base}/studio/#/campaigns")
    dialog.wait_for(state="visible")
    assert "This server asks for a key." in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").tap()
    dialog.wait_for(state="hidden")
    phone.console_errors[:] = [e for e in phone.console_errors if "401" not in e]
    phone.assert_clean()
