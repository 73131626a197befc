"""The search's first request waited for /health (its catalog counts: a catalog without titles
or genres fits the fields): a /health slow or never answered left the page at "Searching…"
for ever, with no request sent. It searches at once; a bookmarked genre waits for /health a
short while only. Oracle: the API's own answer for the same search."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api


def test_the_search_does_not_wait_on_a_health_never_answered(watched: Any,
                                                              served_demo: Any) -> None:
    page = watched.page
    held: list[Any] = []
    page.route("**/health", lambda route: held.append(route))  # asked, never answered
    genre = api(served_demo, "/films?limit=1")["films"][0]["genres"][0]
    for address, asked in (("#/search?q=a", "query=a"),
                           (f"#/search?genre={quote(genre)}", f"genre={quote(genre)}")):
        page.goto(f"{served_demo.base}/studio/{address}")
        page.wait_for_selector("#results table", timeout=15000)
        want = api(served_demo, f"/films?{asked}&limit=20")
        shown = page.inner_text("#results")
        assert f"of {want['total']:,}" in shown, shown
        assert want["films"][0]["film_id"] in shown
    assert held  # /health was asked, and the page went on without it
    watched.assert_clean()
    for route in held:
        route.abort()
