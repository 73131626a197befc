"""On a phone and a slow network, a plan answered after its page was left was stored twice:
"Plan" tapped, "Campaigns" tapped while the engine solved it (the list drawn before the store),
Back, "Plan" tapped again. The first answer dropped its Idempotency-Key though it was never
shown (said only in the visually hidden status region), so the second tap stored a copy. The
key is now kept until its answer is shown on a page, and the answer come after its page was
left is said above the page shown, linked. Oracle: the server's count of stored plans (GET
/campaigns' total) and its Idempotent-Replayed header."""

from __future__ import annotations

from typing import Any

from conftest import Watched
from studio_http import api


def test_a_plan_answered_after_its_page_was_left_is_stored_once(phone: Watched,
                                                                served_demo: Any) -> None:
    page = phone.page
    film = [f for f in api(served_demo, "/films?limit=40")["films"] if f["title"]][31]
    before = api(served_demo, "/campaigns?limit=1")["total"]
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.tap()
    page.get_by_label(f"budget for {film['title']}").fill("12")
    held: list[Any] = []
    page.route("**/campaigns/plan", lambda route: held.append(route))  # the slow network
    page.get_by_role("button", name="Plan", exact=True).tap()
    page.wait_for_function("document.querySelector('#plan-result .loading') !== null")
    page.locator("nav a[data-nav=campaigns]").tap()
    page.wait_for_selector("#view h1:has-text('Campaigns')")
    page.wait_for_function("!document.querySelector('#view .loading')")  # the list drawn
    assert len(held) == 1
    held[0].continue_()  # the answer comes while Campaigns is shown
    page.unroute("**/campaigns/plan")
    notice = page.locator("#plan-stored-away")
    notice.wait_for()
    stored = api(served_demo, "/campaigns?limit=1")
    assert stored["total"] == before + 1
    plan_id = stored["plans"][0]["plan_id"]
    assert plan_id in notice.inner_text()
    assert notice.is_visible()
    box = notice.bounding_box()
    assert box and box["width"] > 1 and box["height"] > 1  # seen, not only heard
    link = notice.get_by_role("link", name=f"open campaign {plan_id}")
    assert link.get_attribute("href") == f"#/campaigns/{plan_id}"

    page.go_back()
    page.wait_for_selector("#view h1:has-text('Plan a slate')")
    assert page.locator("#plan-stored-away").count() == 0  # said until the next page
    page.get_by_label(f"budget for {film['title']}").wait_for()  # the slate kept
    with page.expect_response(lambda r: r.url.endswith("/campaigns/plan")) as answer:
        page.get_by_role("button", name="Plan", exact=True).tap()
    assert answer.value.headers.get("idempotent-replayed") == "true"
    page.wait_for_selector("text=Open this campaign")
    assert plan_id in page.inner_text("#plan-totals")
    assert api(served_demo, "/campaigns?limit=1")["total"] == before + 1  # one plan, not two

    # its answer shown, the key is dropped: the same slate planned once more is a new plan
    with page.expect_response(lambda r: r.url.endswith("/campaigns/plan")) as again:
        page.get_by_role("button", name="Plan", exact=True).tap()
    assert again.value.headers.get("idempotent-replayed") != "true"
    # the totals are gone while the new answer is drawn (querySelector null until it is)
    page.wait_for_function("(id) => { const t = document.querySelector('#plan-totals'); "
                           "return !!t && !t.innerText.includes(id); }", arg=plan_id)
    assert api(served_demo, "/campaigns?limit=1")["total"] == before + 2
    phone.assert_clean()
