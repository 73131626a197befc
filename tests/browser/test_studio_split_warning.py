"""A plan whose holdout splits targets and controls far from evenly says so in the Studio: the
plan's summary (``#plan-split``) and the report's Note column carry the server's
``split_warning`` (no browser test read either). The Note column ran a block's sentences
together without a stop ("... of their own film and wave 380 targets against ..."); each
ends with its own now. Oracle: the server's own answers."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from conftest import Served
from studio_http import api


def test_a_lopsided_plan_and_its_report_say_the_split_warning(watched: Any,
                                                              served_demo: Served) -> None:
    page = watched.page
    fid = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    plan = api(served_demo, "/campaigns/plan", {"films": [{"film_id": fid, "budget": 20}],
                                                "holdout": 0.95, "waves": 1, "seed": 3})
    said = plan["summary"]["split_warning"]
    assert said.startswith("20 targets against ")
    plan_id = urllib.parse.quote(plan["plan_id"])
    report = api(served_demo, f"/campaigns/{plan_id}/report")
    block = report["overall"]["split_warning"]
    assert block and "warning" not in report["overall"]
    note = "stood in: 3 targets are in waves of a film with no control group"

    def with_note(route: Any) -> None:  # a block with a note beside its split warning
        real = route.fetch()
        body = real.json()
        body["overall"]["note"] = note
        route.fulfill(status=real.status, content_type="application/json",
                      body=json.dumps(body))

    page.route(re.compile(r".*/campaigns/plan-[0-9a-f]+/report(\?.*)?$"), with_note)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("text=Uplift against the control group")
    assert page.inner_text("#plan-split") == f"{said}."
    table = page.inner_text("table:has(caption:text('Uplift against the control group'))")
    assert f"{note}. {block}." in table, table
    watched.assert_clean()
