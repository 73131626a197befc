"""<main> was a live region (aria-live=polite): a screen reader read the whole page out, a
table of 25 rows, after each page turn. The page has one visually hidden status region
instead, which says a short sentence after each page drawn or turned; errors are still said
by their role=alert boxes. Oracle: the API's own answers (totals, titles) for the same
pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api

FAIL = {"status": 500, "content_type": "application/json", "body": '{"detail": "probe"}'}


def _said(page: Any, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('page-status').textContent === t",
                           arg=text, timeout=15000)


def test_one_status_region_says_each_page_turn(watched: Any, served_demo: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]
    fid = quote(film["film_id"], safe="")
    total = api(served_demo, f"/films/{fid}/audience?k=1")["total"]
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#audience-status")
    assert page.get_attribute("main", "aria-live") is None
    # no live region holds the audience table (it, or a box around it)
    assert page.locator("[aria-live]:has(#audience-out), #audience-out[aria-live]").count() == 0
    status = page.locator("#page-status")
    assert status.get_attribute("role") == "status"
    box = status.bounding_box()
    assert box is not None and box["width"] <= 1 and box["height"] <= 1  # heard, not seen
    _said(page, f"Audience for {film['title']}: users 1–25 of {total:,}")
    page.click("#audience-out .pager button:text-is('Next')")
    _said(page, f"Audience for {film['title']}: users 26–50 of {total:,}")

    # the search: each answer and each turn, in a sentence
    found = api(served_demo, "/films?query=the&limit=20")["total"]
    assert found > 20
    page.goto(f"{served_demo.base}/studio/#/search?q=the")
    _said(page, f"Search results: Films 1–20 of {found:,}")
    page.click("#results .pager button:text-is('Next')")
    _said(page, f"Search results: Films 21–40 of {found:,}")
    assert page.get_attribute("#results", "aria-live") is None

    # a table turned in the page (a lookalike audience of 100, 25 at a time)
    seeds = [u["user_id"] for u in api(served_demo, f"/films/{fid}/audience?k=3")["users"]]
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", "\n".join(seeds))
    page.click("text=Find lookalikes")
    page.wait_for_selector("#lookalike-users table")
    page.click("#lookalike-users .pager button:text-is('Next')")
    _said(page, "Lookalike audience: users 26–50 of 100")

    # a page without rows of its own says it was drawn
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    _said(page, "Campaigns: page shown.")
    watched.assert_clean()


def test_errors_are_still_said(watched: Any, served_demo: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]
    fid = quote(film["film_id"], safe="")
    page.route("**/audience?*", lambda route: route.fulfill(**FAIL))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#audience-out [role=alert]")
    assert "probe" in page.inner_text("#audience-out [role=alert]")
    page.unroute("**/audience?*")
    page.route("**/films?*", lambda route: route.fulfill(**FAIL))
    page.goto(f"{served_demo.base}/studio/#/search?q=the")
    page.wait_for_selector("#results [role=alert]")
    assert "probe" in page.inner_text("#results [role=alert]")
