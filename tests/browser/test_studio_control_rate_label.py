"""The Studio's report names its control rate as weighted by targets per film and wave, in the
column header where the number is (it read "Control rate [95%]", the weighting said only in
the method's note)."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_the_control_rate_column_says_it_is_weighted(served_demo: Any, watched: Any) -> None:
    page = watched.page
    pid = stored_plan(served_demo, 35, budget=40, seed=7, waves=2)["plan_id"]
    report = api(served_demo, f"/campaigns/{pid}/report")
    assert "weighted" in report["units"]["control_rate"]  # the server's word on the figure
    page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    heads = page.locator("#report table").first.locator("th").all_inner_texts()
    assert "Control rate, weighted by targets per film and wave [95%]" in heads, heads
    watched.assert_clean()
