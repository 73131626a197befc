"""The Build page as a marketer uses it: answers that come late, keyboard paging, long titles
on a phone, long lists of unknown ids."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from studio_http import api


def _give_seeds(page: Any, text: str) -> None:
    """Put ``text`` in the seed box as the form's "upload a file of ids" does (the same text
    read by the same parser when sent). Chromium's typing of a text of thousands of lines
    (``page.fill``: an insertText, a paragraph per line) took 7 s for 2,000 and 18 s for
    3,000, with nothing of the Studio's in it (a plain textarea takes as long)."""
    page.set_input_files("#seed-file", files=[{
        "name": "seeds.txt", "mimeType": "text/plain", "buffer": text.encode("utf-8")}])
    page.wait_for_function("(n) => document.querySelector('#seed-ids').value.length === n",
                           arg=len(text))
    assert page.input_value("#seed-ids") == text


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
    with page.expect_response(path):  # the held answer has come (a fixed wait alone could
        held[0].continue_()           # end before it, and the test prove nothing)
    page.wait_for_timeout(1000)  # the held answer is read, and dropped
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


def test_pagers_drawn_after_an_answer_keep_the_focus(watched: Any, served_demo: Any) -> None:
    """Find a film's pager and the film page's audience pager redraw after the server's
    answer (the buttons go while it loads): the focus came back to the body, not to the
    button pressed."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/search")
    page.fill("#genre", "Drama")
    page.press("#genre", "Enter")
    page.wait_for_function("() => location.hash.includes('genre=Drama')")
    page.wait_for_selector("#results table")
    page.locator("#results").get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Films 21–40")
    assert _focused(page) == "Next"
    page.keyboard.press("Shift+Tab")  # on to Previous, now enabled
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Films 1–20")
    assert _focused(page) == "Next"  # Previous is disabled on the first page
    # a redraw no press asked for (the genre changed: the search starts again at its first
    # page) kept the focus on the pager too; it fell to the body
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Films 21–40")
    page.dispatch_event("#genre", "change")
    page.wait_for_selector("text=Films 1–20")
    assert _focused(page) == "Next"
    film_id = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(film_id, safe='')}")
    page.wait_for_selector("#audience-status")
    audience = page.locator("section[aria-labelledby='s-audience']")
    audience.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Users 26–50")
    assert _focused(page) == "Next"
    watched.assert_clean()


def test_every_user_a_seed_says_nobody_is_left(watched: Any, served_demo: Any) -> None:
    """With every user a seed there is no candidate: the page drew an empty table ("users
    1–0 of 0") and offered a download of 0 users."""
    page = watched.page
    users = [line.split(",")[0] for line in
             (served_demo.data / "users.csv").read_text().splitlines()]
    page.goto(f"{served_demo.base}/studio/#/build")
    _give_seeds(page, "\n".join(users))  # the header line is read as one
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-users")
    assert "nobody is left to rank" in page.inner_text("#lookalike-users")
    assert page.locator("#lookalike-users table").count() == 0
    assert page.get_by_role("button", name="Download these 0 users (CSV)").count() == 0
    watched.assert_clean()


@pytest.mark.parametrize("comma", ["\uff0c", "\u3001"])
def test_genres_typed_with_an_east_asian_comma_are_split(watched: Any, served_demo: Any,
                                                        comma: str) -> None:
    """ "Drama，Comedy" (a full-width or ideographic comma, as an East Asian keyboard types)
    was sent as one genre and refused by name; both new-film forms split it."""
    page = watched.page
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data))
            if r.url.endswith(("/audiences/cold-start", "/distribution/cold-start")) else None)
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#cold-genres", f"Drama{comma} Comedy")
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-users table")
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dnew-genres", f"Drama{comma}Comedy")
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_selector("#dist-total")
    assert [body["genres"] for body in sent] == [["Drama", "Comedy"]] * 2
    watched.assert_clean()


LONG_WORD = "Supercalifragilisticexpialidocious" * 4


def _long_titles(route: Any) -> None:
    """The film search answered with every title one long word (a catalog's placeholder, a
    joined-up foreign title)."""
    response = route.fetch()
    body = response.json()
    for f in body.get("films", []):
        f["title"] = LONG_WORD
    route.fulfill(response=response, json=body)


@pytest.mark.parametrize(("hash_", "box"), [("#/build", "#comparable-search"),
                                            ("#/distribute", "#dnew-search")])
def test_a_comparable_film_of_one_long_word_fits_a_phone(browser: Any, served_demo: Any,
                                                         hash_: str, box: str) -> None:
    """At 360 px its "Add" button and then its chip ran past the screen's edge: the whole
    page scrolled sideways (by about 700 px)."""
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.route("**/films?*", _long_titles)
        page.goto(f"{served_demo.base}/studio/{hash_}")
        page.fill(box, "the")
        page.wait_for_selector(f"ul.found button:text('Add {LONG_WORD[:20]}')")
        overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert page.evaluate(overflow) <= 0, "the Add button scrolls the page sideways"
        page.locator("ul.found button").first.click()
        page.wait_for_selector("ul.chips li")
        assert page.evaluate(overflow) <= 0, "the chip scrolls the page sideways"
        chip = page.locator("ul.chips li").first.bounding_box()
        assert chip is not None and chip["x"] + chip["width"] <= 360
    finally:
        context.close()


def test_a_long_list_of_unknown_seeds_is_summed_up(watched: Any, served_demo: Any) -> None:
    """Every unknown id was written out in one paragraph above the audience (50,000 of them:
    590,000 characters, the table pages of scrolling below, and the whole of it read out by
    a screen reader, the answer being a live region). Ten are shown, the rest on demand."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    ghosts = [f"ghost{i}" for i in range(2000)]
    _give_seeds(page, "\n".join(["u00001", *ghosts]))
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-users table")
    assert page.inner_text("#unknown-seeds") == (
        f"2,000 unknown id(s) skipped: {', '.join(repr(g) for g in ghosts[:10])} and 1,990 more")
    shown = page.inner_text("#lookalike-out")
    assert "ghost1999" not in shown and len(shown) < 5000
    page.get_by_text("Show all 2,000 unknown id(s)").click()
    assert page.inner_text("#unknown-seeds-all").endswith("'ghost1998', 'ghost1999'")
    # the same list as the server's
    want = api(served_demo, "/audiences/lookalike", {"seed_user_ids": ["u00001", *ghosts]})
    assert want["unknown_seed_ids"] == ghosts
    watched.assert_clean()


def test_a_press_whose_page_never_came_does_not_take_the_focus_later(watched: Any,
                                                                     served_demo: Any) -> None:
    """Next pressed, and its page failed (or was overtaken by a new search): the press was
    remembered, and the next answer painted, for a title typed afterwards, moved the focus
    from the title box to the pager, so the rest of what was typed went nowhere."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/search")
    page.fill("#genre", "Drama")
    page.press("#genre", "Enter")
    page.wait_for_selector("#results table")
    page.route("**/films?*", lambda r: r.fulfill(status=503, json={"detail": "busy"}))
    page.locator("#results").get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#results .error")
    page.unroute("**/films?*")
    page.click("#q")
    page.keyboard.type("the")
    page.wait_for_selector("#results table")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.activeElement.id") == "q"
    page.keyboard.type(" end")
    assert page.input_value("#q") == "the end"
