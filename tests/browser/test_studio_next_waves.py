"""A campaign with two next waves (each a re-plan of the same remaining budget) was said to go
on in one of them: the one the report's default names. Once that one was withdrawn, the page
offered Withdraw, and the engine refused it (the other goes on). Every next wave is named,
from GET /campaigns/{id}'s next_waves. Oracle: the plans the server answered, read
directly."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_every_next_wave_is_named(served_demo: Any, watched: Any) -> None:
    page = watched.page
    first = stored_plan(served_demo, 21, budget=30, waves=3, seed=41)["plan_id"]
    one = api(served_demo, f"/campaigns/{first}/next", {"sent_waves": 1})["plan_id"]
    two = api(served_demo, f"/campaigns/{first}/next", {"sent_waves": 2})["plan_id"]
    listed = api(served_demo, f"/campaigns/{first}")["summary"]["next_waves"]
    assert [(n["plan_id"], n["sent_waves"], n["withdrawn"]) for n in listed] == [
        (two, 2, None), (one, 1, None)]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first}")
    page.wait_for_selector("#report table")
    page.wait_for_selector("#withdraw-next")
    links = page.locator("#withdraw-next a").all_inner_texts()
    assert sorted(links) == sorted([one, two])
    assert "2 next waves" in page.inner_text("#withdraw-next")
    assert one in page.inner_text("#next-wave-note") and two in page.inner_text("#next-wave-note")
    # the one the report names is withdrawn: the campaign still goes on in the other
    api(served_demo, f"/campaigns/{two}/withdraw", {"sent_waves": 0})
    page.reload()
    page.wait_for_selector("#report table")
    page.wait_for_selector("#withdraw-next")
    assert page.locator("#withdraw-next a").all_inner_texts() == [one]
    assert page.locator("#withdraw-sent").count() == 0
    assert watched.axe() == []
    watched.assert_clean()
