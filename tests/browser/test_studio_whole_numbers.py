"""A bookmark's numbers were read with JavaScript's Number(): offset=0x10, 1e1, " 16" and
"+16" on the campaign list (and the search, a film's audience, a user's k) were read as 16 or
10 and used without a word. Every page reads the address's whole numbers with one helper
(decimal digits alone) and says the others in the page notice. Oracle: the requests the page
sends, and the API's own answer for the page it should show."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from studio_http import api

#: (as the address writes it, as the page reads it)
ODD = [("0x10", "0x10"), ("1e1", "1e1"), ("%2016", " 16"), ("%2B16", "+16")]


def _notice(page: Any) -> str:
    page.wait_for_selector("#page-notice:not(:empty)")
    return str(page.inner_text("#page-notice"))


def _sent(asked: list[str], path: str, key: str) -> list[str]:
    """The values of ``key`` in the requests to ``path`` (none: absent)."""
    return [m.group(1) if (m := re.search(rf"[?&]{key}=([^&]*)", u)) else ""
            for u in asked if path in u]


def test_odd_numbers_in_a_bookmark_are_said_not_used(watched: Any, served_bare: Any) -> None:
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    for written, read in ODD:
        asked.clear()
        page.goto(f"{served_bare.base}/studio/#/campaigns?offset={written}")
        page.wait_for_selector("h1:text-is('Campaigns')")
        said = _notice(page)
        assert f"offset={read}" in said and "whole number" in said, said
        assert _sent(asked, "/campaigns?", "offset") in (["0"], [""]), asked
        asked.clear()
        page.goto(f"{served_bare.base}/studio/#/search?offset={written}")
        page.wait_for_selector("#results table")
        assert f"offset={read}" in _notice(page)
        assert set(_sent(asked, "/films?", "offset")) <= {"0", ""}, asked
        assert "Films 1–" in page.inner_text("#results")
    film = api(served_bare, "/films?limit=1")["films"][0]["film_id"]
    asked.clear()
    page.goto(f"{served_bare.base}/studio/#/film/{quote(film, safe='')}?offset=0x10")
    page.wait_for_selector("#audience-status")
    assert "offset=0x10" in _notice(page)
    assert set(_sent(asked, "/audience?", "offset")) <= {"0", ""}, asked
    user = api(served_bare, f"/films/{quote(film, safe='')}/audience?k=1")["users"][0]["user_id"]
    page.goto(f"{served_bare.base}/studio/#/user/{quote(user, safe='')}")
    page.wait_for_selector("#user-films table")
    default = page.input_value("#user-k")
    assert default != "5"
    page.goto(f"{served_bare.base}/studio/#/user/{quote(user, safe='')}?k=0x5")
    page.wait_for_selector("#user-films table")
    assert "k=0x5" in _notice(page)
    assert page.input_value("#user-k") == default  # the default, not 0x5 read as 5
    # a plain number is used, and nothing said
    page.goto(f"{served_bare.base}/studio/#/campaigns?offset=0")
    page.wait_for_selector("h1:text-is('Campaigns')")
    page.goto(f"{served_bare.base}/studio/#/search?offset=20")
    page.wait_for_selector("#results p")
    assert page.inner_text("#page-notice") == ""
    assert "offset=20" in page.evaluate("location.hash")
    watched.assert_clean()
