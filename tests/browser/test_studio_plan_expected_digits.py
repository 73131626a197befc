"""A plan's expected conversions were shown to one decimal on the plan page (its totals and its
per-film column) and in the campaigns list (the whole plan's column and its sent / still planned
waves), so a small plan's 0.03 read 0.0, as if nothing were expected, while the report beside
it kept 2 significant digits below 1. They are now written as the report's predicted
conversions are: one decimal from 1 on, 2 significant digits below. Oracle: the CLI report's
``expected_text`` of the figures the server's answers are made to carry."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from studio_http import api, stored_plan

from recommender.cli.report_text import expected_text

TOTAL, FILM = 0.0304, 0.00412  # (film, user) pairs, as a plan's summary counts them


def _cells(page: Any, table: str, header: str) -> list[str]:
    """The texts of ``table``'s column whose header starts with ``header``, row by row."""
    return list(page.evaluate("""([sel, head]) => {
        const t = document.querySelector(sel);
        const i = [...t.querySelectorAll("thead th")]
          .findIndex((c) => c.textContent.startsWith(head));
        return [...t.querySelectorAll("tbody tr")]
          .map((r) => r.querySelectorAll("td, th")[i].textContent);
    }""", [table, header]))


def test_the_plan_page_keeps_two_significant_digits_below_one(watched: Any,
                                                              served_demo: Any) -> None:
    page = watched.page
    film = [f for f in api(served_demo, "/films?limit=60")["films"] if f["title"]][47]

    def small(route: Any) -> None:
        real = route.fetch()
        body = real.json()
        body["summary"]["totals"]["expected_conversions"] = TOTAL
        body["summary"]["films"][0]["expected_conversions"] = FILM
        route.fulfill(status=real.status, content_type="application/json", body=json.dumps(body))

    page.route("**/campaigns/plan", small)
    page.goto(f"{served_demo.base}/studio/#/plan")
    page.fill("#slate-search", film["title"].lower())
    page.get_by_role("button", name=f"Add {film['title']}").first.click()
    page.get_by_label(f"budget for {film['title']}").fill("9")
    page.get_by_role("button", name="Plan", exact=True).click()
    said = page.locator("#plan-expected")
    said.wait_for()
    assert said.inner_text().startswith(f"{expected_text(TOTAL)} (film, user) pairs")
    assert expected_text(TOTAL) == "0.030"
    assert _cells(page, "#plan-result table", "Expected conversions") == [expected_text(FILM)]
    assert expected_text(FILM) == "0.0041"
    watched.assert_clean()


def test_the_campaigns_list_keeps_two_significant_digits_below_one(watched: Any,
                                                                   served_demo: Any) -> None:
    page = watched.page
    pid = stored_plan(served_demo, 53, budget=6, seed=3, waves=2)["plan_id"]
    seen: list[dict[str, Any]] = []

    def small(route: Any) -> None:
        real = route.fetch()
        body = real.json()
        row = next(p for p in body["plans"] if p["plan_id"] == pid)
        row["totals"]["expected_conversions"] = TOTAL
        for w in row["per_wave"]:
            w["expected_conversions"] = TOTAL / len(row["per_wave"])
        seen.append(row)
        route.fulfill(status=real.status, content_type="application/json", body=json.dumps(body))

    page.route(lambda url: urllib.parse.urlsplit(url).path == "/campaigns", small)
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    row = page.locator("#view tbody tr", has=page.get_by_role("link", name=pid, exact=True))
    row.wait_for()
    assert len(seen) == 1 and len(seen[0]["per_wave"]) == 2
    heads = page.locator("#view thead th").all_inner_texts()
    cells = row.locator("td, th").all_inner_texts()
    expected = cells[heads.index("Expected conversions")]
    assert expected.split(" ")[0] == expected_text(TOTAL)
    waves = sum(w["expected_conversions"] for w in seen[0]["per_wave"])
    pending = row.locator(".plan-pending").inner_text()
    assert f", {expected_text(waves)} expected conversions." in pending
    watched.assert_clean()
