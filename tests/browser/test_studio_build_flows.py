"""The Build page as a marketer uses it: answers that come late, keyboard paging, long titles
on a phone, long lists of unknown ids."""

from __future__ import annotations

from typing import Any

import pytest
from studio_http import api


def _first_user(page: Any, box: str) -> str:
    return str(page.locator(f"{box} tbody tr td:nth-child(2)").first.inner_text())


@pytest.mark.parametrize(("path", "fill", "submit", "box", "first", "second"), [
    ("**/audiences/lookalike", "#seed-ids", "Find lookalikes", "#lookalike-users",
     "u00001", "u00500"),
    ("**/audiences/cold-start", "#cold-genres", "Rank the audience", "#cold-users",
     "Drama", "Comedy"),
])
def test_a_late_answer_does_not_cover_the_latest(watched: Any, served_demo: Any, path: str,
                                                 fill: str, submit: str, box: str,
                                                 first: str, second: str) -> None:
    """The first of two submits answered after the second: its audience covered the one
    asked last, under a form that says otherwise."""
    page = watched.page
    held: list[Any] = []

    def hold_first(route: Any) -> None:
        if not held:
            held.append(route)
        else:
            route.continue_()
    page.goto(f"{served_demo.base}/studio/#/build")
    page.route(path, hold_first)
    page.fill(fill, first)
    page.get_by_role("button", name=submit).click()
    page.wait_for_function("n => document.querySelectorAll('.loading').length >= n", arg=1)
    page.fill(fill, second)
    page.get_by_role("button", name=submit).click()
    page.wait_for_selector(f"{box} table")
    if fill == "#seed-ids":
        want = api(served_demo, "/audiences/lookalike", {"seed_user_ids": [second], "k": 100})
    else:
        want = api(served_demo, "/audiences/cold-start", {"genres": [second], "k": 100})
    assert _first_user(page, box) == want["users"][0]["user_id"]
    held[0].continue_()
    page.wait_for_timeout(1500)  # the held answer arrives, and is dropped
    assert _first_user(page, box) == want["users"][0]["user_id"]
    page.unroute(path)
    watched.assert_clean()
