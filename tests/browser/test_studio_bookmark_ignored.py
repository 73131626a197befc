"""A bookmark (the page's address) holding values a page cannot use (k=abc, an unknown ring, a
negative offset) had them dropped without a word: the page says which were not used and why,
in a status notice above it, and applies the rest. Oracle: the server's own segments, films
and users, read directly."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api, stored_plan


def _notice(page: Any) -> str:
    page.wait_for_selector("#page-notice:not(:empty)")
    assert page.get_attribute("#page-notice", "role") == "status"
    return str(page.inner_text("#page-notice"))


def test_a_film_bookmark_says_what_it_could_not_use(served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    segment = str(api(served_demo, "/segments")["segments"][0]["segment"])
    page.goto(f"{served_demo.base}/studio/#/film/{quote(film, safe='')}"
              f"?tier=gold&offset=-5&segment={segment}")
    page.wait_for_selector("#audience-status")
    said = _notice(page)
    assert "tier=gold" in said and "no such ring" in said
    assert "offset=-5" in said and "segment=" not in said
    assert page.input_value("#segment") == segment  # the rest of the bookmark applied
    assert page.input_value("#tier") == ""
    assert f"segment={segment}" in page.evaluate("location.hash")
    assert watched.axe() == []
    page.click("nav a[data-nav=search]")  # another page: the notice is about the old one
    page.wait_for_selector("#results")
    assert page.inner_text("#page-notice") == ""
    watched.assert_clean()


def test_a_user_bookmark_with_a_bad_k(served_demo: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    user = api(served_demo, f"/films/{quote(film, safe='')}/audience?k=1")["users"][0]["user_id"]
    for k in ("abc", "-3"):
        page.goto(f"{served_demo.base}/studio/#/user/{quote(user, safe='')}?k={k}")
        page.wait_for_selector("#user-films table")
        said = _notice(page)
        assert f"k={k}" in said and "whole number from 1" in said
        shown = page.locator("#user-films tbody tr").count()
        assert page.input_value("#user-k") == str(shown)  # drawn with the default instead
    page.goto(f"{served_demo.base}/studio/#/user/{quote(user, safe='')}?k=3")
    page.wait_for_selector("#user-films table")
    assert page.locator("#user-films tbody tr").count() == 3
    assert page.inner_text("#page-notice") == ""  # nothing to say of a good bookmark
    watched.assert_clean()


def test_search_and_campaign_list_offsets(served_demo: Any, watched: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/search?genre=Drama&offset=abc")
    page.wait_for_selector("#results table")
    said = _notice(page)
    assert "offset=abc" in said
    assert page.input_value("#genre") == "Drama"
    page.goto(f"{served_demo.base}/studio/#/campaigns?offset=-1")
    page.wait_for_selector("h1:text-is('Campaigns')")
    assert "offset=-1" in _notice(page)
    watched.assert_clean()


def test_a_film_bookmark_spelt_as_the_api_takes_it_is_applied(served_demo: Any,
                                                               watched: Any) -> None:
    """tier=CORE, a segment by its label and a filter in another case are the API's own
    spellings: they were dropped and said to be "no such" ring, segment and value."""
    page = watched.page
    film = quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    seg = api(served_demo, "/segments")["segments"][-1]
    attrs = api(served_demo, "/users/attributes")["attributes"]
    attr, value = next((a, v) for a in sorted(attrs) for v in attrs[a] if v != v.swapcase())
    cut = {"tier": "CORE", "segment": seg["label"].swapcase(),
           "filter": f"{attr.upper()}={value.swapcase()}"}
    asked = "&".join(f"{k}={quote(v, safe='')}" for k, v in cut.items())
    # oracle: the server takes the bookmark as written, with its own total
    total = api(served_demo, f"/films/{film}/audience?k=1&{asked}")["total"]
    page.goto(f"{served_demo.base}/studio/#/film/{film}?{asked}")
    page.wait_for_selector("#audience-status")
    assert page.input_value("#tier") == "core"
    assert page.input_value("#segment") == str(seg["segment"])
    assert page.input_value("#filter") == f"{attr}={value}"
    status = page.inner_text("#audience-status")
    assert status.endswith(f"of {total:,}") if total else status.startswith("No user")
    assert f"segment={seg['segment']}" in page.evaluate("location.hash")  # as the menu spells it
    assert page.inner_text("#page-notice") == ""
    # the users without a region: every demo user has one (GET /users/attributes' oracle),
    # so the menu does not offer them: said so, not "no such attribute value"
    assert api(served_demo, "/users/attributes")["without_value"]["region"] == 0
    page.goto(f"{served_demo.base}/studio/#/film/{film}?filter=region%3D(no%20value)")
    said = _notice(page)
    assert "filter=region=(no value)" in said and "no such" not in said
    assert "every user of this model has a region" in said
    assert page.input_value("#filter") == ""
    watched.assert_clean()


def test_a_plan_left_while_loading_says_nothing_on_the_next_page(served_demo: Any,
                                                                 watched: Any) -> None:
    """A plan's bookmark with sent_waves=99, left before the plan was read: its notice was
    put above the page the user moved on to (route() had cleared it already)."""
    page = watched.page
    plan = stored_plan(served_demo, 22, budget=20, seed=43)["plan_id"]
    held: list[Any] = []
    page.route(f"**/campaigns/{plan}", lambda route: held.append(route))  # its answer waits
    with page.expect_request(f"**/campaigns/{plan}"):
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?sent_waves=99")
    page.click("nav a[data-nav=search]")
    page.wait_for_selector("#results")
    with page.expect_response(f"**/campaigns/{plan}"):
        held[0].continue_()
    page.evaluate("() => new Promise((r) => setTimeout(r, 200))")  # the late answer is read
    assert page.inner_text("#page-notice") == ""
    # the same bookmark, not left: said
    page.unroute(f"**/campaigns/{plan}")
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}?sent_waves=99")
    assert "sent_waves=99" in _notice(page)
    watched.assert_clean()


def test_a_place_attribute_in_another_case_is_applied(served_demo: Any, watched: Any) -> None:
    """by=CITY is the API's own spelling (check_place reads any case): it was dropped for the
    first place attribute and said to be "no such place attribute"."""
    page = watched.page
    film = quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    places = api(served_demo, "/health")["model"]["place_attributes"]
    last = places[-1]  # not the one drawn by default
    assert api(served_demo, f"/films/{film}/distribution?by={last.upper()}&screens=3")
    page.goto(f"{served_demo.base}/studio/#/film/{film}?by={last.upper()}")
    page.wait_for_selector("#audience-status")
    page.wait_for_function("p => document.getElementById('dist-by').value === p", arg=last)
    assert page.inner_text("#page-notice") == ""
    watched.assert_clean()
