"""A campaign page showed one plan's report: a next wave's page had no view of the campaign as
a whole (the API's ``GET /campaigns/{id}/report?chain=true``, the CLI's ``campaign report
--chain``). Its "Whole campaign" section now shows each plan of the chain over its sent waves
and the uplift pooled over every (plan, film, wave); the campaign's first plan says its own
report is the whole campaign's. Oracle: the chain report the server answers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import Served, serve_own_store
from studio_http import api, api_text


@pytest.fixture(scope="module")
def served_chain(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own: the events posted here move no other test's
    reports."""
    yield from serve_own_store(demo_folders, "whole-campaign")


def signed(x: float | None, unit: str = "") -> str:
    """A share as the single report writes it: signed, in hundredths, to 2 decimals."""
    return "–" if x is None else f"{'+' if x >= 0 else ''}{100 * x:.2f}{unit}"


def points(v: dict[str, Any]) -> str:
    """An absolute uplift with its 95% interval, in percentage points (the report's form)."""
    high = "+∞" if v["high"] is None else signed(v["high"])
    estimate = "–" if v["estimate"] is None else f"{signed(v['estimate'])} pts"
    return f"{estimate} [{signed(v['low'])}, {high}]"


def converted(served: Served, plan_id: str, every: int) -> None:
    """Post a conversion, an hour into the report's window, for every ``every``-th row of
    ``plan_id``'s plan (targets and controls alike), so its uplift has conversions to count."""
    start = api(served, f"/campaigns/{plan_id}/report")["start"]
    rows = list(csv.DictReader(io.StringIO(api_text(served, f"/campaigns/{plan_id}/plan.csv"))))
    events = [{"event_id": f"{plan_id}-{n}", "user_id": r["user_id"], "film_id": r["film_id"],
               "timestamp": start + 3600} for n, r in enumerate(rows) if n % every == 0]
    api(served, "/events", {"events": events})


def test_a_next_waves_page_shows_the_whole_campaign(served_chain: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_chain, "/films?limit=1")["films"][0]["film_id"]
    root = api(served_chain, "/campaigns/plan", {"films": [{"film_id": film, "budget": 90}],
                                                 "waves": 3, "seed": 7})["plan_id"]
    converted(served_chain, root, 3)
    nxt = api(served_chain, f"/campaigns/{root}/next", {"sent_waves": 1})["plan_id"]
    converted(served_chain, nxt, 2)
    chain = api(served_chain, f"/campaigns/{nxt}/report?chain=true")
    assert chain["chain"] == [root, nxt] and chain["pooled"]["plans_count"] == 2
    pooled = chain["pooled"]
    assert pooled["target_conversions"] + pooled["control_conversions"] > 0  # counted some
    asked: list[dict[str, list[str]]] = []
    page.on("request", lambda r: asked.append(parse_qs(urlparse(r.url).query))
            if urlparse(r.url).path.endswith("/report") else None)
    with page.expect_response(lambda r: "chain=true" in r.url and r.ok):
        page.goto(f"{served_chain.base}/studio/#/campaigns/{nxt}")
    page.wait_for_selector("#whole-campaign-pooled")
    assert page.inner_text("#whole-campaign-absolute") == points(pooled["absolute_uplift"])
    said = page.inner_text("#whole-campaign-pooled")
    assert said.startswith("Pooled over 2 plans (") and f"{pooled['strata']} strata" in said
    # a row per plan, oldest first, its targets the server's, then the pooled row
    table = page.locator("#whole-campaign table")
    first = table.locator("tbody tr td:nth-child(1)").all_inner_texts()
    assert [t.split(" ")[0] for t in first] == [root, nxt, "Pooled"]
    targets = table.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert targets == [f"{b['targets']:,}" for b in
                       [*(p["overall"] for p in chain["plans"]), pooled]]
    assert "the campaign's wave 1)" in first[0]  # the root's wave 1 was sent before nxt
    # the server's note in its words
    assert chain["note"] in page.inner_text("#whole-campaign-note")
    assert "null" not in page.inner_text("#whole-campaign")  # a missing part drew "null"
    # the chain asked for the waves and window the plan's own report was asked with
    chained = [q for q in asked if q.get("chain") == ["true"]]
    assert len(chained) == 1 and "sent_waves" not in chained[0]
    # a window typed asks for the chain again, in that window
    with page.expect_response(lambda r: "chain=true" in r.url and "window_days=7" in r.url):
        page.fill("#report-window", "7")
        page.press("#report-window", "Tab")  # left: its change asks
    seven = api(served_chain, f"/campaigns/{nxt}/report?chain=true&window_days=7")
    page.wait_for_function("(want) => document.querySelector('#whole-campaign-absolute')"
                           "?.textContent === want", arg=points(seven["pooled"]["absolute_uplift"]))
    assert "within 7 days" in page.inner_text("#whole-campaign-window")
    assert watched.axe() == []
    # the campaign's first plan: its own report is the whole campaign's, and no chain is asked
    asked.clear()
    page.goto(f"{served_chain.base}/studio/#/campaigns/{root}")
    page.wait_for_selector("#report table")
    assert "the report above is the whole campaign's" in page.inner_text("#whole-campaign-empty")
    assert not [q for q in asked if q.get("chain") == ["true"]]
    watched.assert_clean()


def test_a_chain_of_no_plan_says_no_wave_in_words(served_chain: Any, watched: Any) -> None:
    """A chain report with no plan in it (the page's answer amended here): its pooled
    sentence read "the campaign's waves 1–0"; it says no wave was counted."""
    page = watched.page
    film = api(served_chain, "/films?limit=1")["films"][0]["film_id"]
    root = api(served_chain, "/campaigns/plan", {"films": [{"film_id": film, "budget": 60}],
                                                 "waves": 2, "seed": 3})["plan_id"]
    nxt = api(served_chain, f"/campaigns/{root}/next", {"sent_waves": 1})["plan_id"]

    def empty(route: Any) -> None:
        body = route.fetch().json()
        body["plans"] = []
        body["pooled"] = {**body["pooled"], "plans_count": 0, "strata": 0,
                          "no_estimate": "no plan of the chain sent a wave"}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/report?*chain=true*", empty)
    page.goto(f"{served_chain.base}/studio/#/campaigns/{nxt}")
    page.wait_for_selector("#whole-campaign-pooled")
    said = page.inner_text("#whole-campaign-pooled")
    assert said.startswith("Pooled over 0 plans (0 strata of a plan, a film and a wave; no "
                           "wave of the campaign counted): no uplift is measured"), said
    assert "1–0" not in said
    watched.assert_clean()
