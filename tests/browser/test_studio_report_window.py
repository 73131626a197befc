"""A report window typed 0.333333333 was repeated with all its digits: the report says it
rounded, with its unit, and under a day its length in hours, minutes or seconds too (a window
of a second is not rounded to "0 days"). Oracle: the window the server's report used."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_a_report_window_is_said_rounded_with_its_unit(served_demo: Any, watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 22, budget=20, seed=42)["plan_id"]
    typed = "0.333333333"
    window = api(served_demo, f"/campaigns/{plan}/report?window_days={typed}")["window_days"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?window_days={typed}")
    page.wait_for_selector("#report table")
    report = page.inner_text("#report")
    assert typed not in report and str(window) not in report
    hours = round(window * 24)
    assert f"within {round(window, 3):g} days ({hours} hours) of the plan" in report
    page.fill("#report-window", "0.0000116")  # about a second
    page.press("#report-window", "Tab")
    page.wait_for_selector("#report table")
    page.wait_for_function(
        "() => document.getElementById('report').textContent.includes('(1 second)')")
    assert "within 0 days" not in page.inner_text("#report")
    # from 10 days on too, the window the report counted: 12.5 days read "within 12 days"
    window = api(served_demo, f"/campaigns/{plan}/report?window_days=12.5")["window_days"]
    page.fill("#report-window", "12.5")
    page.press("#report-window", "Tab")
    page.wait_for_function(
        "w => document.getElementById('report').textContent.includes(`within ${w} days of`)",
        arg=f"{window:g}")
    assert "within 12 days" not in page.inner_text("#report")
    watched.assert_clean()
