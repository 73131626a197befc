"""A plan with several next waves (each a re-plan of the same remaining budget) had its report
say the waves it counts were those "a next wave was planned after", as if the campaign went
on in one: the report counts the most waves any next wave says were sent, and names each.
Oracle: GET /campaigns/{id}'s next_waves and the report the server answers."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_the_report_names_every_next_wave(served_bare: Any, watched: Any) -> None:
    page = watched.page
    first = stored_plan(served_bare, 3, budget=30, waves=3, seed=7)["plan_id"]
    one = api(served_bare, f"/campaigns/{first}/next", {"sent_waves": 1})["plan_id"]
    page.goto(f"{served_bare.base}/studio/#/campaigns/{first}")
    page.wait_for_selector("#report-note")
    assert "Wave 1 of 3 counted (a next wave was planned after them)" in page.inner_text(
        "#report-note")
    two = api(served_bare, f"/campaigns/{first}/next", {"sent_waves": 2})["plan_id"]
    later = api(served_bare, f"/campaigns/{first}")["summary"]["next_waves"]
    report = api(served_bare, f"/campaigns/{first}/report")
    assert report["sent_waves"] == max(n["sent_waves"] for n in later) == 2
    page.reload()
    page.wait_for_selector("#report-note")
    note = page.inner_text("#report-note")
    assert "Waves 1–2 of 3 counted (2 next waves were planned after this plan" in note, note
    assert f"{one} after 1" in note and f"{two} after 2" in note, note
    assert "a next wave was planned after them" not in note
    watched.assert_clean()
