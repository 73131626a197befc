"""Audience Studio with film and user ids a URL path or a trim would lose: a film whose id is
"." or ".." (the browser removes such a path segment, "%2E" too, before the request leaves),
and ids with a leading space (" 42" is not "42")."""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import Any

from studio_http import api, api_text


def test_films_dot_dotdot_and_spaced_open_their_own_page(watched: Any, served_odd_ids: Any,
                                                          odd_films: dict[str, str]) -> None:
    """Films "." and ".." showed "Film not found" (their requests went to /films/ and /),
    even encoded as %2E; the same routes take the id in the query (GET /film?film_id=.)."""
    page = watched.page
    for film_id, title in odd_films.items():
        page.goto(f"{served_odd_ids.base}/studio/#/film/{urllib.parse.quote(film_id, safe='')}")
        page.wait_for_selector("#audience-status")
        assert page.inner_text("h1") == title, film_id
        first = api(served_odd_ids, "/film/audience?" + urllib.parse.urlencode(
            {"film_id": film_id, "k": 25, "offset": 0}))
        assert first["film_id"] == film_id
        cells = page.locator("section[aria-labelledby='s-audience'] tbody tr td:nth-child(2)")
        assert cells.all_text_contents() == [u["user_id"] for u in first["users"]]
    # the CSV of the page shown, for film ".." (the download goes by the query form too)
    page.goto(f"{served_odd_ids.base}/studio/#/film/..")
    page.wait_for_selector("#audience-status")
    with page.expect_download() as dl:
        page.click("#csv-shown")
    with open(dl.value.path(), encoding="utf-8") as f:
        got = f.read()
    # (urllib sends a path as written: %2E%2E is film "..", as the server decodes it)
    assert got == api_text(served_odd_ids, "/films/%2E%2E/audience.csv?k=25&offset=0"
                                           "&with=title,segment_label")
    assert got.splitlines()[1].startswith("..,")
    watched.assert_clean()


def test_ids_pasted_or_typed_with_a_space_are_kept(watched: Any, served_odd_ids: Any,
                                                   odd_films: dict[str, str]) -> None:
    """The Studio trimmed what was pasted or typed: lookalikes of user " 42" were those of user
    "42", and the film " 42" typed in the search box found film "42". An id is as written
    when the model holds it, else without its spaces (as the CLI reads an id list)."""
    page = watched.page
    page.goto(f"{served_odd_ids.base}/studio/#/search")
    page.wait_for_selector("#results tbody tr")  # every film, before a title is typed
    page.fill("#q", " 42")
    page.wait_for_selector("#results th:text('Match')")  # the answer for what is typed
    rows = page.locator("#results tbody tr").all_inner_texts()
    assert rows[0].startswith(odd_films[" 42"]) and rows[1].startswith(odd_films["42"]), rows
    page.goto(f"{served_odd_ids.base}/studio/#/build")
    for pasted, seeds in ((" 42", [" 42"]), ("42", ["42"]),
                          ("u00005, u00006 ,nobody ", ["u00005", "u00006"])):
        page.fill("#seed-ids", pasted)
        page.fill("#lookalike-k", "10")
        page.get_by_role("button", name="Find lookalikes").click()
        table = "table:has(caption:text('Lookalike audience'))"
        page.wait_for_selector(table)
        expected = api(served_odd_ids, "/audiences/lookalike", {"seed_user_ids": seeds, "k": 10})
        cells = page.locator(f"{table} tbody tr td:nth-child(2)").all_text_contents()
        assert cells == [u["user_id"] for u in expected["users"]], pasted
        unknown = page.locator("#unknown-seeds")
        assert (unknown.inner_text() if unknown.count() else "") == (
            # quoted, as sent and answered: "nobody " with its space (the line split at commas)
            "1 unknown id(s) skipped: 'nobody '" if "nobody" in pasted else ""), pasted
        page.evaluate("() => document.querySelector('table:has(caption)')?.remove()")
    watched.assert_clean()
