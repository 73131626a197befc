"""A plan answered after its page was left, while the campaigns list was shown (the slow-network
case: the list asked and drawn before the plan was stored), was said in a linked notice above
the list, but the list itself lacked the new plan until a reload. The list shown is now drawn
again as such an answer arrives, the notice kept above it. Oracle: the server's own list of
stored plans (GET /campaigns) once the plan is stored."""

from __future__ import annotations

from typing import Any

from conftest import Watched
from studio_http import api


def test_the_campaigns_list_shown_lists_a_plan_answered_after_its_page_was_left(
        watched: Watched, served_demo: Any) -> None:
    page = watched.page
    film = [f for f in api(served_demo, "/films?limit=70")["films"] if f["title"]][57]
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").fill("7")
    held: list[Any] = []
    page.route("**/campaigns/plan", lambda route: held.append(route))  # the slow network
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_function("document.querySelector('#plan-result .loading') !== null")
    nav = page.locator("nav a[data-nav=campaigns]")
    nav.click()
    page.wait_for_selector("#view h1:has-text('Campaigns')")
    page.wait_for_function("!document.querySelector('#view .loading')")  # the list drawn
    rows = "(rows) => rows.map((r) => r.querySelector('a').textContent)"
    before = page.locator("#view tbody tr").evaluate_all(rows)  # none on a new store
    assert len(held) == 1
    held[0].continue_()  # the answer comes while the list is shown
    page.unroute("**/campaigns/plan")
    notice = page.locator("#plan-stored-away")
    notice.wait_for()
    listed = api(served_demo, "/campaigns?limit=100")
    plan_id = listed["plans"][0]["plan_id"]
    assert plan_id in notice.inner_text()
    link = page.locator("#view table").get_by_role("link", name=plan_id, exact=True)
    link.wait_for()  # listed without a reload
    assert plan_id not in before
    assert page.locator("#view caption").inner_text().endswith(
        f" of {listed['total']:,}, newest first")
    shown = page.locator("#view tbody tr").evaluate_all(rows)
    assert shown == [p["plan_id"] for p in listed["plans"]]
    assert notice.is_visible()  # the notice stays above the list drawn again
    assert page.locator("#plan-stored-away").count() == 1
    assert page.evaluate("document.activeElement.dataset.nav") == "campaigns"  # focus kept
    assert page.url.endswith("#/campaigns")
    watched.assert_clean()
