"""The campaign page says which waves its report counts when sends are recorded, and that a
window is still open: with wave 1 of 2 recorded sent as the plan was made, the report counts wave 1
("the sends recorded go up to them", not "every wave of the plan, as nothing says fewer went
out") and warns that its window is still open. Oracle: the server's report."""

from __future__ import annotations

from typing import Any

from studio_http import api, legacy_send, stored_plan


def test_recorded_waves_and_an_open_window_are_said(served_demo: Any, watched: Any) -> None:
    page = watched.page
    pid = stored_plan(served_demo, 36, budget=40, seed=5, waves=2)["plan_id"]
    start = api(served_demo, f"/campaigns/{pid}/report")["start"]  # the plan's creation
    api(served_demo, f"/campaigns/{pid}/waves/1/sent", {"at": start})
    report = api(served_demo, f"/campaigns/{pid}/report")
    assert report["sent_waves"] == 1 and report["recorded_waves"] == [1]
    assert report["window_open"] is True
    page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    note = page.inner_text("#report-note")
    assert "Wave 1 of 2 counted (the sends recorded" in note, note
    assert "nothing says fewer" not in note and "If later waves" not in note, note
    warned = page.inner_text("#report-window-open")
    days = report["wave_starts"][0]["window_elapsed_days"]
    assert f"is still open ({days:.2f} days passed" in warned, warned
    assert "observed conversions will grow" in warned, warned
    # wave 2 alone recorded (a store of an older engine: refused since, wave 1 unrecorded):
    # waves 1-2 count (they go out in order), but wave 1's send was never recorded, so the
    # page does not say "their sends were recorded"
    other = stored_plan(served_demo, 37, budget=40, seed=6, waves=2)["plan_id"]
    begin = api(served_demo, f"/campaigns/{other}/report")["start"]
    legacy_send(served_demo, other, 2, begin)
    got = api(served_demo, f"/campaigns/{other}/report")
    assert got["sent_waves"] == 2 and got["recorded_waves"] == [2]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{other}")
    page.wait_for_function("document.querySelector('#report-note') && document.querySelector("
                           "'#report-note').innerText.includes('Waves 1–2 of 2 counted')")
    note = page.inner_text("#report-note")
    assert "Waves 1–2 of 2 counted (the sends recorded (“Record send”: wave 2, waves going " \
        "out in order) go up to them)" in note, note
    assert "their sends were recorded" not in note, note
    watched.assert_clean()
