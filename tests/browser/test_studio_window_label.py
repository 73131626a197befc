"""The report window's label said "days after the plan a conversion counts" though, once a
wave's send is recorded, its conversions count from that send (the report's wave_starts). The
label now says which start the report used. Oracle: the report's wave_starts as the server
answers them."""

from __future__ import annotations

import time
from typing import Any

from studio_http import api, stored_plan


def test_the_window_label_follows_the_starts(served_demo: Any, watched: Any) -> None:
    page = watched.page
    plan_id = stored_plan(served_demo, 56, budget=30, waves=2, seed=48)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report table")
    assert [w["source"] for w in api(served_demo, f"/campaigns/{plan_id}/report")[
        "wave_starts"]] == ["plan start", "plan start"]
    assert page.inner_text("label[for=report-window]").startswith(
        "Report window (days after the plan's creation a conversion counts")
    time.sleep(1.1)  # a whole second after the plan's creation
    api(served_demo, f"/campaigns/{plan_id}/waves/1/sent", {"at": int(time.time())})
    assert "recorded" in [w["source"] for w in api(
        served_demo, f"/campaigns/{plan_id}/report")["wave_starts"]]
    page.reload()
    page.wait_for_selector("#report table")
    assert page.inner_text("label[for=report-window]").startswith(
        "Report window (days after each wave's recorded send a conversion counts")
    assert watched.axe() == []
    watched.assert_clean()
