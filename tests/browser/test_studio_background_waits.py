"""A /health asked in the background (the footer's model line, the limits a page stops
waiting for) that hung showed "Still waiting for the engine (N s)" on a page that had its
answer: the note counts the requests a page waits on only. Oracle: the search's own answer
drawn, and the note's absence once it would have been shown (STILL_WAITING_MS and a tick)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

API_JS = Path(__file__).resolve().parents[2] / "service/studio/js/api.js"
STILL_WAITING_MS = int(re.search(r"STILL_WAITING_MS = (\d+);", API_JS.read_text())[1])


def test_a_hanging_background_health_shows_no_waiting_note(watched: Any,
                                                           served_demo: Any) -> None:
    page = watched.page
    held: list[Any] = []
    page.route("**/health", lambda route: held.append(route))  # asked, never answered
    page.goto(f"{served_demo.base}/studio/#/search?q=a")
    page.wait_for_selector("#results table", timeout=15000)
    page.wait_for_timeout(STILL_WAITING_MS + 2500)  # past the note's threshold and a tick
    assert held  # the background /health is still unanswered
    assert page.locator("#still-waiting").count() == 0, page.inner_text("#still-waiting")
    watched.assert_clean()
    for route in held:
        route.abort()
