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


def _focused(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement.textContent"))


def test_paging_from_the_keyboard_keeps_the_focus_on_the_pager(watched: Any,
                                                               served_demo: Any) -> None:
    """Next and Previous draw the page anew, their own buttons too: the focus fell to the
    body, and the next Tab went back to the top of the page (the skip link)."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#cold-genres", "Drama")
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-users table")
    page.locator("#cold-users").get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    assert "users 26–50 of 100" in page.inner_text("#cold-users caption")
    assert _focused(page) == "Next"
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    assert "users 76–100 of 100" in page.inner_text("#cold-users caption")
    assert _focused(page) == "Previous"  # Next is disabled on the last page
    page.keyboard.press("Enter")
    assert "users 51–75 of 100" in page.inner_text("#cold-users caption")
    page.keyboard.press("Tab")  # on to the next control of the section, not the page's top
    assert _focused(page) == "Next"
    watched.assert_clean()
