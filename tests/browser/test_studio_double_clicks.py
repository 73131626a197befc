"""A double click on a button that asks the server once: "Download the plan (CSV)" waits,
disabled, for its file (a double click downloaded the plan twice), as the audience's do."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_a_double_click_downloads_the_plan_once(served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    plan = api(served_demo, "/campaigns/plan", {"films": [{"film_id": film, "budget": 20}]})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
    held: list[Any] = []
    page.route("**/plan.csv", lambda route: held.append(route))
    page.dblclick("#plan-download")
    while not held:
        page.wait_for_timeout(50)
    page.wait_for_timeout(300)  # a second request would be held by now
    assert len(held) == 1
    assert page.is_disabled("#plan-download")
    with page.expect_download() as dl:
        for route in held:
            route.continue_()
    assert dl.value.suggested_filename == f"{plan['plan_id']}.csv"
    assert page.is_enabled("#plan-download")
    watched.assert_clean()
