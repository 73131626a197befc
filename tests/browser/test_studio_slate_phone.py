"""At 390x844 the slate tables (Plan a slate; Distribute's films opening together) were
579-601px wide in a 332px box: the budget and value boxes cut, each Remove (×) off screen
with nothing to say the table scrolls. Each row now fits a phone: its boxes and its Remove
button lie inside the viewport, and the box does not scroll sideways. Oracle: the boxes'
bounding boxes against the viewport's width."""

from __future__ import annotations

from typing import Any

import pytest
from studio_http import api

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(("hash_", "search"), [("#/plan", "#slate-search"),
                                                ("#/distribute", "#dslate-search")])
def test_a_slates_rows_fit_a_phone(watched: Any, served_demo: Any, hash_: str,
                                   search: str) -> None:
    page = watched.page
    page.set_viewport_size(PHONE)
    page.goto(f"{served_demo.base}/studio/{hash_}")
    films = [f for f in api(served_demo, "/films?limit=20")["films"] if f["title"]][:2]
    for film in films:
        page.fill(search, film["title"].lower())
        page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
        page.press(search, "Enter")
    table = page.locator(search).locator("xpath=ancestor::form").get_by_role(
        "table", name="Films in the slate")
    rows = table.locator("tbody tr")
    assert rows.count() == len(films)
    width = page.evaluate("document.documentElement.clientWidth")
    assert width <= PHONE["width"]
    for film in films:
        remove = table.get_by_role("button", name=f"remove {film['title']}", exact=True)
        box = remove.bounding_box()
        assert box and 0 <= box["x"] and box["x"] + box["width"] <= width, (film, box)
        row = rows.filter(has=remove)
        for field in row.locator("input").all():
            at = field.bounding_box()
            assert at and 0 <= at["x"] and at["x"] + at["width"] <= width, (film, at)
    wrap = table.locator("xpath=ancestor::div[contains(@class, 'table-wrap')]")
    assert wrap.evaluate("(w) => w.scrollWidth <= w.clientWidth + 1")  # nothing to scroll to
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    watched.assert_clean()
