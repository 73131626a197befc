"""The film page's screens and a report's window_days were read from the address by a number
box: "0x10", " 16" and "+16" were emptied (no screens shared out, the server's default window)
without a word, and "1e1" sent as written, where every other page reads the address's numbers
as decimals alone (ui.js wholeNumber) and says the others in the page notice. Oracle: the
requests the page sends."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from studio_http import api, stored_plan

#: (as the address writes it, as the page reads it)
ODD = [("0x10", "0x10"), ("%2016", " 16"), ("%2B16", "+16"), ("1e1", "1e1")]


def _sent(asked: list[str], path: str, key: str) -> list[str]:
    """The values of ``key`` in the requests to ``path`` ("" where absent)."""
    return [m.group(1) if (m := re.search(rf"[?&]{key}=([^&]*)", u)) else ""
            for u in asked if path in u]


def test_odd_screens_and_report_windows_are_said_not_used(served_demo: Any,
                                                          watched: Any) -> None:
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    film = quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    plan = stored_plan(served_demo, 31, budget=20, seed=42)["plan_id"]
    for written, read in ODD:
        asked.clear()
        page.goto(f"{served_demo.base}/studio/#/film/{film}?screens={written}")
        page.wait_for_selector("#page-notice:not(:empty)")
        assert f"screens={read}" in page.inner_text("#page-notice")
        page.wait_for_selector("#dist-total")  # the demand drawn
        assert set(_sent(asked, "/distribution", "screens")) <= {""}, asked
        assert page.input_value("#dist-screens") == ""
        asked.clear()
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?window_days={written}")
        page.wait_for_selector("#report table")
        said = page.inner_text("#page-notice")
        assert f"window_days={read}" in said and "number of days" in said, said
        assert set(_sent(asked, "/report", "window_days")) <= {""}, asked
    # decimals are used, and nothing said
    asked.clear()
    page.goto(f"{served_demo.base}/studio/#/film/{film}?screens=007")
    page.wait_for_selector("text=7 screens shared out")
    assert _sent(asked, "/distribution", "screens") == ["7"]
    assert page.inner_text("#page-notice") == ""
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?window_days=12.5")
    page.wait_for_selector("#report table")
    assert page.inner_text("#page-notice") == ""
    assert page.input_value("#report-window") == "12.5"
    watched.assert_clean()
