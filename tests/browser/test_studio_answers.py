"""The Studio says what an answer cannot: a film page's audience table and demand by place
carry their body's note, a plan's film row its note; the places offered are the model's own;
a title that carries its year is not followed by it again. Answers the demo model never gives
(notes, a title with a year, a model without places) are stood in for by the test."""

from __future__ import annotations

import csv
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from studio_http import file_name, not_found_leads_back


def _api(served: Any, path: str) -> Any:
    with urllib.request.urlopen(f"{served.base}{path}", timeout=30) as r:
        return json.loads(r.read())


def _film(served: Any) -> tuple[str, dict[str, Any]]:
    manifest = json.loads((served.data / "demo.json").read_text())
    fid = urllib.parse.quote(manifest["example_film_id"], safe="")
    return fid, _api(served, f"/films/{fid}")


def _amended(change: Any) -> Any:
    """A route handler answering the server's JSON body as ``change(body)`` returns it."""
    def handler(route: Any) -> None:
        real = route.fetch()
        route.fulfill(status=real.status, content_type="application/json",
                      body=json.dumps(change(real.json())))
    return handler


def test_the_film_page_carries_its_answers_notes_and_the_titles_year_once(
        watched: Any, served_demo: Any) -> None:
    """The audience table said "best first" and demand by place showed indices of 137 and
    192 for a film with nothing fitted, whose bodies carry a note the page never showed; a
    MovieLens title ("Toy Story (1995)") was followed by its year again."""
    page = watched.page
    fid, film = _film(served_demo)
    note = "nothing fitted (stood in)"
    titled = f"{film['title']} ({film['year']})"
    page.route(f"**/films/{fid}", _amended(lambda b: {**b, "title": titled}))
    page.route(f"**/films/{fid}/audience?*", _amended(lambda b: {**b, "note": note}))
    page.route(f"**/films/{fid}/distribution?*", _amended(lambda b: {**b, "note": note}))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#audience-unranked")
    assert page.inner_text("#audience-unranked") == f"These users are not ranked: {note}."
    page.wait_for_selector("#dist-unranked")
    assert page.inner_text("#dist-unranked") == f"Not a taste for the film: {note}."
    assert page.inner_text(".film-title") == titled  # not "... (2001) (2001)"
    assert not watched.outside_requests


def test_demand_by_place_offers_the_models_own_places(watched: Any, served_demo: Any) -> None:
    """The list was fixed to region, city and cinema: a model without city answered 422 on
    choosing it, and one with zip_zone could not choose that. It is the model's own now, and a
    model with no place attribute says so."""
    page = watched.page
    fid, _ = _film(served_demo)
    places = _api(served_demo, "/health")["model"]["place_attributes"]
    assert places
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#dist-total")
    options = page.eval_on_selector_all("#dist-by option", "els => els.map((e) => e.value)")
    assert options == places
    other = watched.page.context.new_page()
    other.route("**/health", _amended(
        lambda b: {**b, "model": {**b["model"], "place_attributes": []}}))
    other.goto(f"{served_demo.base}/studio/#/film/{fid}")
    other.wait_for_selector("#dist-none")
    assert "no place attribute" in other.inner_text("#dist-none")
    other.close()
    watched.assert_clean()


def _plan_one(page: Any, served: Any, film: dict[str, Any]) -> None:
    """Plan ``film`` alone, at a budget of 10, in the Studio's plan page."""
    page.goto(f"{served.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").fill("10")
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")


def test_a_plans_film_row_shows_its_note(watched: Any, served_demo: Any) -> None:
    """A film with nothing fitted was planned like any other: its row's Note column read only
    the budget flag. The plan's own note is shown there now."""
    page = watched.page
    _, film = _film(served_demo)
    note = "nothing fitted ties this film to the users (stood in)"

    def with_note(body: dict[str, Any]) -> dict[str, Any]:
        films = [{**f, "note": note} for f in body["summary"]["films"]]
        return {**body, "summary": {**body["summary"], "films": films}}

    page.route("**/campaigns/plan", _amended(with_note))
    _plan_one(page, served_demo, film)
    assert note in page.inner_text("#plan-result")
    assert not watched.outside_requests


def test_the_overview_names_the_model_and_hides_options_it_does_not_read(
        watched: Any, served_demo: Any) -> None:
    """The overview never named the model (an EASE model's table said model = als, with
    iterations and regularization EASE never reads) nor the films with nothing fitted. An
    EASE model is stood in for on /health."""
    page = watched.page

    def as_ease(body: dict[str, Any]) -> dict[str, Any]:
        params = {**body["model"]["params"], "family": "ease"}
        return {**body, "model": {**body["model"], "params": params,
                                  "films_without_liked": 7}}

    page.route("**/health", _amended(as_ease))
    page.goto(f"{served_demo.base}/studio/#/overview")
    page.wait_for_selector("text=Served model")
    facts = page.inner_text("dl.facts")
    assert "EASE (item-item)" in facts and "Rank" in facts
    assert "Films with nothing fitted" in facts and "7 (their audiences" in facts
    shown = {line.split("\t")[0] for line in
             page.inner_text("section:has-text('Training parameters') tbody").splitlines()}
    assert "ease_lambda" in shown and "factors" in shown
    assert not shown & {"model", "iterations", "regularization", "alpha", "cg_steps"}
    plain = page.context.new_page()  # the demo's own ALS model: EASE's lambda is not its
    plain.goto(f"{served_demo.base}/studio/#/overview")
    plain.wait_for_selector("text=Served model")
    own = {line.split("\t")[0] for line in
           plain.inner_text("section:has-text('Training parameters') tbody").splitlines()}
    assert "regularization" in own and not own & {"ease_lambda", "learning_rate"}
    plain.close()
    assert not watched.outside_requests


def test_the_lookalike_line_counts_known_seeds_once(watched: Any, served_demo: Any) -> None:
    """Seeds "a, nobody, a" were counted as 3 seeds while the page said one id was skipped."""
    page = watched.page
    fid, _ = _film(served_demo)
    seed = _api(served_demo, f"/films/{fid}/audience?k=1")["users"][0]["user_id"]
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", f"{seed}\nnobody-at-all\n{seed}")
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#unknown-seeds")
    assert "(1 known seeds)" in page.inner_text("#lookalike-out")
    assert not watched.outside_requests


def test_a_portrait_attribute_with_every_value_hidden_says_so(
        watched: Any, served_demo: Any) -> None:
    """A two-valued attribute often has every value hidden by the privacy rule: its heading
    stood bare, with nothing under it."""
    page = watched.page
    fid, _ = _film(served_demo)

    def hide_gender(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "portrait": {**body["portrait"], "gender": []}}

    page.route(f"**/films/{fid}/audience/summary*", _amended(hide_gender))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    block = page.locator(".portrait:has(h3:text-is('gender'))")
    block.wait_for()
    assert "Every value is hidden by the privacy rule." in block.inner_text()
    assert not watched.outside_requests


def test_a_portrait_of_nobody_says_so_not_that_the_rule_hid_it(
        watched: Any, served_demo: Any) -> None:
    """A portrait of an empty ring (a film every user watched) has no rows: that is nobody
    pictured, not every value hidden by the privacy rule."""
    page = watched.page
    fid, _ = _film(served_demo)

    def nobody(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "portrait": {name: [] for name in body["portrait"]},
                "portrait_scope": {**body["portrait_scope"], "users": 0, "rank_range": None}}

    page.route(f"**/films/{fid}/audience/summary*", _amended(nobody))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    block = page.locator(".portrait:has(h3:text-is('gender'))")
    block.wait_for()
    assert "Nobody is pictured" in block.inner_text()
    assert "hidden by the privacy rule" not in block.inner_text()
    assert not watched.outside_requests


def test_users_without_a_value_have_a_named_bar(watched: Any, served_demo: Any) -> None:
    """The value "" (users the users file gives no value) drew a bar without a name."""
    page = watched.page
    fid, _ = _film(served_demo)

    def blank_region(body: dict[str, Any]) -> dict[str, Any]:
        rows = body["portrait"]["region"]
        return {**body, "portrait": {**body["portrait"],
                                     "region": [*rows[:-1], {**rows[-1], "value": ""}]}}

    page.route(f"**/films/{fid}/audience/summary*", _amended(blank_region))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    block = page.locator(".portrait:has(h3:text-is('region'))")
    block.wait_for()
    labels = block.locator(".bar-label").all_inner_texts()
    assert labels[-1] == "(no value)" and all(labels), labels
    assert not watched.outside_requests


def test_demand_by_place_says_when_the_places_cannot_be_read(
        watched: Any, served_demo: Any) -> None:
    """/health failing, or showing no model to this caller, was taken for "this model's users
    have no place attribute" (and the empty answer kept for the page load)."""
    page = watched.page
    fid, _ = _film(served_demo)
    page.route("**/health", _amended(lambda b: {**b, "model": None}))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("section:has-text('Demand by place') .error")
    text = page.inner_text("section:has-text('Demand by place')")
    assert "could not be read" in text and "no place attribute" not in text
    page.unroute("**/health")
    page.fill("#dist-screens", "10")
    page.dispatch_event("#dist-screens", "change")
    page.wait_for_selector("#dist-total")  # asked again, and now read
    assert not watched.outside_requests


def _post(served: Any, path: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(f"{served.base}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def test_the_plan_form_and_the_report_say_what_was_empty(watched: Any,
                                                         served_demo: Any) -> None:
    """A cleared field was read as Number("") = 0: a cleared control share stored a campaign
    that can never be measured, whose report then showed "–" without the API's reason; a
    waves-sent box of 0 stayed on show while 1 counted; the report's note called the rates'
    intervals Newcombe's, and the relative uplift was never shown."""
    page = watched.page
    _, film = _film(served_demo)
    before = _api(served_demo, "/campaigns")["total"]
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").fill("10")
    page.fill("#holdout", "")
    page.get_by_role("button", name="Plan", exact=True).click()
    assert page.evaluate("() => document.querySelector('#holdout').matches(':invalid')")
    page.wait_for_timeout(300)
    assert _api(served_demo, "/campaigns")["total"] == before  # nothing planned or stored
    # the control share takes what the server takes, [0, 1): 0.125 and 0.95 were refused by a
    # max of 0.9 in steps of 0.01; 1 is refused here, naming the rule
    invalid = "() => document.querySelector('#holdout').matches(':invalid')"
    for share in ("0.125", "0.95"):
        page.fill("#holdout", share)
        assert not page.evaluate(invalid), share
    page.fill("#holdout", "1")
    page.get_by_role("button", name="Plan", exact=True).click()
    assert page.evaluate(invalid)
    assert "below 1" in page.evaluate("() => document.querySelector('#holdout').validationMessage")
    page.wait_for_timeout(300)
    assert _api(served_demo, "/campaigns")["total"] == before
    # a campaign without controls (planned over the API): the report says why no uplift
    plan_id = _post(served_demo, "/campaigns/plan", {
        "films": [{"film_id": film["film_id"], "budget": 10}], "holdout": 0,
        "waves": 2})["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{urllib.parse.quote(plan_id)}")
    page.wait_for_selector("text=Uplift against the control group")
    report = _api(served_demo, f"/campaigns/{urllib.parse.quote(plan_id)}/report")
    assert report["overall"]["no_estimate"] in page.inner_text("#report")
    assert "Relative uplift [95%]" in page.inner_text("#report")
    note = page.inner_text("#report .note")
    assert f"Rates: {report['method']['rates']}" in note
    assert f"Relative uplift: {report['method']['relative_uplift']}" in note
    # the waves counted, in words: all by default, with what to do if fewer went out
    assert "Waves 1–2 of 2 counted (every wave of the plan" in page.inner_text("#report-note")
    assert "set “Waves already sent”" in page.inner_text("#report-note")
    assert "no control group" in page.inner_text("#plan-no-control").lower()
    # nor has its next wave (its note said "a new control group is drawn"), so no film can be
    # left out for an effect none measures
    next_note = page.locator("section:has(#next-wave) p.note").first.inner_text()
    assert "no control group is drawn" in next_note, next_note
    assert page.locator("#leave-out-no-effect").is_disabled()
    page.fill("#sent-waves", "0")
    page.dispatch_event("#sent-waves", "change")
    page.wait_for_selector("caption:text('(the first 1 sent)')")
    assert page.input_value("#sent-waves") == "1"  # the number counted, on show
    assert "“0” was read as 1" in page.inner_text("#sent-clamped")  # and said
    assert "Wave 1 of 2 counted (as set in" in page.inner_text("#report-note")
    # a second next wave of the plan says that each plans the same remaining budget
    first = _post(served_demo, f"/campaigns/{urllib.parse.quote(plan_id)}/next",
                  {"sent_waves": 1})["plan_id"]
    page.click("#next-wave")
    page.wait_for_selector("#plan-warning")
    assert first in page.inner_text("#plan-warning")

    def flat(body: dict[str, Any]) -> dict[str, Any]:  # a film whose waves measured no effect
        film = body["summary"]["films"][0]
        film["measured_uplift"] = {"absolute_uplift": {"estimate": -0.1, "low": -0.2,
                                                       "high": -0.01}, "targets": 9,
                                   "controls": 4}
        body["summary"]["no_effect"] = {"films": [film["film_id"]], "note": "stood in"}
        return body

    stored = re.compile(r".*/campaigns/plan-[0-9a-f]+$")  # a plan's summary, as the page reads it
    page.route(stored, _amended(flat))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{urllib.parse.quote(first)}")
    page.wait_for_selector("#plan-no-effect")
    assert "-10.00 points [-20.00, -1.00]" in page.inner_text("#plan-no-effect")
    page.unroute(stored)

    def none(body: dict[str, Any]) -> dict[str, Any]:  # no film measured no effect: said
        body["summary"]["no_effect"] = {"films": [], "note": "no film's waves stood in"}
        return body

    page.route(stored, _amended(none))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{urllib.parse.quote(plan_id)}")
    page.goto(f"{served_demo.base}/studio/#/campaigns/{urllib.parse.quote(first)}")
    page.wait_for_selector("#plan-no-effect")
    assert page.inner_text("#plan-no-effect") == "No film's waves stood in."
    page.unroute(stored)
    # a page past the last one says so (it said "No plan yet" with plans stored)
    page.goto(f"{served_demo.base}/studio/#/campaigns?offset=100000")
    page.wait_for_selector("text=past the last page")
    assert not watched.outside_requests


def test_a_report_row_with_no_upper_bound_and_a_note_says_so(
        watched: Any, served_demo: Any) -> None:
    """A relative uplift without a control conversion has no upper bound (high null): the
    page would show "–", read as "unknown"; a group whose film's wave holds no control says
    which targets its uplift leaves out."""
    page = watched.page
    fid, _ = _film(served_demo)
    plan_id = _post(served_demo, "/campaigns/plan", {
        "films": [{"film_id": fid, "budget": 10}], "holdout": 0.2, "waves": 2})["plan_id"]

    def unbounded(body: dict[str, Any]) -> dict[str, Any]:
        overall = {**body["overall"], "note": "3 targets are in waves of a film with no "
                   "control group", "relative_uplift": {"estimate": None, "low": -0.5,
                                                        "high": None}}
        return {**body, "overall": overall}

    quoted = urllib.parse.quote(plan_id)
    page.route(f"**/campaigns/{quoted}/report*", _amended(unbounded))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{quoted}")
    page.wait_for_selector("text=Uplift against the control group")
    row = page.locator("table:has(caption:text('Uplift against the control group')) "
                       "tbody tr").first.inner_text()
    assert "[-50.00%, +∞]" in row and "NaN" not in row
    assert "3 targets are in waves of a film with no control group" in row
    assert not watched.outside_requests


def test_demand_by_place_counts_users_without_a_place(watched: Any, served_demo: Any) -> None:
    """The film card's viewers counted users with no place (new users from events); the rows
    do not, and the page never said so (the totals differed by them), nor showed the API's
    screens warning. Stood in: a body with such users and a warning."""
    page = watched.page
    fid, _ = _film(served_demo)
    warning = "no cinema table was found (stood in)"

    def unplaced(b: dict[str, Any]) -> dict[str, Any]:
        return {**b, "users_without_place": {"users": 3, "viewers": None, "expected_new": None,
                                             "expected_total": None},
                "screens": {**(b.get("screens") or {"total": 10, "capped_by": None,
                                                     "capacity": None}),
                            "warning": warning}}

    page.route(f"**/films/{fid}/distribution?*", _amended(unplaced))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#dist-unplaced")
    text = page.inner_text("#dist-unplaced")
    assert text.startswith("3 users have no ") and "are in no row" in text
    assert page.inner_text("#dist-screens-warning") == warning

    def one(b: dict[str, Any]) -> dict[str, Any]:  # one of each: said in the singular
        return {**b, "users_without_place": {"users": 1, "viewers": 1, "expected_new": 0.5,
                                             "expected_total": 1.5}, "viewers": 1,
                "screens": {"total": 1, "capped_by": None, "capacity": None, "warning": None}}

    page.unroute(f"**/films/{fid}/distribution?*")
    page.route(f"**/films/{fid}/distribution?*", _amended(one))
    page.goto(f"{served_demo.base}/studio/#/")
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#dist-unplaced")
    assert page.inner_text("#dist-unplaced").startswith("1 user has no ")
    assert "is in no row: 1 viewer, 0.5 more expected" in page.inner_text("#dist-unplaced")
    total = page.inner_text("#dist-total")
    assert total.startswith("1 viewer so far") and "1 screen shared out" in total
    assert not watched.outside_requests


def test_small_things_a_marketer_reads(watched: Any, served_demo: Any) -> None:
    """The overview listed BM25's constants for a model whose weighting never reads them; a
    search page past the last said "No film matches (194 in all)"; a "%" typed after #/film/
    gave "URI malformed" instead of saying no film has that id."""
    page = watched.page
    health = _api(served_demo, "/health")
    assert health["model"]["params"]["weighting"] != "bm25"
    page.goto(f"{served_demo.base}/studio/#/overview")
    page.wait_for_selector("text=Served model")
    page.wait_for_selector("td:text-is('weighting')")
    assert page.locator("td:text-is('bm25_k1')").count() == 0
    total = _api(served_demo, "/films?query=the&limit=1")["total"]
    page.goto(f"{served_demo.base}/studio/#/search?q=the&offset=100000")
    page.wait_for_selector(f"text=No film on this page: {total:,} match, past the last page.")
    page.goto(f"{served_demo.base}/studio/#/film/%")
    page.wait_for_selector("text=No film with id")
    assert "URI malformed" not in page.inner_text("body")
    # a catalog film with no interaction, which search cannot list (stood in): named apart
    left = [{"film_id": "90", "title": "Innocents, The (1961)", "year": 1961}]
    page.route("**/films?*", _amended(lambda b: {**b, "not_in_model": left}))
    page.goto(f"{served_demo.base}/studio/#/search?q=innocents")
    page.wait_for_selector("#search-left-out")
    assert "Innocents, The (1961) [90]" in page.inner_text("#search-left-out")
    page.unroute("**/films?*")
    assert not watched.outside_requests


def test_a_built_audience_pages_and_downloads(watched: Any, served_demo: Any) -> None:
    """Lookalikes of 10,000 drew one table of 2,999 rows, and there was no way to take the
    audience away: 25 rows a page now, and every row as a CSV (the server's audience.csv
    columns and its spreadsheet-safety rule, and the segment label)."""
    page = watched.page
    fid, _ = _film(served_demo)
    seeds = [u["user_id"] for u in _api(served_demo, f"/films/{fid}/audience?k=3")["users"]]
    body = _post(served_demo, "/audiences/lookalike", {"seed_user_ids": seeds, "k": 60})
    labels = {s["segment"]: s["label"] for s in _api(served_demo, "/segments")["segments"]}
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", "\n".join(seeds))
    page.fill("#lookalike-k", "60")
    page.get_by_role("button", name="Find lookalikes").click()
    rows = "#lookalike-users tbody tr td:nth-child(2)"
    page.wait_for_selector(rows)
    ids = [u["user_id"] for u in body["users"]]
    assert page.locator(rows).all_inner_texts() == ids[:25]
    page.locator("#lookalike-users").get_by_role("button", name="Next").click()
    page.wait_for_function("n => document.querySelector('#lookalike-users caption')"
                           ".innerText.includes('users 26–50 of 60')", arg=60)
    assert page.locator(rows).all_inner_texts() == ids[25:50]
    with page.expect_download() as dl:
        page.locator("#lookalike-users").get_by_role("button",
                                                     name="Download these 60 users (CSV)").click()
    # named for what it holds: the seeds, k and the model that answered ("lookalikes.csv")
    version = _api(served_demo, "/health")["model"]["model_version"]
    assert dl.value.suggested_filename == file_name("lookalikes", "3seeds", *seeds, "k60",
                                                    version)
    with open(dl.value.path(), encoding="utf-8", newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["user_id", "rank", "score", "percentile", "tier", "segment",
                      "segment_label"]
    # as every CSV of the server and the CLI (README, CSV files): UTF-8 without a BOM, LF
    raw = Path(dl.value.path()).read_bytes()
    assert raw.startswith(b"user_id,") and b"\r" not in raw and raw.endswith(b"\n")
    safe = ("'" + u if u[:1] in ("=", "+", "-", "@", "\t", "\r") else u for u in ids)
    assert [r[0] for r in got[1:]] == list(safe)
    assert [float(r[2]) for r in got[1:]] == [u["score"] for u in body["users"]]
    assert [r[6] for r in got[1:]] == [labels[u["segment"]] for u in body["users"]]
    assert not watched.outside_requests


def test_the_film_page_tidies_its_bookmark_and_names_its_segments_scope(
        watched: Any, served_demo: Any) -> None:
    """Settings a bookmark gave that the page could not use stayed in the address; the
    segments section covered every ring while the portrait covered two, without a word; a
    film picked for a slate left its title and the suggestions in place."""
    page = watched.page
    fid, film = _film(served_demo)
    summary = _api(served_demo, f"/films/{fid}/audience/summary")
    page.goto(f"{served_demo.base}/studio/#/film/{fid}?offset=-3&tier=bogus&segment=99")
    page.wait_for_selector("#segments-scope")
    page.wait_for_function("() => !location.hash.includes('bogus')")
    assert "segment=99" not in page.evaluate("location.hash")
    rings = [t for t in summary["tiers"] if t["rank_range"]]
    users = sum(t["size"] for t in rings)
    assert f"({users:,} users)" in page.inner_text("#segments-scope")
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").wait_for()
    assert page.input_value("#slate-search") == ""
    assert page.locator("ul.found li").count() == 0
    assert not watched.outside_requests


def _untitled(body: Any) -> Any:
    """``body`` with every film's title blanked, as a model trained without a catalog (an
    interactions file alone, FilmTrust) answers: ``"title": ""``."""
    if isinstance(body, dict):
        return {k: ("" if k == "title" else _untitled(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [_untitled(v) for v in body]
    return body


def test_a_film_without_a_title_is_named_by_its_id(watched: Any, served_demo: Any) -> None:
    """A model with no catalog answers "title": "" for every film: the film page's heading
    was blank, the overview's representative films were links with no text, and the slate's
    picker offered buttons reading "Add " and rows with no name."""
    page = watched.page
    fid, _ = _film(served_demo)
    film_id = urllib.parse.unquote(fid)
    for pattern in ("**/films**", "**/segments"):
        page.route(pattern, _amended(_untitled))
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("text=Representative films")
    links = page.locator("#view table a")
    assert links.count() > 0
    assert all(t.strip() for t in links.all_inner_texts()), links.all_inner_texts()

    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#audience-status")
    # headed "Film ID" (a bare number read as a heading of nothing), the tab too
    assert page.locator("h1").inner_text() == f"Film {film_id}"
    assert page.title().startswith(f"Film {film_id}")
    assert page.locator(".film-title").inner_text().startswith(film_id)

    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film_id)
    page.wait_for_selector("ul.found button")
    assert page.locator("ul.found button").first.inner_text().startswith(f"Add {film_id}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#view tbody tr")
    assert page.locator("#view tbody td").first.inner_text() == film_id
    budget = page.locator("#view tbody input").first
    assert budget.get_attribute("aria-label") == f"budget for {film_id}"
    watched.assert_clean()


def test_a_failed_download_says_so_once_and_a_followed_link_keeps_the_focus(
        watched: Any, served_demo: Any) -> None:
    """Each failed click on "Download the plan (CSV)" added one more error box under it; a
    link followed inside the page left the focus on the body (the next Tab went to the
    footer's links): it moves to the new page, as the skip link moves it."""
    page = watched.page
    _, film = _film(served_demo)
    _plan_one(page, served_demo, film)
    page.route("**/plan.csv", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"detail": "the campaign store is down (stood in)"})))
    for clicks in (1, 2, 3):
        page.click("#plan-download")
        page.wait_for_selector(".download-error")
        page.wait_for_timeout(100)  # a late second box would show by now
        assert page.locator(".download-error").count() == 1, clicks
    assert "stood in" in page.inner_text(".download-error")
    page.get_by_role("link", name="Open this campaign").click()
    page.wait_for_selector("text=Uplift against the control group")
    assert page.evaluate("document.activeElement.id") == "view"
    assert not watched.outside_requests


def test_the_reports_absolute_uplift_is_in_percentage_points(watched: Any,
                                                             served_demo: Any) -> None:
    """The absolute uplift (target rate less control rate) showed as "8.13%" beside the
    relative uplift's "38.92%": a difference of rates is percentage points, as the CLI
    ("+8.13 pts") and the chart's axis say. Stood in: a report with an uplift."""
    page = watched.page
    fid, _ = _film(served_demo)
    plan_id = _post(served_demo, "/campaigns/plan", {
        "films": [{"film_id": fid, "budget": 10}], "holdout": 0.2, "waves": 1})["plan_id"]

    def uplift(body: dict[str, Any]) -> dict[str, Any]:
        overall = {**body["overall"],
                   "absolute_uplift": {"estimate": 0.0813, "low": -0.1237, "high": 0.2149},
                   "relative_uplift": {"estimate": 0.3892, "low": -0.3811, "high": 2.1183},
                   "incremental_conversions": {"estimate": 67.915, "low": -3.2, "high": None}}
        return {**body, "overall": overall}

    quoted = urllib.parse.quote(plan_id)
    page.route(f"**/campaigns/{quoted}/report*", _amended(uplift))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{quoted}")
    page.wait_for_selector("text=Uplift against the control group")
    table = page.locator("table:has(caption:text('Uplift against the control group'))")
    row = table.locator("tbody tr").first.inner_text()
    assert "+8.13 pts [-12.37, +21.49]" in row
    assert "8.13%" not in row  # the relative uplift keeps its percent
    assert "+38.92% [-38.11%, +211.83%]" in row  # signed as the points are ("38.92%")
    # the CLI's "+67.92 [-3.20, +inf]" (the Studio read "67.9 [-3.2, –]")
    assert "+67.92 [-3.20, +∞]" in row
    assert "percentage points" in table.locator("thead").inner_text()
    assert not watched.outside_requests


def test_lookalike_and_cold_start_scores_say_what_they_are(watched: Any,
                                                          served_demo: Any) -> None:
    """The Build page's tables headed their score "Score" alone: a lookalike's 0.76 (a mean
    cosine similarity to the seeds) read as a 76% chance; the CLI's legends say what each
    score is, and so does the film page's audience table ("not a probability")."""
    page = watched.page
    fid, film = _film(served_demo)
    seeds = [u["user_id"] for u in _api(served_demo, f"/films/{fid}/audience?k=3")["users"]]
    page.goto(f"{served_demo.base}/studio/#/build")
    page.fill("#seed-ids", "\n".join(seeds))
    page.get_by_role("button", name="Find lookalikes").click()
    page.wait_for_selector("#lookalike-users table")
    head = page.locator("#lookalike-users thead").inner_text()
    assert "cosine similarity" in head and "not a probability" in head
    page.fill("#cold-genres", film["genres"][0])
    page.get_by_role("button", name="Rank the audience").click()
    page.wait_for_selector("#cold-users table")
    head = page.locator("#cold-users thead").inner_text()
    assert "not a probability" in head
    assert not watched.outside_requests


def test_the_overview_says_the_campaign_events_it_counts(watched: Any,
                                                        served_demo: Any) -> None:
    """The Overview's users and interactions count the campaign store's events since
    training, beside the training data's name alone. Stood in: a /health with events."""
    page = watched.page
    events = {"events_applied": 63, "through_seq": 70, "new_users": 2}
    page.route("**/health", _amended(lambda b: {**b, "model": {**b["model"],
                                                               "store_events": events}}))
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("text=Served model")
    facts = page.inner_text("dl.facts")
    assert "(63 campaign events since training included)" in facts
    assert "(2 new from campaign events)" in facts
    # one event: "1 campaign events" read so on the Overview and in the page's source line
    one = {"events_applied": 1, "through_seq": 1, "new_users": 0}
    page.route("**/health", _amended(lambda b: {**b, "model": {**b["model"],
                                                               "store_events": one}}))
    page.goto(f"{served_demo.base}/studio/#/")
    page.reload()
    page.wait_for_selector("text=Served model")
    assert "(1 campaign event since training included)" in page.inner_text("dl.facts")
    page.wait_for_selector("text=with 1 campaign event folded in since training")
    assert not watched.outside_requests


def test_a_plan_whose_values_are_too_far_apart_says_so(watched: Any, served_demo: Any) -> None:
    """Films of value 1e9 and 1 in one slate: the solver's tolerance is relative to the largest
    worth, and the Studio read "within 0.0000% of the best" with no word. The summary's
    ``optimality.note`` (the server's, from a real plan) is shown."""
    page = watched.page
    films = _api(served_demo, "/films?limit=2")["films"]
    page.goto(f"{served_demo.base}/studio/#/plan")
    for film, value in zip(films, ("1000000000", "1"), strict=True):
        page.fill("#slate-search", film["title"].lower())
        page.get_by_role("button", name=f"Add {film['title']}").first.click()
        page.get_by_label(f"budget for {film['title']}").fill("10")
        page.get_by_label(f"value for {film['title']}").fill(value)
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")
    plan_id = page.inner_text("#plan-totals dd").strip()
    note = _api(served_demo, f"/campaigns/{plan_id}")["summary"]["optimality"]["note"]
    assert note and "span 1e+09x" in note
    assert note in page.inner_text("#plan-spread")
    assert not watched.outside_requests


def test_the_next_wave_leaves_out_the_films_ticked(watched: Any, served_demo: Any) -> None:
    """The next wave could only plan every film's remaining budget ("leave them out of the
    waves you send"): a film ticked under "Leave out" is left out from that wave on, and the
    new plan says so; the stored plan holds none of its rows."""
    page = watched.page
    fid, film = _film(served_demo)
    other = _api(served_demo, f"/films/{fid}/similar?k=1")["films"][0]["film_id"]
    plan_id = _post(served_demo, "/campaigns/plan", {
        "films": [{"film_id": film["film_id"], "budget": 20}, {"film_id": other, "budget": 20}],
        "holdout": 0.2, "waves": 2})["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{urllib.parse.quote(plan_id)}?sent_waves=1")
    page.wait_for_selector("text=Uplift against the control group")
    page.get_by_label(f"{film['title']} ({film['film_id']})").check()
    page.click("#next-wave")
    page.wait_for_selector("#plan-left-out")
    left = page.inner_text("#plan-left-out")
    assert film["film_id"] in left and "asked" in left and other not in left
    nxt = urllib.parse.unquote(page.url.split("#/campaigns/")[1].split("?")[0])
    assert nxt != plan_id
    summary = _api(served_demo, f"/campaigns/{urllib.parse.quote(nxt)}")["summary"]
    assert [x["film_id"] for x in summary["left_out"]] == [film["film_id"]]
    with urllib.request.urlopen(f"{served_demo.base}/campaigns/"
                                f"{urllib.parse.quote(nxt)}/plan.csv", timeout=30) as r:
        rows = list(csv.DictReader(r.read().decode().splitlines()))
    assert rows and {r["film_id"] for r in rows} == {other}
    assert not watched.outside_requests


def test_an_unknown_campaign_says_so_and_leads_back(watched: Any, served_demo: Any) -> None:
    """``#/campaigns/<unknown id>`` showed only "Something went wrong: unknown plan_id", with
    no heading and no way back; the film page says "Film not found" and links to search. An
    id holding a "/" reached another route (%2F: the list) and was drawn as a plan (a
    TypeError)."""
    for typed, named in (("plan-no-such-plan", "plan-no-such-plan"), ("%2F", "“/”")):
        not_found_leads_back(watched.page, f"{served_demo.base}/studio/#/campaigns/{typed}",
                             "Campaign not found", named, "See the stored campaigns",
                             "h1:text('Campaigns')")
    watched.console_errors[:] = [e for e in watched.console_errors if "404" not in e]
    watched.assert_clean()


def test_a_csv_download_waits_disabled_and_says_so(watched: Any, served_demo: Any) -> None:
    """The film page's CSV buttons showed nothing while a file was prepared, and a second
    click asked for it again."""
    page = watched.page
    fid, _ = _film(served_demo)
    held: list[Any] = []
    page.route("**/audience.csv**", lambda route: held.append(route))  # held until let go
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.click("#csv-all")
    page.wait_for_function("() => document.querySelector('#csv-all').disabled", timeout=5000)
    assert page.inner_text("#download-status").startswith("Preparing audience_")
    page.click("#csv-all", force=True)  # a second click while it waits asks nothing
    page.wait_for_timeout(200)
    assert len(held) == 1
    with page.expect_download() as dl:
        held[0].continue_()
    assert page.inner_text("#download-status") == f"Downloaded {dl.value.suggested_filename}."
    assert page.locator("#csv-all").is_enabled()
    watched.assert_clean()


def test_large_numbers_carry_thousands_separators(watched: Any, served_demo: Any) -> None:
    """Counts read "12,345" while the Studio's other numbers read "12345.7" (expected
    viewers, conversions, value units). Stood in: a film's demand of 12,345.67 expected new
    viewers; and ``num``, ``pct`` and ``lift`` against Python's own formatting."""
    page = watched.page
    fid, _ = _film(served_demo)
    page.route(f"**/films/{fid}/distribution?*",
               _amended(lambda b: {**b, "expected_new": 12345.67}))
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#dist-total")
    assert "12,345.7 more expected" in page.inner_text("#dist-total")
    page.unroute(f"**/films/{fid}/distribution?*")
    # and rounded as Python rounds, exact ties to even (toFixed gave 102.5 "103", the CLI "102")
    cases = [(12345.678, 1), (-1234.5678, 0), (999.96, 1), (1234567.891, 4), (0.0042, 3),
             (-12.34, 1), (100.0, 2), (1.005, 2), (123456789.0, 0), (102.5, 0), (103.5, 0),
             (0.125, 2), (12.25, 1), (-0.5, 0), (2502.5, 0), (1.002, 3), (1.0625, 1)]
    got = page.evaluate("""async (cases) => {
        const { num, pct, lift } = await import("/studio/assets/js/ui.js");
        return cases.map(([x, d]) => [num(x, d), pct(x / 100, d), lift(x)]);
    }""", cases)
    assert got == [[f"{x:,.{d}f}", f"{100 * (x / 100):.{d}f}%", f"×{x:.3f}"] for x, d in cases]
    assert not watched.outside_requests


def test_the_demand_legend_says_its_shares_are_shown_as_percentages(
        watched: Any, served_demo: Any) -> None:
    """The legend gave the API's unit of a place's share, "(0-1)", under a column showing
    "20.6%"."""
    page = watched.page
    fid, _ = _film(served_demo)
    body = _api(served_demo, f"/films/{fid}/distribution?by=region")
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#dist-units")
    share = f"{100 * body['places'][0]['share']:.1f}%"
    assert share in page.inner_text("table:has(caption:text('Demand by region')) tbody tr")
    said = page.locator("#dist-units dt:text-is('Share of expected total') + dd").text_content()
    assert said == f"{body['units']['share']}; shown here as a percentage"
    watched.assert_clean()


def test_the_seed_is_off_without_a_control_share(watched: Any, served_demo: Any) -> None:
    """The seed draws the control groups only: with a control share of 0 it changed nothing
    (and the server now refuses one other than 0), so its box is off and its value not sent;
    a share above 0 turns it back on and sends it."""
    page = watched.page
    _, film = _film(served_demo)
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").fill("10")
    page.fill("#seed", "5")
    page.fill("#holdout", "0")
    assert page.is_disabled("#seed")
    with page.expect_response("**/campaigns/plan") as answer:
        page.get_by_role("button", name="Plan", exact=True).click()
    assert answer.value.status == 200 and "seed" not in answer.value.request.post_data_json
    page.wait_for_selector("#plan-totals")
    page.fill("#holdout", "0.2")
    assert not page.is_disabled("#seed")
    with page.expect_response("**/campaigns/plan") as answer:
        page.get_by_role("button", name="Plan", exact=True).click()
    assert answer.value.status == 200 and answer.value.request.post_data_json["seed"] == 5
    watched.assert_clean()
