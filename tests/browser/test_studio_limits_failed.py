"""A /health that failed (an error answered, or no answer) left the user's and the film's
pages with their defaults without a word, where a slow one was said ("did not answer within
3 seconds"); said now, as a failure, not as a wait. Oracle: the API's own answers for the same
user and film."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api

FAIL = {"status": 500, "content_type": "application/json", "body": '{"detail": "probe"}'}


def test_a_failed_health_is_said_as_failed(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.route("**/health", lambda route: route.fulfill(**FAIL))
    film = api(served_demo, "/films?limit=1")["films"][0]
    audience = api(served_demo, f"/films/{quote(film['film_id'], safe='')}/audience?k=25")
    user = audience["users"][0]["user_id"]
    films = api(served_demo, f"/users/{quote(user, safe='')}/recommendations?k=10")["films"]

    page.goto(f"{served_demo.base}/studio/#/user/{quote(user, safe='')}")
    page.wait_for_selector("#user-films table", timeout=15000)
    assert page.locator("#user-films tbody tr").count() == len(films)
    page.wait_for_function("() => document.getElementById('page-notice').textContent"
                           ".includes('/health')", timeout=15000)
    said = page.inner_text("#page-notice")
    assert "could not be read" in said and "did not answer" not in said, said
    assert "10 films" in said, said

    page.goto(f"{served_demo.base}/studio/#/film/{quote(film['film_id'], safe='')}")
    page.wait_for_selector("#audience-status", timeout=15000)
    assert page.inner_text("#audience-status") == f"Users 1–25 of {audience['total']:,}"
    page.wait_for_function("() => document.getElementById('page-notice').textContent"
                           ".includes('/health')", timeout=15000)
    said = page.inner_text("#page-notice")
    assert "could not be read" in said and "10,000 rows" in said, said
    # the console's errors are the 500s asked for here
    assert all("500" in e for e in watched.console_errors), watched.console_errors
