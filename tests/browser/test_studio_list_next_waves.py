"""The Campaigns list's "continued in" mark named only the next waves on the same page of 100,
and counted one withdrawn before any send (which continues nothing). It reads each plan's
``next_plan_ids`` from the server now. Oracle: the plans made and withdrawn here; the next wave
is taken off the page the list is answered (as if on another page)."""

from __future__ import annotations

import json
import re
from typing import Any

from studio_http import api, stored_plan


def test_continued_in_names_next_waves_of_other_pages_and_not_dead_ones(
        served_demo: Any, watched: Any) -> None:
    page = watched.page
    root = stored_plan(served_demo, 58, budget=40, waves=3, seed=58)["plan_id"]
    live = api(served_demo, f"/campaigns/{root}/next", {"sent_waves": 1})["plan_id"]
    dead = api(served_demo, f"/campaigns/{root}/next", {"sent_waves": 1, "seed": 9})["plan_id"]
    api(served_demo, f"/campaigns/{dead}/withdraw", {"sent_waves": 0})

    def elsewhere(route: Any) -> None:  # the live next wave is on another page
        body = route.fetch().json()
        body["plans"] = [p for p in body["plans"] if p["plan_id"] != live]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route(re.compile(r"/campaigns\?limit="), elsewhere)
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    (text,) = [t for t in page.locator("tbody tr td:first-child").all_inner_texts()
               if t.startswith(root)]  # the root's own row
    assert f"continued in {live})" in text, text
    assert dead not in text, text
    assert page.locator(f"td a[href='#/campaigns/{live}']").count() == 1  # the mark's alone
    watched.assert_clean()
