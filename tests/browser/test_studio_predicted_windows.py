"""The plan's expected conversions ("93.3 within 106 days") and the report's predicted ones
("36.4 within 30 days") stood on one page with nothing linking them, and "Control share" did
not say it is a share from 0 to 1. Each figure now says its span: the plan's the model's
calibration horizon, the report's its window, stretched from that horizon. Oracle: the plan's
summary and the report as the server answers them."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def test_each_figure_says_its_span(served_demo: Any, watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 55, budget=30, waves=1, seed=47)
    horizon = plan["summary"]["horizon"]["days"]
    report = api(served_demo, f"/campaigns/{plan['plan_id']}/report")
    assert report["predicted"]["horizon_days"] == horizon and report["window_days"] == 30
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
    page.wait_for_selector("#report table")
    shown = f"{horizon:.0f} days" if horizon >= 10 else None
    expected = page.inner_text("#plan-expected")
    assert "is the model's calibration horizon, not a campaign report's window" in expected
    if shown:
        assert f"within {shown}" in expected and f"; {shown} is the model's" in expected
    said = page.inner_text("#report-predicted-window").strip()
    assert said.startswith("They are over this report's window of 30 days; the plan's expected "
                           "conversions are over its calibration horizon of")
    if shown:  # the same words as the plan's figure
        assert f"calibration horizon of {shown} (as the plan says it)" in said
    page.goto(f"{served_demo.base}/studio/#/plan")
    assert page.inner_text("label[for=holdout]").startswith("Control share (0–1: 0.1 = 10%")
    assert watched.axe() == []
    watched.assert_clean()
