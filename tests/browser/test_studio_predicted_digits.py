"""A report's predicted target conversions were shown to one decimal, so a short window's
non-zero prediction (``predicted_target_conversions`` 0.03) read 0.0, as if nothing were
predicted. The Studio writes them as the CLI's report does: one decimal from 1 on, 2
significant digits below, an exact zero 0.0. Oracle: the CLI's ``expected_text`` (its
thousands grouped by a comma in the Studio, as every Studio count)."""

from __future__ import annotations

import json
from typing import Any

from studio_http import stored_plan

from recommender.cli.report_text import expected_text

CASES = [0.03, 0.0, 0.0004123, 0.996, 0.0996, 0.125, 0.015, 0.5, 0.99, 0.999, 1.0, 1.04,
         36.45, 12345.67, 0.00999, 0.1, 2.5e-7, 0.0625, 0.35]


def test_predicted_conversions_below_one_keep_two_significant_digits(
        watched: Any, served_demo: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 88, budget=20, waves=1, seed=5)
    pid = plan["plan_id"]

    def small(route: Any) -> None:
        real = route.fetch()
        body = real.json()
        body["overall"]["predicted_target_conversions"] = 0.03
        route.fulfill(status=real.status, content_type="application/json",
                      body=json.dumps(body))

    page.route(f"**/campaigns/{pid}/report*", small)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    heads, first = page.evaluate("""() => {
        const t = document.querySelector("#report table");
        const texts = (cells) => [...cells].map((c) => c.textContent);
        return [texts(t.querySelectorAll("thead th")),
                texts(t.querySelectorAll("tbody tr")[0].querySelectorAll("td"))];
    }""")
    column = next(i for i, h in enumerate(heads) if h.startswith("Predicted target conversions"))
    assert first[0] == "overall"
    assert first[column] == expected_text(0.03) == "0.030"
    page.unroute(f"**/campaigns/{pid}/report*")
    got = page.evaluate("""async (cases) => {
        const { expectedCount } = await import("/studio/assets/js/ui.js");
        return cases.map(expectedCount);
    }""", CASES)
    assert [g.replace(",", "") for g in got] == [expected_text(x) for x in CASES]
    assert got[CASES.index(12345.67)] == "12,345.7"
    assert not watched.outside_requests
