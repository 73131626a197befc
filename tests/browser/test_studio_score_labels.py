"""A user and a film read two numbers in the Studio: the film page's audience gives the taste
score, the user page's recommendations the taste score plus the film's popularity prior. Both
were headed "Score (model affinity...)" (the demo's u00300: 0.9777 and 2.8881 for one film).
Oracle: the API's answers for the same pair; each page's header names its own quantity."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api


def _pair(served: Any) -> tuple[str, str, float, float]:
    """A user ranked first in a film's audience who is recommended that film: (user, film,
    audience score, recommendation score), by the API."""
    for film in api(served, "/films?limit=20")["films"]:
        fid = quote(film["film_id"], safe="")
        top = api(served, f"/films/{fid}/audience?k=1")["users"][0]
        recs = api(served, f"/users/{quote(top['user_id'], safe='')}/recommendations?k=20")
        hit = [r for r in recs["films"] if r["film_id"] == film["film_id"]]
        if hit:
            return top["user_id"], film["film_id"], top["score"], hit[0]["score"]
    raise AssertionError("no user first in an audience is recommended its film")


def _column(page: Any, box: str, key: str) -> int:
    """The index of the header of ``box``'s table that starts with ``key``."""
    heads = page.locator(f"{box} thead th").all_inner_texts()
    found = [i for i, t in enumerate(heads) if t.startswith(key)]
    assert len(found) == 1, heads
    return found[0]


def test_the_two_pages_head_the_two_scores_apart(watched: Any, served_demo: Any) -> None:
    user, film, taste, rec = _pair(served_demo)
    assert abs(rec - taste) > 1e-3  # the demo model has a popularity prior
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{quote(film, safe='')}")
    page.wait_for_selector("#audience-status")
    box = "table:has(caption:text-is(\"The film's audience, best first\"))"
    i = _column(page, box, "Taste score")
    assert "no popularity prior" in page.locator(f"{box} thead th").nth(i).inner_text()
    first = page.locator(f"{box} tbody tr").first.locator("td")
    assert user in first.nth(1).inner_text()
    assert first.nth(i).inner_text() == f"{taste:.4f}"
    page.goto(f"{served_demo.base}/studio/#/user/{quote(user, safe='')}?k=20")
    page.wait_for_selector("#user-films table")
    j = _column(page, "#user-films", "Score + popularity prior")
    rows = page.locator("#user-films tbody tr")
    shown = [rows.nth(r).locator("td").nth(j).inner_text() for r in range(rows.count())]
    assert f"{rec:.4f}" in shown
    assert not page.locator("th:has-text('model affinity')").count()
    watched.assert_clean()
