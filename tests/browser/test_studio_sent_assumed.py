"""With no send recorded, "Waves already sent" held every wave (the server's default) as if
known, and Withdraw confirmed "All 3 waves were sent and keep their users". The page now says
beside the box that no send is recorded and the report assumes every wave went out, and the
confirmation says which waves it takes as sent and on what. Oracle: the report the server
answers for the plan (its sent_waves_source and recorded_waves)."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_no_send_recorded_is_said(served_demo: Any, watched: Any) -> None:
    page = watched.page
    plan_id = stored_plan(served_demo, 53, budget=30, waves=3, seed=45)["plan_id"]
    report = api(served_demo, f"/campaigns/{plan_id}/report")
    assert report["recorded_waves"] == [] and report["sent_waves"] == 3
    assert report["sent_waves_source"].startswith("default")
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report table")
    assert page.input_value("#sent-waves") == "3"
    assumed = page.inner_text("#sent-assumed")
    assert "No send recorded: the report assumes all 3 waves went out" in assumed
    page.click("#withdraw-sent")
    asked = page.inner_text("#withdraw-asked")
    assert asked.startswith("Taken as sent: waves 1–3, the report's assumption (no send "
                            "recorded, nothing says fewer went out), not a record")
    assert "were sent" not in asked
    page.click("#withdraw-cancel")
    # the marketer says 1 went out: no assumption left to say, the confirmation says so
    page.fill("#sent-waves", "1")
    page.press("#sent-waves", "Tab")
    page.wait_for_function("() => document.getElementById('sent-assumed').textContent === ''")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    assert page.inner_text("#withdraw-asked").startswith(
        "Taken as sent: wave 1, as “Waves already sent” says (no send recorded).")
    page.click("#withdraw-cancel")
    assert "withdrawn" not in api(served_demo, f"/campaigns/{plan_id}")["summary"]
    assert watched.axe() == []
    watched.assert_clean()
