"""The forms' answer boxes were live regions (aria-live=polite): Build's lookalikes and new
film, Distribute's new film and slate, a film's demand by place, the planner's plan, a
campaign's report, its waves-sent warning and its withdrawal. A screen reader read a whole
answer out (a page of 25 rows, and again at each page turned in it). None is a live region
now: the page's one status region says a short sentence of each answer; errors are still said
by their role=alert boxes. Oracle: the API's own answers to the same requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from studio_http import api, stored_plan


def _said(page: Any, text: str) -> None:
    try:
        page.wait_for_function(
            "(t) => document.getElementById('page-status').textContent === t",
            arg=text, timeout=15000)
    except Exception as e:  # what was said instead, in the failure
        raise AssertionError(f"said {page.inner_text('#page-status')!r}, not {text!r}") from e


def _no_live_region(page: Any) -> None:
    # the page's two regions (#page-notice, #page-status) are role=status; nothing in the page
    assert page.locator("#view [aria-live]").count() == 0


def test_each_form_answer_is_said_in_a_sentence_not_read_out(
        watched: Any, served_demo: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]
    fid = quote(film["film_id"], safe="")
    seeds = [u["user_id"] for u in api(served_demo, f"/films/{fid}/audience?k=3")["users"]]
    like = api(served_demo, "/audiences/lookalike", {"seed_user_ids": seeds, "k": 100})
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    _no_live_region(page)
    page.fill("#seed-ids", "\n".join(seeds))
    page.click("text=Find lookalikes")
    page.wait_for_selector("#lookalike-users table")
    _said(page, f"Lookalike audience: {len(like['users']):,} of {like['total']:,} "
                "candidates shown.")
    cold = api(served_demo, "/audiences/cold-start",
               {"comparable_film_ids": [], "genres": ["Drama"], "k": 100})
    page.fill("#cold-genres", "Drama")
    page.click("text=Rank the audience")
    page.wait_for_selector("#cold-users table")
    _said(page, f"Audience of the new film: {len(cold['users']):,} of {cold['total']:,} "
                "users shown.")
    _no_live_region(page)

    # Distribute's new film: demand by the place chosen, in the API's numbers
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.fill("#dnew-genres", "Drama")
    page.wait_for_selector("#dnew-by option", state="attached")
    by = page.eval_on_selector("#dnew-by", "s => s.value")
    demand = api(served_demo, "/distribution/cold-start",
                 {"comparable_film_ids": [], "genres": ["Drama"], "by": by})
    page.click("text=Forecast demand")
    page.wait_for_selector("#dist-total")
    viewers = demand["viewers"]
    _said(page, f"A new film's demand by {by}: {viewers:,} viewer{'' if viewers == 1 else 's'} "
                f"so far, {demand['expected_new']:,.1f} more expected.")
    _no_live_region(page)

    # the plan page, and a film's page (its demand by place among its sections)
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.wait_for_selector("#slate-search")
    _no_live_region(page)
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#audience-status")
    _no_live_region(page)
    watched.assert_clean()


def test_a_report_asked_again_is_said_and_read_once(watched: Any, served_demo: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 33, budget=30, waves=3, seed=47)["plan_id"]
    asked: list[str] = []
    page.on("request",
            lambda r: asked.append(r.url.split("?")[0]) if "/campaigns/" in r.url else None)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    _said(page, f"Campaign {plan}: page shown.")
    _no_live_region(page)
    base = f"{served_demo.base}/campaigns/{plan}"
    # the page drawn: the plan read once, its report once (the plan is not read twice)
    assert (asked.count(base), asked.count(f"{base}/report")) == (1, 1), asked

    page.fill("#sent-waves", "5")  # more than the plan's 3: read as 3, and said with the report
    page.press("#sent-waves", "Tab")
    report = api(served_demo, f"/campaigns/{plan}/report?sent_waves=3")
    _said(page, "Waves already sent must be a whole number from 1 to 3: “5” was read as 3. "
                f"Report: waves 1–3 sent, conversions within {report['window_days']:g} days of "
                "the plan.")
    # one report asked again: the plan read again with it, once each
    assert (asked.count(base), asked.count(f"{base}/report")) == (2, 2), asked

    # the withdrawal's confirmation is said (the box it is drawn in is no live region)
    page.click("#withdraw-sent")
    page.wait_for_selector("#withdraw-confirm")
    _said(page, page.inner_text("#withdraw-out p"))
    assert "This is final" in page.inner_text("#withdraw-out p")
    _no_live_region(page)
    watched.assert_clean()
