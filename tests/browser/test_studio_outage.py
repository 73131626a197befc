"""Audience Studio with the engine stopped mid-session, read keyboard-only and as a screen
reader hears it. Build's segment labels, asked once per page draw, were dropped for good when
that ask failed (the lookalike table's Segment column showed numbers as labels, its CSV an
empty segment_label, until a reload); the "still waiting" note was in no live region; a
failed Previous or Next dropped the focus to the body, and a plain-text 5xx offered no "Try
again"; the film picker added a film without a word; an engine out of reach was said with the
browser's "Failed to fetch"; the page's status region kept the last results beside a refusal.
Oracle: the API's own answers (GET /segments, POST /audiences/lookalike, GET /films)."""

from __future__ import annotations

import csv
import io
import urllib.parse
from pathlib import Path
from typing import Any

from studio_http import api


def _fail_plain(route: Any) -> None:
    """A proxy's answer: a 502 page, not the engine's JSON."""
    route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")


def _fail_json(route: Any) -> None:
    route.fulfill(status=500, content_type="application/json",
                  body='{"detail": "failed by the test"}')


def _labels(served: Any) -> dict[str, str]:
    return {str(s["segment"]): s["label"] for s in api(served, "/segments")["segments"]}


def _failed_during_draw(page: Any, served: Any, paths: tuple[str, ...]) -> list[str]:
    """Build drawn while ``paths`` fail (the engine stopped): the URLs that failed."""
    failed: list[str] = []

    def fail(route: Any) -> None:
        failed.append(route.request.url)
        route.abort()

    for p in paths:
        page.route(f"**{p}", fail)
    page.evaluate("location.hash = '#/build'")
    page.wait_for_selector("#seed-ids")
    for _ in range(100):
        if len(failed) >= len(paths):
            break
        page.wait_for_timeout(50)
    assert len(failed) >= len(paths), failed
    return failed


def test_labels_unread_in_an_outage_are_asked_again(watched: Any, served_demo: Any) -> None:
    page = watched.page
    labels = _labels(served_demo)
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("h1")
    _failed_during_draw(page, served_demo, ("/segments",))
    page.unroute("**/segments")  # the engine back
    want = api(served_demo, "/audiences/lookalike", {"seed_user_ids": ["u00001"], "k": 100})
    page.fill("#seed-ids", "u00001")
    page.click("text=Find lookalikes")
    page.wait_for_selector("#lookalike-users table")
    first = want["users"][0]
    row = page.locator("#lookalike-users tbody tr").first
    assert row.locator("td").nth(1).inner_text() == first["user_id"]
    assert row.locator("td").nth(4).inner_text() == labels[str(first["segment"])]
    assert page.locator("#lookalike-labels-unread").count() == 0
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download these").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
    assert [r["segment_label"] for r in rows] == [labels[str(u["segment"])] for u in want["users"]]

    # still out of reach when the table is drawn (a page loaded afresh, nothing read): said,
    # and the column headed as numbers
    page.route("**/segments", lambda r: r.abort())
    page.reload()
    page.fill("#seed-ids", "u00001")
    page.click("text=Find lookalikes")
    page.wait_for_selector("#lookalike-users table")
    assert "could not be read" in page.inner_text("#lookalike-labels-unread")
    header = page.locator("#lookalike-users th").nth(4).inner_text()
    assert header == "Segment (number: labels not read)"
    with page.expect_download():
        page.get_by_role("button", name="Download these").click()
    page.wait_for_function("() => document.querySelector('#lookalike-csv-status')"
                           "?.textContent.includes('empty segment_label')")


def test_a_new_films_summary_reads_its_reference_data_again(watched: Any, served_demo: Any
                                                            ) -> None:
    page = watched.page
    labels = _labels(served_demo)
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("h1")
    _failed_during_draw(page, served_demo, ("/segments", "/users/attributes"))
    page.unroute("**/segments")
    page.unroute("**/users/attributes")
    body = {"comparable_film_ids": [], "genres": ["Drama"], "k": 100}
    want = api(served_demo, "/audiences/cold-start", body)
    page.fill("#cold-genres", "Drama")
    page.click("text=Rank the audience")
    page.wait_for_selector("#cold-users table")
    page.wait_for_selector("#cold-summary")
    assert page.locator("#cold-labels-unread, #cold-attributes-unread").count() == 0
    cell = page.locator("#cold-users tbody tr").first.locator("td").nth(4).inner_text()
    assert cell == labels[str(want["users"][0]["segment"])]

    # both still failing at the answer (a page loaded afresh, nothing read): said, each
    page.route("**/segments", lambda r: r.abort())
    page.route("**/users/attributes", lambda r: r.abort())
    page.reload()
    page.fill("#cold-genres", "Drama")
    page.click("text=Rank the audience")
    page.wait_for_selector("#cold-users table")
    assert "GET /segments" in page.inner_text("#cold-labels-unread")
    assert "GET /users/attributes" in page.inner_text("#cold-attributes-unread")


def test_a_wait_is_said_once_and_its_part_is_busy(watched: Any, served_demo: Any) -> None:
    page = watched.page
    held: list[Any] = []
    page.route("**/films?*", lambda route: held.append(route))
    page.goto(f"{served_demo.base}/studio/#/search?q=the")
    page.wait_for_selector("#results .loading")
    assert page.get_attribute("#results", "aria-busy") == "true"
    page.evaluate("""() => {
      window.__waits = [];
      const box = document.getElementById('wait-status');
      new MutationObserver(() => window.__waits.push(box.textContent))
        .observe(box, { childList: true, characterData: true, subtree: true });
    }""")
    page.wait_for_selector("#still-waiting", timeout=15000)
    assert page.get_attribute("#wait-status", "role") == "status"
    assert page.get_attribute("#still-waiting", "aria-hidden") == "true"
    note = "document.querySelector('#still-waiting').textContent"
    page.wait_for_function(f"() => {note} !== (window.__first ??= {note})")
    # the visible note counted on; the region said it once
    assert page.evaluate("window.__waits") == [
        "Still waiting for the engine: it has not answered in 3 seconds."]
    page.unroute("**/films?*")
    for route in held:
        route.continue_()
    page.wait_for_selector("#results table")
    page.wait_for_selector("#still-waiting", state="detached")
    assert page.get_attribute("#results", "aria-busy") is None
    assert page.inner_text("#wait-status") == ""
    watched.assert_clean()


def _searched(page: Any, served: Any) -> str:
    """The search for "the" drawn and said; the sentence said (the first page of 20)."""
    want = api(served, "/films?query=the&limit=20")
    assert want["total"] > 40
    page.goto(f"{served.base}/studio/#/search?q=the")
    page.wait_for_selector("#results table")
    said = f"Search results: Films 1–20 of {want['total']:,}"
    page.wait_for_function(
        "(t) => document.getElementById('page-status').textContent === t", arg=said)
    return said


def _turn_failing(page: Any, fail: Any, label: str = "Next") -> None:
    """``label`` (Previous, Next) pressed from the keyboard while /films answers ``fail``."""
    page.route("**/films?*", fail)
    page.locator("#results").get_by_role("button", name=label).focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#results .error")
    page.unroute("**/films?*")


def test_a_failed_page_turn_leaves_the_focus_on_its_error(browser: Any, served_demo: Any
                                                          ) -> None:
    page = browser.new_page()
    try:
        _searched(page, served_demo)
        # a proxy's plain-text 502: its Try again offered, and focused; it asks again
        _turn_failing(page, _fail_plain)
        focused = page.evaluate(
            "[document.activeElement.tagName, document.activeElement.textContent]")
        assert focused == ["BUTTON", "Try again"]
        page.keyboard.press("Enter")
        page.wait_for_selector("#results table")
        assert "Films 21–40" in page.inner_text("#results")
        # the engine's own 500 (its words, no Try again): the error box has the focus
        _turn_failing(page, _fail_json, "Previous")
        assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"
        assert page.evaluate("document.activeElement.tabIndex") == -1
        assert "failed by the test" in page.evaluate("document.activeElement.textContent")
    finally:
        page.close()


def test_a_failure_says_what_to_check_and_offers_try_again(browser: Any, served_demo: Any
                                                          ) -> None:
    page = browser.new_page()
    try:
        _searched(page, served_demo)
        _turn_failing(page, _fail_plain)
        text = page.inner_text("#results .error")
        assert "the server answered 502" in text
        assert page.locator("#results .error").get_by_role("button", name="Try again").count() == 1
        # out of reach: what to check, not the browser's words
        page.route("**/films?*", lambda r: r.abort())
        page.fill("#q", "star")
        page.wait_for_selector("#results .error:has-text('could not be reached')")
        text = page.inner_text("#results .error")
        assert "recommender serve" in text and "network" in text
        assert "Failed to fetch" not in text
        page.unroute("**/films?*")
    finally:
        page.close()


def test_the_status_region_leaves_results_no_longer_shown(browser: Any, served_demo: Any
                                                          ) -> None:
    page = browser.new_page()
    try:
        said = _searched(page, served_demo)
        _turn_failing(page, _fail_json)
        page.wait_for_timeout(300)  # an announcement waits 100 ms
        assert page.inner_text("#page-status") != said
        # a refused genre: no longer the results it replaced
        said = _searched(page, served_demo)
        page.fill("#genre", "Dramma")
        page.press("#genre", "Tab")
        page.wait_for_selector("#genre-invalid:not([hidden])")
        page.wait_for_selector("#results :text('No search made')")
        page.wait_for_timeout(300)
        assert page.inner_text("#page-status") != said
    finally:
        page.close()


def test_a_film_picked_is_said(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/plan")
    # a whole title typed: Enter picks only such a film (test_studio_picker_whole_title)
    typed = api(served_demo, "/films?query=the&limit=5")["films"][0]["title"].lower()
    film = api(served_demo, f"/films?query={urllib.parse.quote(typed)}&limit=5")["films"][0]
    page.fill("#slate-search", typed)
    page.wait_for_selector("ul.found button")
    page.press("#slate-search", "Enter")
    page.wait_for_function(
        "(t) => document.getElementById('page-status').textContent === t",
        arg=f"Added {film['title']} ({film['film_id']}) to the slate.")
    # the new film's comparables, on Build
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#comparable-search", typed)
    page.wait_for_selector("ul.found button")
    page.press("#comparable-search", "Enter")
    page.wait_for_function(
        "(t) => document.getElementById('page-status').textContent === t",
        arg=f"Added {film['title']} ({film['film_id']}) to the comparable films.")
    watched.assert_clean()


def test_the_film_picker_is_a_combobox(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/plan")
    find = page.locator("#slate-search")
    find.wait_for()
    assert find.get_attribute("role") == "combobox"
    assert find.get_attribute("aria-autocomplete") == "list"
    assert find.get_attribute("aria-expanded") == "false"
    listed = find.get_attribute("aria-controls")
    assert listed and page.locator(f"ul.found#{listed}").count() == 1
    find.fill(api(served_demo, "/films?query=the&limit=1")["films"][0]["title"].lower())
    page.wait_for_selector(f"#{listed} button")
    assert find.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")  # into the list, and back out
    assert page.evaluate("document.activeElement.textContent").startswith("Add ")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "slate-search"
    find.press("Enter")  # a whole title: picked
    page.wait_for_function("() => document.querySelector('#slate-search').value === ''")
    assert find.get_attribute("aria-expanded") == "false"
    watched.assert_clean()
