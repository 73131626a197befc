"""A plan whose next wave hid its Withdraw buttons (the campaign goes on there) got them back
only on a reload once that next wave was withdrawn elsewhere (the CLI, another tab): the plan
read again with each report now brings them back. Oracle: the server's summary of the plan,
read directly, says it withdrawn after the page's confirmation."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_a_next_wave_withdrawn_elsewhere_brings_withdraw_back(served_demo: Any,
                                                             watched: Any) -> None:
    page = watched.page
    first = stored_plan(served_demo, 21, budget=20, waves=3, seed=41)
    later = api(served_demo, f"/campaigns/{first['plan_id']}/next", {"sent_waves": 1})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first['plan_id']}?sent_waves=1")
    page.wait_for_selector(f"#withdraw-next a:text-is('{later['plan_id']}')")
    assert page.locator("#withdraw-sent").count() == 0
    api(served_demo, f"/campaigns/{later['plan_id']}/withdraw", {"sent_waves": 0})
    page.fill("#sent-waves", "1")  # a report asked again: the plan is read with it
    page.dispatch_event("#sent-waves", "change")
    page.wait_for_selector("#withdraw-sent", timeout=10000)
    assert page.locator("#withdraw-next").count() == 0
    page.click("#withdraw-sent")
    assert "Taken as sent: wave 1," in page.inner_text("#withdraw-out")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert api(served_demo, f"/campaigns/{first['plan_id']}")["summary"]["withdrawn"][
        "sent_waves"] == 1
    watched.assert_clean()
