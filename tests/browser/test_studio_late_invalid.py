"""A slow answer that comes after the form was made invalid (the browser refused a field, and
the page said so): it is dropped, on every form that asks the server (Build's lookalikes and
new film, Distribute's new film and slate); the planner, whose button waits for its answer,
shows the plan it stored."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

NOTICE = "A field is not valid"


def _add(page: Any, box: str, title: str) -> None:
    page.fill(box, title.lower())
    page.get_by_role("button", name=f"Add {title}").first.wait_for()
    page.press(box, "Enter")


def _film(page: Any, box: str) -> str:
    """The title of the first film a search for "the" finds, added from ``box``."""
    page.fill(box, "the")
    first = page.locator("ul.found button").first
    first.wait_for()
    title = first.inner_text().removeprefix("Add ")
    first.click()
    return title


def _lookalike(page: Any) -> None:
    page.fill("#seed-ids", "u00001")


def _cold(page: Any) -> None:
    page.fill("#cold-genres", "Drama")


def _dnew(page: Any) -> None:
    page.fill("#dnew-genres", "Drama")
    page.wait_for_selector("#dnew-by option", state="attached")


def _dslate(page: Any) -> None:
    _film(page, "#dslate-search")
    page.wait_for_selector("form:has(#dslate-search) tbody tr")


# (route, page, fill the form, its button, the field made invalid, the value refused, the
# answer's mark, the answer box)
FORMS = [
    ("**/audiences/lookalike", "build", _lookalike, "Find lookalikes", "#lookalike-k", "0",
     "#lookalike-users", "#lookalike-out"),
    ("**/audiences/cold-start", "build", _cold, "Rank the audience", "#cold-k", "0",
     "#cold-users", "#cold-out"),
    ("**/distribution/cold-start", "distribute", _dnew, "Forecast demand", "#dnew-screens", "0",
     "#dist-total", "#dnew-result"),
    ("**/distribution/slate", "distribute", _dslate, "Share out the screens",
     "form:has(#dslate-search) tbody input >> nth=0", "-1", "#dslate-total", "#dslate-result"),
]


@pytest.mark.parametrize(("path", "where", "fill", "submit", "field", "refused", "answer", "out"),
                         FORMS, ids=["lookalike", "new-film", "distribute-new-film", "slate"])
def test_an_answer_to_a_form_since_refused_is_dropped(
        watched: Any, served_demo: Any, path: str, where: str, fill: Any, submit: str,
        field: str, refused: str, answer: str, out: str) -> None:
    """Submitted, then a field made invalid and submitted again while the answer was on its
    way: the browser refused it and the page said so, then the slow answer was painted over
    that notice, an answer to a form the user had changed and been told was invalid."""
    page = watched.page
    held: list[Any] = []
    page.goto(f"{served_demo.base}/studio/#/{where}")
    fill(page)
    page.route(path, lambda route: held.append(route))
    page.get_by_role("button", name=submit).click()
    page.wait_for_selector(f"{out} .loading")
    page.fill(field, refused)
    page.get_by_role("button", name=submit).click()
    page.wait_for_selector(f"{out} >> text={NOTICE}")
    assert len(held) == 1  # nothing was sent for the refused form
    with page.expect_response(path):
        held[0].continue_()
    page.wait_for_timeout(1000)  # the held answer is read, and dropped
    assert NOTICE in page.inner_text(out)
    assert page.locator(answer).count() == 0
    page.unroute(path)
    watched.assert_clean()


def test_the_planner_waits_for_its_plan(watched: Any, served_demo: Any) -> None:
    """The planner's button is off while a plan is made, and Enter in a field does not
    submit: no notice can come before the plan, which is stored and shown."""
    page = watched.page
    held: list[Any] = []
    page.goto(f"{served_demo.base}/studio/#/plan")
    _film(page, "#slate-search")
    page.wait_for_selector("form:has(#slate-search) tbody tr")
    page.route("**/campaigns/plan", lambda route: held.append(route))
    page.get_by_role("button", name="Plan").click()
    page.wait_for_selector("#plan-result .loading")
    page.fill("#cap", "0")
    page.press("#cap", "Enter")
    assert page.get_by_role("button", name="Plan").is_disabled()
    page.wait_for_timeout(300)
    assert NOTICE not in page.inner_text("#plan-result")
    with page.expect_response("**/campaigns/plan"):
        held[0].continue_()
    page.wait_for_selector("#plan-totals")
    page.unroute("**/campaigns/plan")
    watched.assert_clean()


def test_the_planners_fields_hold_the_servers_bounds(watched: Any, served_demo: Any) -> None:
    """A cap, waves, seed or budget above the server's bound was sent and refused as "body
    field 'waves': should be less than or equal to 1000" under the form, the field unmarked:
    the browser refuses it in the field (the bounds are the server's schema's), and nothing
    is sent."""
    schemas = json.loads(urllib.request.urlopen(f"{served_demo.base}/openapi.json").read())
    bounds = schemas["components"]["schemas"]
    plan, film = bounds["PlanRequest"]["properties"], bounds["SlateFilmIn"]["properties"]
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/plan")
    _film(page, "#slate-search")
    budget = "form:has(#slate-search) tbody input >> nth=0"
    sent: list[Any] = []
    page.on("request", lambda r: sent.append(r.url) if "/campaigns/plan" in r.url else None)
    for field, most in [("#cap", plan["cap"]["maximum"]), ("#waves", plan["waves"]["maximum"]),
                        ("#seed", plan["seed"]["maximum"]), (budget, film["budget"]["maximum"])]:
        page.fill(field, str(int(most)))
        assert page.locator(field).evaluate("e => e.validity.valid"), field
        page.fill(field, str(int(most) + 1))
        page.get_by_role("button", name="Plan").click()
        page.wait_for_selector(f"#plan-result >> text={NOTICE}")
        assert page.locator(field).evaluate("e => e.validity.rangeOverflow"), field
        page.fill(field, "1")
    assert not sent
    watched.assert_clean()
