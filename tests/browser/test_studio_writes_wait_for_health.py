"""The campaign store's writes (Plan, Record send, the next wave, Withdraw) are offered only
once /health has said the key in use may make them: a read key saw each of them until /health
answered. While /health is held none is shown; once it answers they are, for a write key. A
/health that fails leaves them hidden with a note saying their rights could not be checked
and a "Check again" that asks again (they were offered, to be refused). Oracle: the server
itself, /health's access for the key and the plan it stores."""

from __future__ import annotations

import json
from typing import Any

from studio_http import api_as

WRITES = ("#record-send", "#next-wave", "#withdraw-sent", "#withdraw-none")
KEY = "recommender.studio.key"  # where the Studio keeps the key (sessionStorage)


def _plan_button(page: Any) -> Any:
    return page.locator("button[type=submit]", has_text="Plan")


def _keep_key(page: Any, key: str) -> None:
    """The Studio's pages of this tab start with ``key`` in use (as if entered before)."""
    page.add_init_script(f"if (location.protocol === 'http:') "
                         f"sessionStorage.setItem({json.dumps(KEY)}, {json.dumps(key)})")


def _release(page: Any, held: list[Any]) -> None:
    """Let every held /health go on (those asked from now on are not held)."""
    page.unroute("**/health")
    for route in held:
        route.continue_()


def test_writes_are_hidden_until_health_says_the_key_may_write(watched: Any,
                                                               served_locked: Any,
                                                               write_key: str) -> None:
    assert api_as(served_locked, "/health", write_key)["access"] == {"read": True,
                                                                      "write": True}
    film = api_as(served_locked, "/films?limit=40", write_key)["films"][37]
    pid = api_as(served_locked, "/campaigns/plan", write_key, {
        "films": [{"film_id": film["film_id"], "budget": 20}], "seed": 53,
        "waves": 2})["plan_id"]
    page = watched.page
    _keep_key(page, write_key)
    held: list[Any] = []
    # the planner, /health held: no Plan (and Enter cannot press it), no note
    page.route("**/health", lambda route: held.append(route))
    page.goto(f"{served_locked.base}/studio/#/plan")
    page.wait_for_selector("#slate-search")
    while not held:
        page.wait_for_timeout(50)
    assert _plan_button(page).count() == 1
    assert not _plan_button(page).is_visible()
    assert _plan_button(page).is_disabled()
    assert page.locator("#plan-no-write").count() == 0
    _release(page, held)
    _plan_button(page).wait_for(state="visible")
    assert _plan_button(page).is_enabled()
    assert page.locator("[id$='-no-write']").count() == 0
    # the campaign page loaded afresh (the access asked is kept for the tab's page load),
    # /health held: no write of it shown; once answered, every one
    held.clear()
    page.route("**/health", lambda route: held.append(route))
    page.goto("about:blank")
    page.goto(f"{served_locked.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    assert held
    assert page.locator("#record-send").count() == 1  # drawn, not shown
    assert not any(page.is_visible(w) for w in WRITES)
    _release(page, held)
    page.wait_for_selector("#record-send", state="visible")
    for w in WRITES:
        page.wait_for_selector(w, state="visible")
    assert page.locator("[id$='-no-write']").count() == 0
    watched.assert_clean()


def test_a_failed_health_says_the_writes_could_not_be_checked(watched: Any,
                                                              served_locked: Any,
                                                              write_key: str) -> None:
    page = watched.page
    _keep_key(page, write_key)
    page.route("**/health", lambda route: route.abort())  # the engine out of reach
    page.goto(f"{served_locked.base}/studio/#/plan")
    page.wait_for_selector("#plan-no-write")
    note = page.inner_text("#plan-no-write")
    assert note.startswith("Planning a campaign is not offered for now"), note
    assert "could not be checked" in note and "could not be reached" in note
    assert not _plan_button(page).is_visible()
    # reachable again: "Check again" asks /health, and Plan is offered
    page.unroute("**/health")
    page.click("#plan-no-write-check")
    _plan_button(page).wait_for(state="visible")
    assert page.locator("#plan-no-write").count() == 0
    assert page.get_by_role("button", name="Plan", exact=True).is_enabled()
    # the aborted /health asks are the only errors in the console
    assert all("ERR_FAILED" in e for e in watched.console_errors), watched.console_errors
    watched.console_errors.clear()
    watched.assert_clean()
