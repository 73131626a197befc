"""After a next wave re-planned a plan's waves 2-3, the plan's "Download the plan (CSV)" still
listed waves 1-3 with no word beside it: a marketer could send wave 2 from it to users the next
wave holds out as controls. The download holds wave 1 alone, and a warning beside the button
names the next wave (a link to it). Oracle: the server's own rows of the plan, read directly
from plan.csv before the next wave was planned."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from studio_http import api, api_text, stored_plan


def test_download_leaves_out_replaced_waves(served_demo: Any, watched: Any, tmp_path: Path
                                            ) -> None:
    page = watched.page
    first = stored_plan(served_demo, 51, budget=30, waves=3, seed=43)["plan_id"]
    text = api_text(served_demo, f"/campaigns/{first}/plan.csv")
    before = list(csv.DictReader(io.StringIO(text)))
    assert {r["wave"] for r in before} == {"1", "2", "3"}
    nxt = api(served_demo, f"/campaigns/{first}/next", {"sent_waves": 1})["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first}")
    page.wait_for_selector("#report table")
    note = page.locator("#plan-download-note")
    assert note.is_visible()
    assert "Waves 2–3 are left out of this download" in note.inner_text()
    assert note.locator("a").inner_text() == nxt
    with page.expect_download() as dl:
        page.locator("#plan-download").click()
    dl.value.save_as(tmp_path / "plan.csv")
    got = list(csv.DictReader(io.StringIO((tmp_path / "plan.csv").read_text())))
    assert got == [r for r in before if r["wave"] == "1"]
    # the next wave's own page: nothing re-plans its waves, no warning
    note.locator("a").click()
    page.wait_for_selector("#report table")
    assert not page.locator("#plan-download-note").is_visible()
    assert watched.axe() == []
    watched.assert_clean()
