"""A user's page reads /health twice: the limits (cached for the page load) and the model's
details. The second one late, with the limits in, was said as "The server's limits (/health)
did not answer within 3 seconds", of limits the page was drawn with; the notice now names
what was late. Oracle: the films shown are the API's own, drawn with the limits."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api


def test_late_model_details_are_not_called_the_limits(served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    two = [u["user_id"] for u in api(served_demo, f"/films/{film}/audience?k=2")["users"]]
    page.goto(f"{served_demo.base}/studio/#/user/{quote(two[0], safe='')}")
    page.wait_for_selector("#user-films")
    assert page.locator("#page-notice").inner_text().strip() == ""
    held: list[Any] = []
    page.route("**/health", lambda route: held.append(route))  # the limits are in already
    page.evaluate(f"location.hash = '#/user/{quote(two[1], safe='')}'")
    page.wait_for_selector(f"h1:has-text('{two[1]}')", timeout=15000)
    page.wait_for_selector("#user-films")
    notice = page.locator("#page-notice").inner_text()
    assert "model's details" in notice and "did not answer within 3 seconds" in notice, notice
    assert "limits" not in notice, notice
    shown = api(served_demo, f"/users/{quote(two[1], safe='')}/recommendations?k=10")["films"]
    assert page.locator("#user-films tbody tr").count() == len(shown)
    page.unroute("**/health")
    for route in held:
        route.continue_()
    watched.assert_clean()
