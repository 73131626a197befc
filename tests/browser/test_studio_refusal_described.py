"""A refusal is tied to the field it is about: the field marked ``aria-invalid`` had no
``aria-describedby`` naming the message (a screen reader on the field heard "invalid" and not
why), on the Studio's own refusals (screens to share out, the seed list, a send time, the report
window, a slate's screens and cinemas) and on a genre the server refused on Build and Distribute
(Find a film's genre field said it so already). The "Add a film" pickers drew "No film matches"
and the films found without a word to the status region. The campaign page's plan table at
640 px (200% zoom) squeezed its shadow-price header into a column a word wide: every header
~354 px tall; the report's two tables under it, their control rate's and predicted conversions'
headers: ~204 px. Oracles: the message element each field names (its text, its role), the server's
own /films answer for what a picker found."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api, stored_plan

# each field marked invalid: [its id or label, the ids of its aria-describedby]
_MARKED = """() => [...document.querySelectorAll('[aria-invalid=true]')].map((e) =>
  [e.id || e.getAttribute('aria-label'), (e.getAttribute('aria-describedby') || '').split(' ')
    .filter(Boolean)])"""


def _settled(page: Any) -> None:
    """Every mutation observer's callback run (they run after the task that changed the DOM)."""
    page.evaluate("() => new Promise((r) => setTimeout(r, 0))")


def _described(page: Any, fields: list[str], words: str, kept: tuple[str, ...] = ()) -> str:
    """The refusal's id: ``fields`` (ids or aria-labels) are the fields marked invalid, each
    described by its hints ``kept`` then one element, a shown alert holding ``words``, the
    same for all."""
    _settled(page)
    marked = page.evaluate(_MARKED)
    assert [name for name, _ in marked] == fields, marked
    # described by the hints it had and one more: the refusal
    assert all(len(ids) == len(kept) + 1 for _, ids in marked), marked
    said = {ids[-1] for _, ids in marked}
    assert len(said) == 1, marked
    for _, ids in marked:
        assert ids[:-1] == list(kept), marked
    (refusal,) = said
    box = page.locator(f"[id='{refusal}']")
    assert box.count() == 1 and box.get_attribute("role") == "alert", refusal
    assert box.is_visible() and words in box.inner_text(), box.inner_text()
    return refusal


def _corrected(page: Any, selector: str, value: str, refusal: str,
               kept: tuple[str, ...] = ()) -> None:
    """``value`` typed into ``selector``: no field is marked, none described by ``refusal``
    (its hints ``kept`` stay)."""
    page.fill(selector, value)
    _settled(page)
    assert page.evaluate(_MARKED) == []
    ids = (page.get_attribute(selector, "aria-describedby") or "").split()
    assert ids == list(kept), ids


def test_the_studios_own_refusals_describe_their_fields(watched: Any, served_demo: Any) -> None:
    page = watched.page
    films = api(served_demo, "/films?limit=2")["films"]
    film = urllib.parse.quote(films[0]["film_id"], safe="")
    page.goto(f"{served_demo.base}/studio/#/film/{film}")
    page.wait_for_selector("#dist-out table")
    page.fill("#dist-screens", "-5")
    page.press("#dist-screens", "Enter")
    page.locator("#dist-out [role=alert]").wait_for()
    said = _described(page, ["dist-screens"], "screens to share out must be a whole number")
    _corrected(page, "#dist-screens", "5", said)

    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    page.fill("#seed-ids", "")
    page.press("#lookalike-k", "Enter")
    page.locator("#lookalike-out [role=alert]").wait_for()
    said = _described(page, ["seed-ids"], "paste or upload at least one user id")
    # a second refusal of the same list: described by the new one alone
    page.press("#lookalike-k", "Enter")
    page.wait_for_function("(id) => !document.getElementById(id)", arg=said)
    again = _described(page, ["seed-ids"], "paste or upload at least one user id")
    assert again != said
    _corrected(page, "#seed-ids", films[0]["film_id"], again)

    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dslate-search", films[1]["title"].lower())
    page.get_by_role("button", name=f"Add {films[1]['title']}").first.wait_for()
    page.press("#dslate-search", "Enter")
    fewest = page.get_by_label(f"fewest screens for {films[1]['title']}")
    most = page.get_by_label(f"most screens for {films[1]['title']}")
    fewest.fill("5")
    most.fill("2")
    most.press("Enter")
    page.locator("#dslate-result [role=alert]").wait_for()
    said = _described(page, [f"fewest screens for {films[1]['title']}",
                             f"most screens for {films[1]['title']}"], "is below fewest screens")
    most.fill("7")
    _settled(page)
    assert page.evaluate(_MARKED) == []
    assert [fewest.get_attribute("aria-describedby"), most.get_attribute("aria-describedby")] \
        == [None, None]
    page.fill("#dslate-cinemas-text", "c002,abc")
    page.get_by_role("button", name="Share out the screens").click()
    page.locator("#dslate-result [role=alert]").wait_for()
    said = _described(page, ["dslate-cinemas-text"], "cinemas, ")
    _corrected(page, "#dslate-cinemas-text", "c002,3", said)
    watched.assert_clean()


def test_a_campaigns_send_time_and_report_window_refusals_describe_them(
        watched: Any, served_demo: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 81, budget=20, seed=81)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    page.fill("#send-at", "")
    page.focus("#record-send")
    page.keyboard.press("Enter")
    page.locator("#send-out [role=alert]").wait_for()
    said = _described(page, ["send-at"], "type when the wave went out")
    # the next answer (a time typed, its confirmation asked) takes the mark and the description
    page.fill("#send-at", "2026-01-02T03:04:05")
    _settled(page)
    assert page.evaluate(_MARKED) == []
    assert said not in (page.get_attribute("#send-at", "aria-describedby") or "")

    page.fill("#report-window", "0")
    page.dispatch_event("#report-window", "change")
    page.locator("#report [role=alert]").wait_for()
    said = _described(page, ["report-window"], "the report window must be a number of days",
                      kept=("report-window-day",))
    _corrected(page, "#report-window", "30", said, kept=("report-window-day",))
    watched.assert_clean()


def test_a_genre_the_server_refuses_is_tied_to_its_field(watched: Any, served_demo: Any) -> None:
    page = watched.page
    for route, field, submit, out, path in (
            ("build", "#cold-genres", "Rank the audience", "#cold-out", "/audiences/cold-start"),
            ("distribute", "#dnew-genres", "Forecast demand", "#dnew-result",
             "/distribution/cold-start")):
        page.goto(f"{served_demo.base}/studio/#/{route}")
        page.fill(field, "Dramma")
        with page.expect_response(lambda r, path=path: r.url.endswith(path)) as got:
            page.get_by_role("button", name=submit).click()
        assert got.value.status == 422
        words = got.value.json()["detail"]
        assert "unknown genre" in words and "Dramma" in words
        page.locator(f"{out} [role=alert]").wait_for()
        said = _described(page, [field[1:]], "Dramma")
        assert page.inner_text(f"[id='{said}']").rstrip(".").lower() == words.rstrip(".").lower()
        _corrected(page, field, "Drama", said)
    watched.console_errors[:] = [e for e in watched.console_errors if "422" not in e]
    watched.assert_clean()


def _status(page: Any, text: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('page-status').textContent === t", arg=text)


def test_the_film_pickers_say_what_they_found(watched: Any, served_demo: Any) -> None:
    page = watched.page
    title = api(served_demo, "/films?limit=1")["films"][0]["title"]
    typed = title.split()[0].lower()
    found = len(api(served_demo, f"/films?query={urllib.parse.quote(typed)}&limit=5")["films"])
    assert found > 0
    for route, field in (("plan", "#slate-search"), ("build", "#comparable-search")):
        page.goto(f"{served_demo.base}/studio/#/{route}")
        page.wait_for_selector(field)
        page.fill(field, "zzzqqq")
        _status(page, "Search results: No film matches “zzzqqq”.")
        page.fill(field, typed)
        films = f"{found} film{'s' if found > 1 else ''}"
        _status(page, f"Search results: {films} found for “{typed}”.")
        assert page.locator(f"{field}-suggestions button").count() == found
    watched.assert_clean()


def test_the_plans_per_film_headers_fit_at_640px(watched: Any, served_demo: Any) -> None:
    page = watched.page
    page.set_viewport_size({"width": 640, "height": 450})
    plan = stored_plan(served_demo, 82, budget=20, seed=82)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    table = page.get_by_role("table", name="Per film", exact=True).first
    heads = table.locator("thead th")
    texts = heads.all_inner_texts()
    assert any("Shadow price" in t and "value units" in t for t in texts), texts
    heights = [b["height"] for b in (th.bounding_box() for th in heads.all()) if b]
    assert heights and max(heights) < 150, list(zip(texts, heights, strict=True))
    # what the price means, said under the table
    assert "between what one more" in page.inner_text("#plan-shadow-price")
    watched.assert_clean()


# every header cell of the campaign report's tables: [caption, header text, height in px]
_REPORT_HEADS = """() => [...document.querySelectorAll('#report table')].flatMap((t) =>
  [...t.querySelectorAll('thead th')].map((th) =>
    [t.querySelector('caption').textContent, th.textContent, th.getBoundingClientRect().height]))"""


def test_the_reports_headers_fit_at_640px(watched: Any, served_demo: Any) -> None:
    """At 640x450 (200% zoom) the report's uplift and per-film tables squeezed their long
    headers (the predicted conversions', the control rate's) a word or two wide: every header
    of the row ~204 px tall. Oracle: each header cell's drawn height (a few words a line, not
    one)."""
    page = watched.page
    page.set_viewport_size({"width": 640, "height": 450})
    plan = stored_plan(served_demo, 83, budget=20, seed=83)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    heads = page.evaluate(_REPORT_HEADS)
    captions = {caption for caption, _, _ in heads}
    assert "Per film" in captions, captions
    assert any(c.startswith("Uplift against the control group") for c in captions), captions
    # the long headers are there, with their units; what the predicted ones are, said above
    texts = [text for _, text, _ in heads]
    assert any(t.startswith("Predicted target conversions (within ") for t in texts), texts
    assert "Control rate, weighted by targets per film and wave [95%]" in texts, texts
    assert "Absolute uplift, percentage points [95%]" in texts, texts
    assert "had they not been contacted" in page.inner_text("#report-note")
    # a line is ~21 px here: five lines or fewer (the row was 204 px, a word or two a line)
    tall = [head for head in heads if head[2] >= 120]
    assert not tall, tall
    watched.assert_clean()
