"""Audience Studio's film pickers ("Add a film" on Plan a slate, "Comparable films" and "Films
opening together" on Distribute): Enter picks a film only when the title typed is its whole
title (or its id), as Find a film opens one; otherwise nothing is added, and the list and the
status region say no film is called that, naming the closest. "heist of tokyo" (no such film)
added "The Outpost of Tokyo", the first film found, and said "Added ..."."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from studio_http import api

TYPED = "heist of tokyo"
# what the server counts as the title typed being the film's whole title (search.js's wholeTitle)
WHOLE = {"title", "film_id"}


def _closest(served: Any) -> str:
    """The label the picker gives the first film found for ``TYPED``; none of the films
    found has the title typed as its whole title (the oracle: GET /films's match kinds)."""
    films = api(served, f"/films?query={urllib.parse.quote(TYPED)}&limit=5")["films"]
    assert films and not [f for f in films if f["match"]["kind"] in WHOLE], films
    first = films[0]
    return f"{first['title']} ({first['year']})" if first.get("year") else first["title"]


def _status(page: Any, text: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('page-status').textContent === t", arg=text)


@pytest.mark.parametrize(("route", "box", "picked"), [
    ("plan", "#slate-search", "form:has(#slate-search) tbody tr"),
    ("distribute", "#dnew-search", "ul.chips li"),
    ("distribute", "#dslate-search", "#dslate-search ~ .table-wrap tbody tr, "
                                     "form:has(#dslate-search) tbody tr"),
])
def test_enter_adds_no_film_whose_whole_title_was_not_typed(watched: Any, served_demo: Any,
                                                            route: str, box: str,
                                                            picked: str) -> None:
    page = watched.page
    closest = _closest(served_demo)
    said = f"No film is called “{TYPED}”: the closest is {closest}; choose one."
    page.goto(f"{served_demo.base}/studio/#/{route}")
    page.wait_for_selector(box)
    rows = page.locator(picked)
    # Enter once the list is drawn
    page.fill(box, TYPED)
    page.locator(f"{box}-suggestions button").first.wait_for()
    page.press(box, "Enter")
    _status(page, said)
    page.locator(f"{box}-suggestions li.note", has_text=said).wait_for()
    assert rows.count() == 0
    assert page.input_value(box) == TYPED  # kept, to be corrected or chosen from
    # Enter before the answer came: none either
    page.fill(box, "")
    page.fill(box, TYPED)
    page.press(box, "Enter")
    _status(page, said)
    page.wait_for_timeout(300)
    assert rows.count() == 0
    # a button still picks the closest
    page.get_by_role("button", name=f"Add {closest}").first.click()
    rows.first.wait_for()
    assert rows.count() == 1 and page.input_value(box) == ""
    watched.assert_clean()


def test_enter_adds_the_film_whose_whole_title_was_typed(watched: Any,
                                                         served_demo: Any) -> None:
    page = watched.page
    film = api(served_demo, f"/films?query={urllib.parse.quote(TYPED)}&limit=1")["films"][0]
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.press("#slate-search", "Enter")  # before the answer: picked on it
    _status(page, f"Added {film['title']} ({film['film_id']}) to the slate.")
    assert page.locator("form:has(#slate-search) tbody tr").count() == 1
    watched.assert_clean()
