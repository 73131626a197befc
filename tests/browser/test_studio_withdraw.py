"""The campaign page withdraws a campaign after the waves already sent, once confirmed: the page
then says so, offers no next wave, and the store gives back the later waves' users (the server's
summary and listing, read directly, are the oracle); "no wave was sent" withdraws all of it."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_withdraw_after_the_sent_waves(served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=3")["films"][2]["film_id"]
    plan = api(served_demo, "/campaigns/plan", {"films": [{"film_id": film, "budget": 30}],
                                                "waves": 3, "seed": 11})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=2")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    assert "Waves 1–2 were sent" in page.inner_text("#withdraw-out")
    page.click("#withdraw-cancel")  # nothing asked of the server yet
    assert "withdrawn" not in api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]
    page.click("#withdraw-sent")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert "waves 1–2 were sent" in page.inner_text("#withdrawn")
    assert page.locator("#next-wave").count() == 0 and page.locator("#withdraw-sent").count() == 0
    page.wait_for_selector("#report table")
    assert "the campaign was withdrawn after them" in page.inner_text("#report-note")
    assert api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]["withdrawn"][
        "sent_waves"] == 2
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    row = page.locator("tr", has_text=plan["plan_id"])
    assert "after 2 sent waves" in row.inner_text()
    watched.assert_clean()


def test_withdraw_a_campaign_never_sent(served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=4")["films"][3]["film_id"]
    plan = api(served_demo, "/campaigns/plan", {"films": [{"film_id": film, "budget": 20}],
                                                "seed": 12})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
    page.wait_for_selector("#report table")
    page.click("#withdraw-none")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert "no wave was sent" in page.inner_text("#withdrawn")
    assert page.locator("#report").count() == 0  # nothing to report
    assert api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]["withdrawn"][
        "sent_waves"] == 0
    watched.assert_clean()
