"""A /health that answered after the user's or the film's page stopped waiting for it (3
seconds) stayed "late" for the rest of the page load: every page drawn after it said that
/health did not answer and went on with its defaults, though the limits were known by then.
Oracle: the notice of a page drawn with /health answering at once (none), and /health's own
answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api


def test_limits_answered_late_are_used_by_the_next_page(watched: Any, served_demo: Any) -> None:
    page = watched.page
    held: list[Any] = []
    page.route("**/health", lambda route: held.append(route))  # held until released below
    film = api(served_demo, "/films?limit=1")["films"][0]
    users = [u["user_id"] for u in
             api(served_demo, f"/films/{quote(film['film_id'], safe='')}/audience?k=2")["users"]]
    assert api(served_demo, "/health")["limits"]["max_k"]  # the limits /health will say

    page.goto(f"{served_demo.base}/studio/#/user/{quote(users[0], safe='')}")
    page.wait_for_selector("#user-films table", timeout=15000)
    assert "did not answer" in page.inner_text("#page-notice")
    # /health answers now (late): the page load's limits are known from here on
    page.unroute("**/health")
    done: list[str] = []
    page.on("requestfinished", lambda r: done.append(r.url) if r.url.endswith("/health") else None)
    asked = len(held)
    for route in held:
        route.continue_()
    while len(done) < asked:  # every /health held has answered (the limits' ask among them)
        page.wait_for_event("requestfinished", timeout=15000)
    page.goto(f"{served_demo.base}/studio/#/user/{quote(users[1], safe='')}")
    page.wait_for_function("(u) => document.querySelector('h1')?.textContent.includes(u)",
                           arg=users[1], timeout=15000)
    page.wait_for_selector("#user-films table", timeout=15000)
    assert "did not answer" not in page.inner_text("#page-notice")
    page.goto(f"{served_demo.base}/studio/#/film/{quote(film['film_id'], safe='')}")
    page.wait_for_selector("#audience-status", timeout=15000)
    assert "did not answer" not in page.inner_text("#page-notice")
    watched.assert_clean()
