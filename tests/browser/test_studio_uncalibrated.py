"""A model whose calibration measured nothing (trained with ``--holdout 0``) forecasts no
conversion: the film's funnel, a plan and its report say so, where they read as measured
figures (the funnel's note said conversion was "measured on interactions held out from
training" beside a base of "–"; a plan's zeros were "within 0.0000% of the best" without a
word; the report's predicted conversions were headed "within 30 days" while the server says
it did not scale them to the window). Oracle: the server's own answers."""

from __future__ import annotations

import csv
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _cli, _serve, own_store
from studio_http import api

from recommender.model.calibration import uncalibrated


@pytest.fixture(scope="module")
def served_uncalibrated(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo data trained with --holdout 0 (no calibration), served with a store of its
    own."""
    _, data, own = own_store(demo_folders, "uncalibrated")
    model = own / "model"
    _cli("train", "--data", str(data), "--out", str(model), "--holdout", "0", "--no-tune")
    yield from _serve(model, data, own)


def _example(served: Served) -> dict[str, Any]:
    fid = json.loads((served.data / "demo.json").read_text())["example_film_id"]
    return api(served, f"/films/{urllib.parse.quote(fid, safe='')}")


def test_a_funnel_without_calibration_says_no_conversion_is_expected(
        watched: Any, served_uncalibrated: Served) -> None:
    page = watched.page
    film = _example(served_uncalibrated)
    fid = urllib.parse.quote(film["film_id"], safe="")
    summary = api(served_uncalibrated, f"/films/{fid}/audience/summary")
    assert summary["candidates"] and summary["base_conversion"] is None
    assert api(served_uncalibrated, "/health")["model"]["has_calibration"] is False
    page.goto(f"{served_uncalibrated.base}/studio/#/film/{fid}")
    page.wait_for_selector("#no-conversion")
    funnel = page.inner_text("section:has(h2:text('Audience funnel'))")
    assert page.inner_text("#no-conversion") == (
        f"No expected conversion: {summary['horizon']['description']}.")
    assert "measured on interactions held out" not in funnel
    watched.assert_clean()


def _plan_in_studio(page: Any, served: Served) -> None:
    """Plan the example film (a budget of 30) on the Studio's plan page, and wait for it."""
    film = _example(served)
    page.goto(f"{served.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
    page.press("#slate-search", "Enter")
    page.get_by_label(f"budget for {film['title']}").fill("30")
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")


def test_a_plan_without_calibration_says_what_its_zeros_are(
        watched: Any, served_uncalibrated: Served) -> None:
    page = watched.page
    _plan_in_studio(page, served_uncalibrated)
    plan_id = page.inner_text("#plan-totals dd >> nth=0")
    stored = api(served_uncalibrated, f"/campaigns/{plan_id}")["summary"]
    assert stored["optimality"]["lp_upper_bound"] == 0 and stored["totals"]["selected"] > 0
    said = page.inner_text("#plan-no-chance")
    assert said.startswith("No conversion is expected: every eligible user's probability")
    assert stored["horizon"]["description"] in said
    watched.assert_clean()


_DROP = object()


def _plan_horizon(change: dict[str, Any]) -> Any:
    """A route answering POST /campaigns/plan with ``change`` made to its summary's horizon
    (a value of ``_DROP`` drops that key)."""
    def fulfill(route: Any) -> None:
        real = route.fetch()
        body = real.json()
        horizon = {**body["summary"]["horizon"], **change}
        body["summary"]["horizon"] = {k: v for k, v in horizon.items() if v is not _DROP}
        route.fulfill(status=real.status, content_type="application/json", body=json.dumps(body))
    return fulfill


def test_a_plan_is_told_uncalibrated_by_its_flag_and_an_old_one_by_its_description(
        watched: Any, served_uncalibrated: Served) -> None:
    """The page told an uncalibrated plan by its zeros alone (an LP bound of 0, a horizon
    without days): a calibrated model's plan whose tiny probabilities round to a bound of 0
    on a log without timestamps read as "no conversion is expected". The plan's
    ``horizon.calibrated`` decides now; a plan stored before that flag is still told by its
    zeros; it is told by its description now, as the server tells it."""
    page = watched.page

    def plan(change: dict[str, Any]) -> None:
        page.route("**/campaigns/plan", _plan_horizon(change))
        page.goto("about:blank")
        _plan_in_studio(page, served_uncalibrated)
        page.unroute("**/campaigns/plan")

    plan({"calibrated": True})  # the same zeros, flagged calibrated: no warning
    assert page.locator("#plan-no-chance").count() == 0
    plan({"calibrated": _DROP})  # stored before the flag: told by its description
    assert page.inner_text("#plan-no-chance").startswith("No conversion is expected")
    # stored before the flag, of a calibrated model (its zeros rounded, a log without
    # timestamps): as the server's report tells it (calibration.uncalibrated), no warning
    plan({"calibrated": _DROP, "description": "one curve for every film, on held-out ranks"})
    assert page.locator("#plan-no-chance").count() == 0
    assert not uncalibrated({"days": None, "description": "one curve for every film"})
    watched.assert_clean()


def test_a_report_without_calibration_heads_its_predictions_as_the_server_counts_them(
        watched: Any, served_uncalibrated: Served) -> None:
    page = watched.page
    film = _example(served_uncalibrated)
    plan_id = api(served_uncalibrated, "/campaigns/plan",
                  {"films": [{"film_id": film["film_id"], "budget": 20}], "seed": 5})["plan_id"]
    page.goto(f"{served_uncalibrated.base}/studio/#/campaigns/{urllib.parse.quote(plan_id)}")
    page.wait_for_selector("text=Uplift against the control group")
    report = api(served_uncalibrated, f"/campaigns/{plan_id}/report")
    assert report["predicted"]["factor"] is None  # the server did not scale them
    heads = page.locator("table:has(caption:text('Uplift against the control group')) th"
                         ).all_inner_texts()
    predicted = [x for x in heads if x.startswith("Predicted target conversions")]
    assert predicted and "within" not in predicted[0], predicted
    note = page.inner_text("#report-note")
    assert report["predicted"]["scaling"] in note and "within the window" not in note
    assert report["horizon"]["description"] in note
    # the campaign page draws the plan's summary too
    assert page.locator("#plan-no-chance").is_visible()
    watched.assert_clean()


def test_a_new_films_demand_without_calibration_names_no_calibration_it_borrowed(
        watched: Any, served_uncalibrated: Served) -> None:
    """The server still names the comparable film whose calibration a new film would borrow:
    the page said "Probabilities from the calibration of the known film nearest the new one"
    beside the warning that the model has none."""
    page = watched.page
    film = _example(served_uncalibrated)
    body = api(served_uncalibrated, "/distribution/cold-start",
               {"comparable_film_ids": [film["film_id"]], "by": "region"})
    assert body["cold_start"]["calibrated_as"] and body["expected_new"] == 0
    page.goto(f"{served_uncalibrated.base}/studio/#/distribute")
    page.fill("#dnew-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
    page.press("#dnew-search", "Enter")
    page.get_by_role("button", name="Forecast demand").click()
    page.wait_for_selector("#dnew-result #dist-total")
    assert page.locator("#dnew-result #dist-uncalibrated").is_visible()
    assert page.locator("#dnew-calibrated").count() == 0
    assert "calibration of the known film" not in page.inner_text("#dnew-result")
    assert "calibrations of known films" not in page.inner_text("#dnew-result")
    watched.assert_clean()


def _slate_cinemas(served: Served) -> list[dict[str, Any]]:
    """Two of the served data's cinemas (its users name them), with 4 and 2 screens."""
    with open(served.data / "cinemas.csv", newline="", encoding="utf-8") as f:
        known = sorted(row["cinema_id"] for row in csv.DictReader(f))[:2]
    return [{"cinema_id": c, "screens": n} for c, n in zip(known, (4, 2), strict=True)]


def _slate_in_studio(page: Any, served: Served, films: list[dict[str, Any]],
                     cinemas: list[dict[str, Any]]) -> str:
    """Share ``cinemas``' screens among ``films`` on the Studio's Distribute page; the
    slate's headline."""
    page.goto(f"{served.base}/studio/#/distribute")
    for film in films:
        page.fill("#dslate-search", film["title"].lower())
        page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.fill("#dslate-cinemas-text", "cinema_id,screens\n" + "".join(
        f"{c['cinema_id']},{c['screens']}\n" for c in cinemas))
    page.get_by_role("button", name="Share out the screens").click()
    page.wait_for_selector("#dslate-total")
    return str(page.inner_text("#dslate-total"))


def test_a_slate_without_calibration_says_its_screens_are_shared_equally(
        watched: Any, served_uncalibrated: Served, served_demo: Served) -> None:
    """No cinema has an expected new viewer on a model without calibration: the server shares
    the screens equally (``shared_by``), as the CLI's headline says; the Studio's said they
    were shared by the films' expected new viewers (all 0). Oracle: the server's shared_by
    for the same slate, and a calibrated model's headline beside it."""
    for served, shared_by in ((served_uncalibrated, "equally"), (served_demo, "expected_new")):
        films, cinemas = api(served, "/films?limit=2")["films"], _slate_cinemas(served)
        want = api(served, "/distribution/slate", {
            "films": [{"film_id": f["film_id"]} for f in films], "cinemas": cinemas})
        assert want["shared_by"] == shared_by
        said = _slate_in_studio(watched.page, served, films, cinemas)
        head = f"{want['screens']:,} screens of {want['cinemas']:,} cinemas shared"
        if shared_by == "equally":
            assert said.startswith(f"{head} equally among 2 films within their fewest and "
                                   "most screens (no cinema has any expected new viewer"), said
            assert "expected new viewers among its users" not in said
        else:
            assert said.startswith(f"{head} among 2 films, "), said
            assert "its share of the films' expected new viewers among its users" in said
            assert "equally" not in said
        assert f"{want['objective']:.2f} screens)" in said
    watched.assert_clean()


def test_a_calibrated_model_says_none_of_it(watched: Any, served_demo: Served) -> None:
    page = watched.page
    film = _example(served_demo)
    fid = urllib.parse.quote(film["film_id"], safe="")
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("text=Expected conversion: the share of a ring's users")
    assert page.locator("#no-conversion").count() == 0
    watched.assert_clean()

