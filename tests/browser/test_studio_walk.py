"""Audience Studio as a marketer and a distributor use it: a report's settings survive a reload
and Back, wide tables scroll from the keyboard, and the pages fit a phone (360 px wide, or a
laptop at 400% zoom) with a long title."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from studio_http import api

PHONE = {"width": 360, "height": 740}


def _plan(served: Any, waves: int = 3) -> str:
    film = api(served, "/films?limit=1")["films"][0]["film_id"]
    body = {"films": [{"film_id": film, "budget": 60, "value": 1}], "waves": waves}
    return str(api(served, "/campaigns/plan", body)["plan_id"])


def _overall(page: Any) -> list[str]:
    return list(page.locator("table:has(caption:text('Uplift against the control group')) "
                             "tbody tr").first.locator("td").all_inner_texts())


def test_the_reports_waves_and_window_survive_a_reload_and_back(watched: Any,
                                                                 served_demo: Any) -> None:
    """"Waves already sent" and the report window lived in the boxes only: a reload, Back from
    the next wave or a shared link counted every wave again, in the server's default window,
    and the uplift read was not the one set (a diluted one, with no word of it)."""
    plan_id = _plan(served_demo)
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report-note")
    page.fill("#sent-waves", "1")
    page.press("#sent-waves", "Tab")
    page.wait_for_selector("#report-note:text-matches('^Wave 1 of 3')")
    page.fill("#report-window", "7")
    page.press("#report-window", "Tab")
    page.wait_for_selector("th:has-text('(within 7 days')")
    assert "sent_waves=1" in page.url and "window_days=7" in page.url, page.url
    want = api(served_demo, f"/campaigns/{plan_id}/report?sent_waves=1&window_days=7")

    def same_report() -> None:
        page.wait_for_selector("#report-note:text-matches('^Wave 1 of 3')")
        assert page.input_value("#sent-waves") == "1"
        assert page.input_value("#report-window") == "7"
        o = want["overall"]
        assert _overall(page)[:4] == ["overall", f"{o['targets']:,}", f"{o['measured_targets']:,}",
                                      f"{o['controls']:,}"]

    page.reload()
    same_report()
    # the next wave, then Back: the first plan's report as it was set
    page.click("#next-wave")
    page.wait_for_function(f"() => !location.hash.includes({json.dumps(plan_id)})")
    page.wait_for_selector("#report-note")
    page.go_back()
    same_report()
    # a bookmark with waves the plan cannot have is read as the server's default
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}?sent_waves=9")
    page.wait_for_selector("#report-note")
    assert "sent_waves" not in page.url
    watched.assert_clean()


def _axe_serious(watched: Any) -> list[tuple[str, list[Any]]]:
    return [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in watched.axe()]


def test_wide_tables_scroll_from_the_keyboard(watched: Any, served_demo: Any) -> None:
    """A table wider than its box (the report's 13 columns on a laptop, most tables on a
    phone) scrolled sideways only with a mouse or a touch outside Chrome: its box took no
    focus (axe: scrollable-region-focusable). It is a named region in the Tab order while it
    scrolls, and no stop when it fits."""
    plan_id = _plan(served_demo)
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report table")
    # the first Tab of a page just opened is the skip link's (the focus was put in the page,
    # and the skip link and the menu were behind it)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert not _axe_serious(watched), _axe_serious(watched)
    wide = page.locator(".table-wrap:has(caption:text('Uplift against the control group'))")
    assert wide.get_attribute("tabindex") == "0"
    assert wide.get_attribute("role") == "region"
    assert (wide.get_attribute("aria-label") or "").startswith("Report: Uplift against")
    fits = page.locator("section[aria-labelledby='s-plan'] .table-wrap").first
    assert fits.get_attribute("tabindex") is None  # the plan's per-film table fits a laptop
    wide.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("b => b.scrollLeft > 0", arg=wide.element_handle(), timeout=3000)
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    page.set_viewport_size(PHONE)
    for hash_, ready in [(f"#/film/{urllib.parse.quote(film, safe='')}", "#audience-status"),
                         ("#/plan", "#slate-search"), (f"#/campaigns/{plan_id}", "svg.chart")]:
        page.goto(f"{served_demo.base}/studio/{hash_}")
        page.wait_for_selector(ready)
        page.wait_for_timeout(300)
        assert not _axe_serious(watched), (hash_, _axe_serious(watched))
    # the uplift chart keeps readable labels on a phone (shrunk to fit, they were 5px high),
    # in a box that scrolls sideways from the keyboard; the page itself does not
    label = page.locator("svg.chart text").first.bounding_box()
    assert label and label["height"] >= 11, label
    chart = page.locator(".table-wrap:has(svg.chart)")
    assert chart.get_attribute("tabindex") == "0"
    assert (chart.get_attribute("aria-label") or "").startswith("Report: Absolute uplift")
    assert page.evaluate("document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth") <= 0
    watched.assert_clean()


def _retitled(title: str) -> Callable[[Any], None]:
    """A route handler answering a film's detail with ``title`` in place of its own."""
    def handle(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        if isinstance(body, dict) and "title" in body:
            body["title"] = title
        if isinstance(body, dict) and isinstance(body.get("films"), list):
            for f in body["films"]:
                f["title"] = title
        route.fulfill(response=response, json=body)
    return handle


def test_the_pages_fit_a_phone_with_a_long_title(browser: Any, served_demo: Any) -> None:
    """At 360 px (a phone, or 1440 px at 400% zoom) the film page's segment list (its longest
    label), the Build page's file input and a title of one long word ran past the screen's
    edge: the whole page scrolled sideways."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    quoted = urllib.parse.quote(film, safe="")
    try:
        pages = [(f"#/film/{quoted}", "#audience-status"), ("#/build", "#seed-file"),
                 ("#/distribute", "#dslate-search"), ("#/", "text=Served model")]
        for hash_, ready in pages:
            page.goto(f"{served_demo.base}/studio/{hash_}")
            page.wait_for_selector(ready)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{hash_} scrolls sideways by {overflow}px at 360px"
        # a title that is one long word (a catalog's placeholder, a joined-up foreign title),
        # as the page's heading and among the comparable films
        page.route("**/films/*", _retitled("Supercalifragilisticexpialidocious" * 4))
        page.route("**/similar*", _retitled("Supercalifragilisticexpialidocious" * 4))
        page.goto(f"{served_demo.base}/studio/#/film/{quoted}?long=1")
        page.wait_for_selector("#audience-status")
        assert page.inner_text("h1").startswith("Supercalifragilistic")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"a long title scrolls the film page sideways by {overflow}px"
    finally:
        context.close()


def _film(served: Any) -> str:
    return str(api(served, "/films?limit=1")["films"][0]["film_id"])


def test_every_page_says_its_model_and_the_events_folded_in(watched: Any,
                                                            served_demo: Any) -> None:
    """Only the Overview named the model version and the campaign events in its answers; the
    footer meant to say where every number comes from was never filled in."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(_film(served_demo))}")
    page.wait_for_selector("#model-line:has-text('model ')")
    model = api(served_demo, "/health")["model"]
    line = page.inner_text("#model-line")
    assert f"model {model['model_version']}" in line, line
    events = model.get("store_events")
    assert (f"{events['events_applied']:,} campaign events folded in" in line if events
            else "as trained (no campaign events folded in)" in line), line
    watched.assert_clean()


def test_a_failed_side_request_is_said_in_its_section(watched: Any, served_demo: Any) -> None:
    """A 500 from /similar replaced the whole film page (card, funnel, audience) with "The
    film could not be shown"; the segment list said "(429)" with no unit."""
    film = _film(served_demo)
    page = watched.page
    page.route("**/similar?*", lambda r: r.fulfill(status=500, body="boom"))
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(film)}")
    page.wait_for_selector("h2:text('Comparable films')")
    assert page.locator("h2:text('Audience funnel')").count() == 1
    section = page.locator("section:has(h2:text('Comparable films'))")
    assert "500" in section.inner_text()
    options = page.locator("#segment option").all_inner_texts()[1:]
    assert options and all(o.endswith(" users)") for o in options), options
    watched.console_errors[:] = [e for e in watched.console_errors if "500" not in e]
    watched.assert_clean()


def test_a_film_everyone_watched_says_nobody_is_left(watched: Any, served_demo: Any) -> None:
    """A film every user has watched showed empty rings, "×0.00 · 0 users" everywhere and a
    base of "–", with no word of why. The summary is the server's, with its candidates set to
    none (the demo has no such film)."""
    film = _film(served_demo)
    page = watched.page

    def everyone(r: Any) -> None:
        body = r.fetch().json()
        body["candidates"] = 0
        r.fulfill(json=body)

    page.route("**/audience/summary*", everyone)
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(film)}")
    page.wait_for_selector("#no-candidates")
    viewers = api(served_demo, f"/films/{urllib.parse.quote(film)}")["viewers"]
    assert f"all {viewers:,} users in the model have watched" in page.inner_text(
        "#no-candidates")
    watched.assert_clean()


def test_waves_sent_stays_empty_until_the_report_says(watched: Any, served_demo: Any) -> None:
    """"Waves already sent" showed 1 while the default report (all waves) was read, then
    flipped to 3: a marketer who meant 1 saw it set already. It is empty meanwhile, and the
    next wave waits for it."""
    plan_id = _plan(served_demo)
    page = watched.page
    held: list[Any] = []
    page.route("**/report*", lambda r: held.append(r))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#sent-waves")
    page.wait_for_function("() => document.querySelector('#report .loading') !== null")
    assert page.input_value("#sent-waves") == ""
    assert page.locator("#next-wave").is_disabled()
    page.unroute("**/report*")
    for r in held:
        r.continue_()
    page.wait_for_selector("#report-note")
    assert page.input_value("#sent-waves") == "3"
    assert not page.locator("#next-wave").is_disabled()
    watched.assert_clean()


def test_the_next_wave_waits_for_the_waves_sent_when_the_report_fails(watched: Any,
                                                                       served_demo: Any
                                                                       ) -> None:
    """A report that failed (the store busy) left "Waves already sent" empty and the next
    wave enabled: a click planned it as if 1 wave was sent, said only once it was stored. It
    waits for a number; one typed sends that number."""
    plan_id = _plan(served_demo)
    page = watched.page
    page.route("**/report*", lambda r: r.fulfill(
        status=503, content_type="application/json", body='{"detail": "store busy"}'))
    posted: list[Any] = []
    page.route("**/next", lambda r: (posted.append(r.request.post_data_json), r.fulfill(
        status=503, content_type="application/json", body='{"detail": "not now"}')))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report :text('store busy')")
    assert page.input_value("#sent-waves") == ""
    assert page.locator("#next-wave").is_disabled()
    page.fill("#sent-waves", "2")
    assert not page.locator("#next-wave").is_disabled()
    page.click("#next-wave")
    page.wait_for_selector("#next-wave ~ div :text('not now')")
    assert posted == [{"sent_waves": 2}]
    watched.console_errors[:] = [e for e in watched.console_errors if "503" not in e]
    watched.assert_clean()


def test_the_slate_being_planned_survives_a_reload(watched: Any, served_demo: Any) -> None:
    """A reload (or Back from the campaign it planned) lost every film, budget and option of
    the slate being planned. The tab keeps them (sessionStorage, as it keeps the key)."""
    films = api(served_demo, "/films?limit=2")["films"]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/plan")
    for film, budget in zip(films, ("40", "25"), strict=True):
        page.fill("#slate-search", film["title"].lower())
        page.get_by_role("button", name=f"Add {film['title']}").first.click()
        page.get_by_label(f"budget for {film['title']}").fill(budget)
    page.get_by_label(f"value for {films[1]['title']}").fill("2.5")
    page.fill("#cap", "2")
    page.fill("#waves", "4")
    page.reload()
    page.wait_for_selector("#cap")
    assert page.get_by_label(f"budget for {films[0]['title']}").input_value() == "40"
    assert page.get_by_label(f"budget for {films[1]['title']}").input_value() == "25"
    assert page.get_by_label(f"value for {films[1]['title']}").input_value() == "2.5"
    assert page.input_value("#cap") == "2" and page.input_value("#waves") == "4"
    # the plan sent is the slate as kept
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")
    plan_id = page.inner_text("#plan-totals dd").strip()
    summary = api(served_demo, f"/campaigns/{plan_id}")["summary"]
    assert [(f["film_id"], f["budget"], f["value"]) for f in summary["films"]] == [
        (films[0]["film_id"], 40, 1.0), (films[1]["film_id"], 25, 2.5)]
    assert summary["parameters"]["cap"] == 2 and summary["parameters"]["waves"] == 4
    # a film removed stays removed
    page.get_by_role("button", name=f"remove {films[0]['title']}").click()
    page.reload()
    page.wait_for_selector("#cap")
    assert page.get_by_label(f"budget for {films[0]['title']}").count() == 0
    watched.assert_clean()


def test_the_films_opening_together_survive_a_reload(watched: Any, served_demo: Any) -> None:
    """Distribute's slate (films, their fewest and most screens, pasted cinema lines) was lost
    on a reload; the tab keeps it, and the allocation asked after the reload is the one the
    server gives for the same body."""
    films = api(served_demo, "/films?limit=2")["films"]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/distribute")
    for film in films:
        page.fill("#dslate-search", film["title"].lower())
        page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"fewest screens for {films[0]['title']}").fill("1")
    page.get_by_label(f"most screens for {films[1]['title']}").fill("3")
    cinemas = "cinema_id,screens\nC001,4\nC002,2"
    page.fill("#dslate-cinemas-text", cinemas)
    page.reload()
    page.wait_for_selector("#dslate-cinemas-text")
    assert page.get_by_label(f"fewest screens for {films[0]['title']}").input_value() == "1"
    assert page.get_by_label(f"most screens for {films[1]['title']}").input_value() == "3"
    assert page.get_by_label(f"most screens for {films[0]['title']}").input_value() == ""
    assert page.input_value("#dslate-cinemas-text") == cinemas
    page.get_by_role("button", name="Share out the screens").click()
    page.wait_for_selector("#dslate-total")
    want = api(served_demo, "/distribution/slate", {
        "films": [{"film_id": films[0]["film_id"], "min_screens": 1, "max_screens": None},
                  {"film_id": films[1]["film_id"], "min_screens": 0, "max_screens": 3}],
        "cinemas": [{"cinema_id": "C001", "screens": 4}, {"cinema_id": "C002", "screens": 2}]})
    assert f"{want['screens']:,} screens of {want['cinemas']:,} cinemas" in page.inner_text(
        "#dslate-total")
    watched.assert_clean()


def test_long_names_keep_the_other_columns_in_view(watched: Any, served_demo: Any) -> None:
    """A title of one long word set its table column's least width (the plan's per-film table,
    the search results, the campaigns list): every number column went off the box's edge,
    reached only by scrolling sideways."""
    page = watched.page
    page.route(lambda url: "/films?" in url, _retitled("Supercalifragilisticexpialidocious" * 8))
    page.goto(f"{served_demo.base}/studio/#/search?q=the")
    page.wait_for_selector("#results tbody tr")
    box = page.locator("#results .table-wrap").bounding_box()
    viewers = page.locator("#results th:text('Viewers')").bounding_box()
    assert box and viewers and viewers["x"] + viewers["width"] <= box["x"] + box["width"], (
        viewers, box)


def test_the_funnels_ring_names_stay_whole(watched: Any, served_demo: Any) -> None:
    """The funnel's ring names broke inside a word ("Extende" / "d") in their 80 px column."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(_film(served_demo))}")
    page.wait_for_selector("ol.funnel li")
    lines = page.evaluate("""() => [...document.querySelectorAll('.ring-name')].map((e) => {
        const r = document.createRange(); r.selectNodeContents(e);
        return [e.textContent, r.getClientRects().length]; })""")
    assert lines and all(n == 1 for _, n in lines), lines


def test_a_campaign_says_when_and_with_which_model_it_was_planned(watched: Any,
                                                                  served_demo: Any) -> None:
    """The plan's expected conversions and values are the model's it was planned with, but the
    campaign page named neither it nor the plan's date (the footer names the model served
    now)."""
    plan_id = _plan(served_demo)
    summary = api(served_demo, f"/campaigns/{plan_id}")["summary"]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#plan-totals")
    made = page.inner_text("#plan-made")
    assert summary["created"] in made and summary["model_version"] in made, made
    watched.assert_clean()


def test_the_footer_says_when_the_engine_cannot_be_reached(watched: Any,
                                                           served_demo: Any) -> None:
    """With the engine out of reach the page said so, while the footer still named the model
    and the events of an earlier answer as the source of its numbers."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("#model-line:has-text('model ')")
    def api_call(url: str) -> bool:
        return url.startswith(served_demo.base + "/") and "/studio/" not in url

    def down(route: Any) -> None:
        route.abort()

    page.route(api_call, down)
    page.click("nav >> text=Find a film")
    page.wait_for_selector("#results .error")
    page.wait_for_selector("#model-line:has-text('could not be reached')", timeout=5000)
    version = api(served_demo, "/health")["model"]["model_version"]
    assert version not in page.inner_text("#model-line")
    # the campaigns list keeps its heading over the error (it showed the error alone)
    page.click("nav >> text=Campaigns")
    # the search page's own alert is still there until the campaigns page draws
    page.wait_for_selector("h1:text-is('Campaigns') >> xpath=.. >> [role=alert]")
    assert page.locator("h1").all_inner_texts() == ["Campaigns"]
    # a /health that fails with a server error is said too (the earlier model stayed named)
    page.unroute(api_call, down)
    page.click("nav >> text=Overview")
    page.wait_for_selector(f"#model-line:has-text('{version}')")
    page.route("**/health", lambda route: route.fulfill(status=502, body="bad gateway"))
    page.click("nav >> text=Find a film")
    page.wait_for_selector("#model-line:has-text('/health failed')", timeout=5000)
    assert version not in page.inner_text("#model-line")

