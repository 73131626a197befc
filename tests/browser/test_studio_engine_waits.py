"""Audience Studio while the engine is slow or out of reach: a request unanswered for a few
seconds is counted in a "still waiting" note, and an engine that could not be reached offers
"Try again", which asks again. Oracle: the API's own answer for the same search."""

from __future__ import annotations

import re
from typing import Any

from studio_http import api

FILMS = re.compile(r"/films\?")


def test_a_request_unanswered_says_it_is_still_waiting(watched: Any, served_demo: Any) -> None:
    """A hung server left "Searching…" on the page with no word for as long as it hung."""
    page = watched.page
    held: list[Any] = []
    page.route(FILMS, lambda route: held.append(route))
    page.goto(f"{served_demo.base}/studio/#/search?q=the")
    note = page.locator("#still-waiting")
    note.wait_for(timeout=15000)
    assert re.fullmatch(r"Still waiting for the engine \(\d+ s\): it has not answered yet\.",
                        note.inner_text())
    assert "Searching" in page.inner_text("#results")
    page.unroute(FILMS)
    for route in held:
        route.continue_()
    page.wait_for_selector("#results table")
    note.wait_for(state="detached")
    want = api(served_demo, "/films?query=the&limit=20")
    assert f"of {want['total']:,}" in page.inner_text("#results")
    watched.assert_clean()


def test_an_engine_out_of_reach_offers_try_again(watched: Any, served_demo: Any) -> None:
    """"The engine could not be reached" had no way to ask again but retyping the search."""
    page = watched.page
    page.route(FILMS, lambda route: route.abort())
    page.goto(f"{served_demo.base}/studio/#/search?q=the")
    page.wait_for_selector("#results .error")
    assert "could not be reached" in page.inner_text("#results")
    page.unroute(FILMS)
    page.locator("#results").get_by_role("button", name="Try again").click()
    page.wait_for_selector("#results table")
    want = api(served_demo, "/films?query=the&limit=20")
    assert f"of {want['total']:,}" in page.inner_text("#results")
    assert want["films"][0]["film_id"] in page.inner_text("#results")
