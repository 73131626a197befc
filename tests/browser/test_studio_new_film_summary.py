"""The Build page's new film shows its summary under its audience, as a film's page shows its
own: the funnel of rings with expected conversion (said to be borrowed from known films'
calibrations, with no interval and why), the segments and the portrait. Oracle: the API's
``POST /audiences/cold-start/summary`` body for the same film."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_a_new_films_audience_comes_with_its_summary(watched: Any, served_demo: Any) -> None:
    want = api(served_demo, "/audiences/cold-start/summary", {"genres": ["Drama"]}, timeout=60)
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#cold-genres", "Drama")
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-summary .funnel li")
    rings = page.locator("#cold-summary .funnel li")
    assert rings.count() == len(want["tiers"])
    for i, tier in enumerate(want["tiers"]):
        assert rings.nth(i).get_attribute("data-tier") == tier["tier"]
        text = rings.nth(i).inner_text()
        assert f"{tier['size']:,} users" in text
        assert f"expected conversion {100 * tier['expected_conversion']:.2f}%" in text
        assert "95% interval" not in text  # a borrowed calibration gives none
    borrowed = page.inner_text("#cold-summary #conversion-borrowed")
    assert borrowed.startswith("Borrowed calibration")
    assert "known films it is calibrated from" in borrowed
    assert page.inner_text("#cold-summary #conversion-interval").startswith("No interval")
    assert page.locator("#cold-summary h2", has_text="Segments in the audience").count() == 1
    assert page.locator("#cold-summary h2", has_text="Portrait of the core + extended").count() == 1
    watched.assert_clean()


def test_a_failed_summary_leaves_the_audience(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.route("**/audiences/cold-start/summary", lambda route: route.fulfill(
        status=500, content_type="application/json", body='{"detail": "stood in"}'))
    page.fill("#cold-genres", "Drama")
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-users table")
    page.wait_for_selector("#cold-summary .error")
    assert "stood in" in page.inner_text("#cold-summary .error")
    # the refused request is logged by the browser as a failed resource
    watched.console_errors[:] = [e for e in watched.console_errors if "500" not in e]
    watched.assert_clean()
