"""A campaign's withdrawal draws its page again in place: the draw it replaces stayed the
page shown for its handlers (the same page count), so a report-window box typed in and left
focused as the withdrawal was confirmed fired its change as the page was redrawn, asked the
old draw's report for its window and waves, and announced it in the page's status region.
The redraw is now a page of its own. Oracle: the requests the browser sent after the
confirmation, and the server's report of the withdrawn plan."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from studio_http import api, stored_plan


def test_the_redrawn_page_leaves_the_old_draws_boxes_behind(served_demo: Any,
                                                           watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 70, budget=30, waves=3, seed=21)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?sent_waves=2")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    page.wait_for_selector("#withdraw-confirm")
    page.evaluate("""() => { window.said = []; const box = document.getElementById('page-status');
      new MutationObserver(() => window.said.push(box.textContent)).observe(box,
        { childList: true, characterData: true, subtree: true }); }""")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/report" in r.url else None)
    page.fill("#report-window", "7.5")  # typed, the focus still in the box: no change yet
    assert page.evaluate("document.activeElement.id") == "report-window"
    # confirmed by a script's click, which leaves the focus where it is
    page.evaluate("document.getElementById('withdraw-confirm').click()")
    page.wait_for_selector("#withdrawn")
    page.wait_for_selector("#report table")
    page.wait_for_load_state("networkidle")
    # the redrawn page asked its report once, with the server's default window: the old
    # draw's box asked for none (it asked waves 1-2 within 7.5 days)
    windows = [parse_qs(urlparse(u).query).get("window_days") for u in asked
               if urlparse(u).path.endswith(f"/campaigns/{plan}/report")]
    assert windows == [None], asked
    default = api(served_demo, f"/campaigns/{plan}/report")
    assert page.input_value("#report-window") == f"{default['window_days']:g}"
    said = page.evaluate("window.said")
    assert not any("7.5 days" in s for s in said), said
    fragment = page.evaluate("location.hash")
    assert "window_days" not in fragment and "sent_waves" not in fragment, fragment
    watched.assert_clean()
