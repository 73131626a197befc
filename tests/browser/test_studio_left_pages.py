"""A page left while its answers were on their way (a film, a user, a next wave being planned):
their late answers neither retitle the tab, nor rewrite the address of the page shown since,
nor take the user away from it."""

from __future__ import annotations

from typing import Any

from studio_http import api


def _hold(page: Any, pattern: str) -> list[Any]:
    held: list[Any] = []
    page.route(pattern, lambda route: held.append(route))
    return held


def _release(page: Any, held: list[Any], path: str) -> None:
    while not held:
        page.wait_for_timeout(50)
    with page.expect_response(lambda r: path in r.url):
        held[0].continue_()
    page.wait_for_timeout(500)  # the late answer is read by now


def test_a_film_or_user_left_loading_leaves_the_page_shown_alone(
        served_demo: Any, watched: Any) -> None:
    page = watched.page
    first, second = (f["film_id"] for f in api(served_demo, "/films?limit=2")["films"])
    held = _hold(page, f"**/films/{first}/audience/summary*")
    page.goto(f"{served_demo.base}/studio/#/film/{first}")
    while not held:
        page.wait_for_timeout(50)
    page.evaluate("id => { location.hash = `#/film/${id}?tier=core`; }", second)
    page.wait_for_selector("#audience-status")
    shown = page.title()
    _release(page, held, f"/films/{first}/audience/summary")
    # the first film's audience table wrote its (empty) ring into the second's bookmark
    assert page.evaluate("location.hash") == f"#/film/{second}?tier=core"
    assert page.title() == shown
    held = _hold(page, "**/users/u00001/recommendations*")
    page.evaluate("location.hash = '#/user/u00001'")
    while not held:
        page.wait_for_timeout(50)
    page.evaluate("location.hash = '#/user/u00002'")
    page.wait_for_selector("#user-status")
    _release(page, held, "/users/u00001/recommendations")
    assert page.title() == "User u00002 · Audience Studio"
    watched.assert_clean()


def test_a_next_wave_planned_after_leaving_its_campaign_does_not_take_the_user_back(
        served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    plan = api(served_demo, "/campaigns/plan", {"films": [{"film_id": film, "budget": 50}],
                                                "waves": 2})["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?sent_waves=1")
    page.wait_for_selector("#next-wave:enabled")
    held = _hold(page, "**/next")
    page.click("#next-wave")
    page.evaluate("location.hash = '#/search'")
    page.wait_for_selector("#results table")
    _release(page, held, f"/campaigns/{plan}/next")
    assert page.evaluate("location.hash").startswith("#/search")
    assert page.locator("h1").all_inner_texts() == ["Find a film"]
    watched.assert_clean()
