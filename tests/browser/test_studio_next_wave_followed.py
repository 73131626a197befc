"""A next wave planned after a campaign's page was drawn (in another tab, by the CLI) was named
in the page's wording (the next wave's note, the withdrawal, the report's count) only once
the page was loaded again. The page reads the plan again with each report it reads, and
names a next wave it plans at once. A re-plan after more sent waves than that next wave was
planned after is still planned from the page, though the report of those waves is refused
(it names the next wave that re-plans them). Oracle: GET /campaigns/{id}'s next_waves, read
directly."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_a_next_wave_planned_meanwhile_is_named_without_a_reload(
        served_demo: Any, watched: Any) -> None:
    page = watched.page
    first = stored_plan(served_demo, 27, budget=30, waves=3, seed=43)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first}")
    page.wait_for_selector("#report table")
    assert "already" not in page.inner_text("#next-wave-note")
    assert page.locator("#withdraw-sent").count() == 1
    # planned elsewhere, after the page was drawn
    one = api(served_demo, f"/campaigns/{first}/next", {"sent_waves": 1})["plan_id"]
    assert [n["plan_id"] for n in
            api(served_demo, f"/campaigns/{first}")["summary"]["next_waves"]] == [one]
    # the report read again (its window changed): the page names it
    page.fill("#report-window", "20")
    page.press("#report-window", "Tab")
    page.wait_for_function("(id) => document.getElementById('next-wave-note').textContent"
                           ".includes(id)", arg=one, timeout=15000)
    assert "a next wave already" in page.inner_text("#next-wave-note")
    page.wait_for_selector("#withdraw-next")
    assert page.locator("#withdraw-next a").all_inner_texts() == [one]
    assert page.locator("#withdraw-sent").count() == 0  # the engine would refuse it now

    # planned here: the new plan's page, and Back to this one names both; the report of 2
    # waves is refused (wave 2 was re-planned by the next wave), and says why
    page.fill("#sent-waves", "2")
    page.press("#sent-waves", "Tab")
    page.wait_for_selector(f"#report :text('its next wave {one} was planned after 1 sent wave')")
    page.wait_for_selector("#next-wave:enabled")
    page.click("#next-wave")
    page.wait_for_function("(id) => !location.hash.includes(id)", arg=first, timeout=30000)
    two = page.evaluate("() => decodeURIComponent(location.hash.split('/')[2].split('?')[0])")
    listed = api(served_demo, f"/campaigns/{first}")["summary"]["next_waves"]
    assert sorted(n["plan_id"] for n in listed) == sorted([one, two])
    page.go_back()
    page.wait_for_selector("#report table")
    note = page.inner_text("#next-wave-note")
    assert "2 next waves" in note and one in note and two in note, note
    watched.console_errors[:] = [e for e in watched.console_errors if "422" not in e]
    watched.assert_clean()
