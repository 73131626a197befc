"""A page whose part says the page's sentence once answered (data-says-own: the search's
results, a film's audience) and whose first answer failed was said by its role=alert box
only: the status region said nothing of the page drawn. It says the page as the router says
every other ("Find a film: page shown."), once, beside the alert."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api, record_said


def _fail(route: Any) -> None:
    route.fulfill(status=500, content_type="application/json",
                  body='{"detail": "failed by the test"}')


def test_a_part_that_fails_leaves_the_page_said(browser: Any, served_demo: Any) -> None:
    page = browser.new_page()
    try:
        page.goto(f"{served_demo.base}/studio/#/overview")
        record_said(page, "Overview: page shown.")
        page.route("**/films?*", _fail)
        page.evaluate("location.hash = '#/search?q=the'")
        page.wait_for_selector("#results [role=alert]")
        page.wait_for_timeout(400)
        heading = page.inner_text("h1").strip()
        assert page.evaluate("window.__said") == [f"{heading}: page shown."]
        page.unroute("**/films?*")

        film = api(served_demo, "/films?limit=1")["films"][0]
        fid = quote(film["film_id"], safe="")
        page.evaluate("window.__said = []")
        page.route("**/audience?*", _fail)
        page.evaluate(f"location.hash = '#/film/{fid}'")
        page.wait_for_selector("#audience-out [role=alert]")
        page.wait_for_timeout(400)
        heading = page.inner_text("h1").strip()
        assert page.evaluate("window.__said") == [f"{heading}: page shown."]
        # a later failure (a ring chosen) is its alert only: the page was said
        page.evaluate("window.__said = []")
        page.select_option("#tier", index=1)
        page.wait_for_selector("#audience-out [role=alert]")
        page.wait_for_timeout(400)
        assert page.evaluate("window.__said") == []
    finally:
        page.close()
