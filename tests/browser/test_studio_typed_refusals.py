"""What the user types wrong is said as a refusal, never as "Something went wrong" (README: kept
for an engine out of reach and a server error), with the field holding it marked aria-invalid
until it is changed; a number typed with an exponent ("1e1") is bookmarked as the address
reads numbers (it was written as typed and refused on reload); the film's audience table's
"all rings" choice lists every candidate, in a ring or not, and says so. Oracles: the server's
own answers, and the address as the page reads it again."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api, stored_plan

WRONG = "Something went wrong"


def _hash_param(page: Any, key: str) -> str | None:
    query = page.evaluate("() => location.hash").partition("?")[2]
    values = urllib.parse.parse_qs(query).get(key)
    return values[0] if values else None


def _notice(page: Any) -> str:
    box = page.locator("#page-notice")
    return box.inner_text() if box.count() else ""


def test_a_number_typed_with_an_exponent_is_bookmarked_as_read(served_demo: Any,
                                                               watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 33, budget=20, seed=42)["plan_id"]
    window = api(served_demo, f"/campaigns/{plan}/report?window_days=10")["window_days"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    page.fill("#report-window", "1e1")
    with page.expect_response(lambda r: "window_days=10" in r.url and "/report" in r.url):
        page.press("#report-window", "Tab")
    page.wait_for_function("() => location.hash.includes('window_days=')")
    assert _hash_param(page, "window_days") == "10"
    page.reload()
    page.wait_for_selector("#report table")
    assert "window_days" not in _notice(page)
    assert float(page.input_value("#report-window")) == window
    page.wait_for_function(
        "w => document.getElementById('report').textContent.includes(`within ${w} days`)",
        arg=f"{window:g}")
    # the film page's screens to share out
    film = urllib.parse.quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    page.goto(f"{served_demo.base}/studio/#/film/{film}")
    page.wait_for_selector("#dist-total")
    page.fill("#dist-screens", "1e2")
    with page.expect_response(lambda r: "screens=100" in r.url and "/distribution" in r.url):
        page.press("#dist-screens", "Tab")
    page.wait_for_function("() => location.hash.includes('screens=100')")
    assert _hash_param(page, "screens") == "100"
    page.reload()
    page.wait_for_selector("#dist-total")
    assert "screens" not in _notice(page)
    assert page.input_value("#dist-screens") == "100"
    watched.assert_clean()


def _refused(page: Any, box: str, says: str) -> str:
    page.wait_for_selector(f"{box} [role=alert]")
    text = page.inner_text(f"{box} [role=alert]")
    assert says in text and WRONG not in text, text
    assert page.locator(f"{box} .refused").count() == 1
    return text


def test_a_value_typed_wrong_is_refused_beside_its_field(served_demo: Any,
                                                         watched: Any) -> None:
    page = watched.page
    first = api(served_demo, "/films?limit=1")["films"][0]
    film = urllib.parse.quote(first["film_id"], safe="")
    page.goto(f"{served_demo.base}/studio/#/film/{film}")
    page.wait_for_selector("#dist-total")
    page.fill("#dist-screens", "-5")
    page.press("#dist-screens", "Tab")
    _refused(page, "#dist-out", "screens to share out must be a whole number")
    assert page.get_attribute("#dist-screens", "aria-invalid") == "true"
    page.fill("#dist-screens", "3")  # changed: no longer marked
    assert page.get_attribute("#dist-screens", "aria-invalid") is None
    page.press("#dist-screens", "Tab")
    page.wait_for_selector("#dist-total")
    # an empty lookalike list
    page.goto(f"{served_demo.base}/studio/#/build")
    page.get_by_role("button", name="Find lookalikes").click()
    _refused(page, "#lookalike-out", "paste or upload at least one user id")
    assert page.get_attribute("#seed-ids", "aria-invalid") == "true"
    # a new film of nothing
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("text=choose at least one comparable film")
    assert WRONG not in page.inner_text("#view")
    assert page.get_attribute("#cold-genres", "aria-invalid") == "true"
    # a slate whose most screens are below its fewest
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dslate-search", first["title"].lower())
    page.get_by_role("button", name=f"Add {first['title']}").first.click()
    fewest = page.get_by_label(f"fewest screens for {first['title']}")
    most = page.get_by_label(f"most screens for {first['title']}")
    fewest.fill("4")
    most.fill("2")
    page.fill("#dslate-cinemas-text", "c001,3\n")
    page.get_by_role("button", name="Share out the screens").click()
    _refused(page, "#dslate-result", "most screens (2) is below fewest screens (4)")
    assert fewest.get_attribute("aria-invalid") == most.get_attribute("aria-invalid") == "true"
    most.fill("5")
    assert [box.get_attribute("aria-invalid") for box in (fewest, most)] == [None, None]
    # a page that does not exist
    page.goto(f"{served_demo.base}/studio/#/nosuchpage")
    page.wait_for_selector("#view [role=alert]")
    assert WRONG not in page.inner_text("#view")
    assert "nosuchpage" in page.inner_text("#view [role=alert]")
    watched.assert_clean()


def test_a_report_window_of_zero_is_refused_beside_its_box(served_demo: Any,
                                                           watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 34, budget=20, seed=42)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    page.fill("#report-window", "0")
    page.press("#report-window", "Tab")
    _refused(page, "#report", "the report window must be a number of days")
    assert page.get_attribute("#report-window", "aria-invalid") == "true"
    watched.assert_clean()


def test_the_audience_tables_every_candidate_choice_says_it_reaches_beyond_the_rings(
        served_demo: Any, watched: Any) -> None:
    page = watched.page
    fid = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    film = urllib.parse.quote(fid, safe="")
    total = api(served_demo, f"/films/{film}/audience?k=1")["total"]
    last = api(served_demo, f"/films/{film}/audience?k=1&offset={total - 1}")["users"][0]
    assert last["tier"] is None  # the demo lists candidates outside the rings
    page.goto(f"{served_demo.base}/studio/#/film/{film}")
    page.wait_for_selector("#audience-out table")
    label = page.locator("#tier option[value='']").inner_text()
    assert label == "all candidates (in a ring or not)"
    watched.assert_clean()
