"""Enter in Find a film's title box on a later page of results drew that page again: it runs
the search anew, from the first page (the address loses its offset). Oracle: the API's own
first page for the same title."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_enter_on_a_later_page_searches_from_the_first(watched: Any, served_demo: Any) -> None:
    first = api(served_demo, "/films?query=the&limit=20")
    assert first["total"] > 20  # a second page exists
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/search?q=the&offset=20")
    page.wait_for_selector("#results table")
    assert "Films 21–" in page.inner_text("#results")
    page.press("#q", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#results p')?.textContent.startsWith('Films 1–')")
    shown = page.inner_text("#results")
    assert f"Films 1–20 of {first['total']:,}" in shown, shown
    assert first["films"][0]["film_id"] in shown
    assert "offset" not in page.evaluate("location.hash")
    watched.assert_clean()
