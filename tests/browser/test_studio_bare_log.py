"""The Studio on a log without a catalog, user attributes or timestamps (FilmTrust's
``user,film,rating``): no column blank in every row, no empty control, and each absence said
with how to fill it."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api


def _headers(page: Any, caption: str) -> list[str]:
    return list(page.locator(f"table:has(caption:text('{caption}')) thead th").all_inner_texts())


def test_no_genre_or_year_column_blank_in_every_row(watched: Any, served_bare: Any) -> None:
    """The overview's segments had a "Top genres (lift)" column blank in all rows (under a
    note on genre lifts), the search's films a Year of "–" and empty Genres in every row, and
    a user's recommendations "–" for every film's genres. Oracle: the API's bodies, which
    name no genre and no year."""
    segments = api(served_bare, "/segments")["segments"]
    assert segments and not any(s["top_genres"] for s in segments)
    page = watched.page
    page.goto(f"{served_bare.base}/studio/#/")
    page.wait_for_selector("table:has(caption:text('segments')) tbody tr")
    heads = _headers(page, "segments")
    assert "Representative films" in heads and not any("genre" in h.lower() for h in heads), heads
    note = page.inner_text("#segments-note")
    assert "Lift: how much more" not in note and "no genres" in note, note

    films = api(served_bare, "/films?limit=20")["films"]
    assert not any(f["year"] or f["genres"] for f in films)
    page.goto(f"{served_bare.base}/studio/#/search")
    page.wait_for_selector("table:has(caption:text('Matching films')) tbody tr")
    # no title in the catalog: the first column holds the ids, headed so, and no copy beside
    assert not any(f["title"] for f in films)
    assert _headers(page, "Matching films") == ["Film ID", "Viewers"]

    user = (served_bare.data / "interactions.csv").read_text().splitlines()[1].split(",")[0]
    recs = api(served_bare, f"/users/{urllib.parse.quote(user, safe='')}/recommendations")
    assert recs["films"] and not any(f["genres"] for f in recs["films"])
    page.goto(f"{served_bare.base}/studio/#/user/{urllib.parse.quote(user, safe='')}")
    page.wait_for_selector("table:has(caption:text('Recommended films')) tbody tr")
    assert "Genres" not in _headers(page, "Recommended films")
    watched.assert_clean()


def test_no_attributes_say_how_to_add_them(watched: Any, served_bare: Any) -> None:
    """A film's portrait, on a model without user attributes, said "N cell(s) are hidden by
    the privacy rule" (the segments' cells) above "The data has no user attributes", the
    demand by place offered an empty "By" select beside "no place attribute", neither saying
    how to get them, and the audience an attribute menu of "no attribute filter" alone.
    Oracle: /health's model and /users/attributes, with no user or place attribute."""
    model = api(served_bare, "/health")["model"]
    assert model["user_attributes"] == [] and model["place_attributes"] == []
    film = api(served_bare, "/films?limit=1")["films"][0]["film_id"]
    page = watched.page
    page.goto(f"{served_bare.base}/studio/#/film/{urllib.parse.quote(film, safe='')}")
    page.wait_for_selector("#portrait-none")
    portrait = page.locator("section:has(#portrait-none)").inner_text()
    assert "hidden by the privacy rule" not in portrait, portrait
    assert "--users" in portrait
    page.wait_for_selector("#dist-none")
    assert "--users" in page.inner_text("#dist-none")
    assert page.locator("#dist-by").count() == 1 and not page.is_visible("#dist-by")
    assert not page.is_visible("label[for='dist-by']")
    # the audience's attribute menu offered "no attribute filter" alone: left out
    assert api(served_bare, "/users/attributes")["attributes"] == {}
    page.wait_for_selector("#audience-status")
    assert page.locator("#segment").count() == 1 and page.locator("#filter").count() == 0
    page.goto(f"{served_bare.base}/studio/#/distribute")
    page.wait_for_selector("#dist-none")
    assert "--users" in page.inner_text("#dist-none")
    assert not page.is_visible("#dnew-by")
    watched.assert_clean()


def test_a_film_without_a_title_is_headed_film_and_its_id(watched: Any,
                                                          served_bare: Any) -> None:
    """A film page of a log without titles was headed by the bare id ("1", the tab "1 ·
    Audience Studio"). Oracle: the film's detail, with no title."""
    film = api(served_bare, "/films?limit=1")["films"][0]["film_id"]
    assert api(served_bare, f"/films/{urllib.parse.quote(film, safe='')}")["title"] == ""
    page = watched.page
    page.goto(f"{served_bare.base}/studio/#/film/{urllib.parse.quote(film, safe='')}")
    page.wait_for_selector("#audience-status")
    assert page.inner_text("h1") == f"Film {film}"
    assert page.title() == f"Film {film} · Audience Studio"
    watched.assert_clean()
