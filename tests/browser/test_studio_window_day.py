"""The report window's box says what its days are (86,400 seconds, not calendar days: across a
change of the clocks a window ends at another local time of day), word for word as the CLI and
the schema say it: ``report_windows.DAY_RULE``, the one source (the JS holds a copy)."""

from __future__ import annotations

from typing import Any

from studio_http import stored_plan

from recommender.campaigns.report_windows import DAY_RULE


def test_the_window_box_says_a_day_is_86400_seconds(served_demo: Any, browser: Any) -> None:
    plan_id = stored_plan(served_demo, 74, budget=20, waves=2, seed=50)["plan_id"]
    context = browser.new_context(timezone_id="Europe/London")
    page = context.new_page()
    try:
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
        page.wait_for_selector("#report table")
        assert page.inner_text("#report-window-day") == f"({DAY_RULE})"
        assert page.get_attribute("#report-window", "aria-describedby") == "report-window-day"
    finally:
        context.close()
