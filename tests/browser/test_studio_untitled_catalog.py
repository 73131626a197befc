"""On a catalog without titles or genres (a log trained without films.csv) the Studio's search
field said "Title" with a title for example, and its genre fields were offered on every page
(the search, a new film's audience, Distribute's new film), where no genre can match. /health
now counts the films with a title and with genres; the fields follow it. Oracle: /health's
counts, and the films the API lists."""

from __future__ import annotations

from typing import Any

from studio_http import api


def test_a_catalog_without_titles_or_genres(watched: Any, served_bare: Any) -> None:
    model = api(served_bare, "/health")["model"]
    films = api(served_bare, f"/films?limit={model['films']}")["films"]
    # the training data is a log alone: no catalog, so no film has a title or a genre
    assert not (served_bare.data / "films.csv").exists() and len(films) == model["films"]
    assert not any(f["genres"] for f in films)
    assert (model["films_with_title"], model["films_with_genres"]) == (0, 0)
    page = watched.page
    page.goto(f"{served_bare.base}/studio/#/search?genre=Drama")
    page.wait_for_selector("#results table")
    assert page.inner_text("label[for=q]") == "Film ID"
    assert "film id" in (page.get_attribute("#q", "placeholder") or "")
    assert page.is_disabled("#genre") and page.input_value("#genre") == ""
    assert "no genres" in page.inner_text("#genre-none")
    assert page.get_attribute("#genre", "aria-describedby") == "genre-none"
    assert "genre=Drama" in page.inner_text("#page-notice")  # the bookmark's genre, not used
    # the field finds a film by its id
    wanted = films[len(films) // 2]["film_id"]
    page.fill("#q", wanted)
    # (in the first column, its link: the catalog has no titles, so no column of ids beside)
    page.wait_for_selector(f"#results td:first-child a:text-is('{wanted}')")

    page.goto(f"{served_bare.base}/studio/#/build")
    page.wait_for_selector("#cold-genres-none")
    assert page.is_disabled("#cold-genres")
    assert "film id" in (page.get_attribute("#comparable-search", "placeholder") or "")
    page.goto(f"{served_bare.base}/studio/#/distribute")
    page.wait_for_selector("#dnew-genres-none")
    assert page.is_disabled("#dnew-genres")
    for field in ("#dnew-search", "#dslate-search"):
        assert "film id" in (page.get_attribute(field, "placeholder") or "")
    page.goto(f"{served_bare.base}/studio/#/plan")
    page.wait_for_function(
        "() => document.getElementById('slate-search').placeholder.includes('film id')")
    assert watched.axe() == []
    watched.assert_clean()
