"""On a catalog without titles or genres (a log trained without films.csv) two of the Studio's
words did not fit it: the search's results headed their id column "Title" (beside a second
column of the same ids), and a new film's audience asked with nothing chosen said "choose at
least one comparable film or genre" where no genre can be given. Oracle: the films the API
lists, and the page's genre field, disabled."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_the_search_heads_an_untitled_catalog_s_column_film_id(watched: Any,
                                                                 served_bare: Any) -> None:
    want = api(served_bare, "/films?query=&limit=20")["films"]
    assert want and not any(f["title"] for f in want)  # a catalog without titles
    page = watched.page
    page.goto(f"{served_bare.base}/studio/#/search")
    page.wait_for_selector("#results table")
    heads = page.locator("#results th").all_inner_texts()
    assert heads[0] == "Film ID" and "Title" not in heads, heads
    # the ids once, in the column headed so (a second column repeated them)
    assert [h.lower() for h in heads].count("film id") == 1, heads
    assert page.locator("#results td:first-child a").all_inner_texts() == [
        f["film_id"] for f in want]
    watched.assert_clean()


def test_a_new_film_asked_for_nothing_is_told_what_the_page_allows(
        watched: Any, served_bare: Any) -> None:
    page = watched.page
    # (the Build page draws its answer under both forms, in #cold-out)
    for address, genres, form, answer in (
            ("#/build", "#cold-genres", "section:has(#cold-genres)", "#cold-out"),
            ("#/distribute", "#dnew-genres", "section:has(#dnew-genres)",
             "section:has(#dnew-genres)")):
        page.goto(f"{served_bare.base}/studio/{address}")
        page.wait_for_selector(f"{genres}-none")
        assert page.is_disabled(genres)
        # the page's own first answers in (Distribute's places say into the result's box)
        page.wait_for_load_state("networkidle")
        page.locator(f"{form} button[type=submit]").click()
        said = page.inner_text(f"{answer} [role=alert]")
        assert "comparable film" in said and "or genre" not in said, said
        assert "no genres" in said, said
    watched.assert_clean()


def test_a_catalog_with_genres_still_offers_either(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#cold-genres")
    page.locator("section:has(#cold-genres) button[type=submit]").click()
    said = page.inner_text("#cold-out [role=alert]")
    assert "comparable film or genre" in said, said
    watched.assert_clean()
