"""The Studio's list of stored plans marks a plan whose stored summary is damaged with what
could not be read (``GET /campaigns``' ``incomplete``): its row showed no films and 0
contacts as if whole. The oracle: the server's own list entry, read directly; a whole plan's
row carries no mark."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api


@pytest.fixture(scope="module")
def served_damaged(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own (a summary damaged here breaks no other list)."""
    yield from serve_own_store(demo_folders, "damaged-list")


def test_a_damaged_plan_is_marked_incomplete(served_damaged: Any, watched: Any) -> None:
    films = api(served_damaged, "/films?limit=2")["films"]
    ids = [api(served_damaged, "/campaigns/plan",
               {"films": [{"film_id": f["film_id"], "budget": 20}], "seed": 7 + n})["plan_id"]
           for n, f in enumerate(films)]
    damaged, whole = ids
    db = Path(served_damaged.model).parent / "damaged-list" / "campaigns.db"
    with sqlite3.connect(db) as con:
        summary = json.loads(con.execute("SELECT summary FROM campaign_plans WHERE plan_id = ?",
                                         (damaged,)).fetchone()[0])
        del summary["films"][0]["film_id"]
        summary["totals"] = "x"
        con.execute("UPDATE campaign_plans SET summary = ? WHERE plan_id = ?",
                    (json.dumps(summary), damaged))
    listed = {p["plan_id"]: p for p in api(served_damaged, "/campaigns")["plans"]}
    assert listed[damaged]["incomplete"] == ["films[0].film_id", "totals"]
    assert listed[whole]["incomplete"] == []
    page = watched.page
    page.goto(f"{served_damaged.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    row = page.locator("tbody tr", has=page.locator(f"a:text-is('{damaged}')"))
    assert row.locator(".plan-incomplete").inner_text().strip() == (
        f"(incomplete: {', '.join(listed[damaged]['incomplete'])})")
    other = page.locator("tbody tr", has=page.locator(f"a:text-is('{whole}')"))
    assert other.locator(".plan-incomplete").count() == 0
    assert not watched.console_errors and not watched.outside_requests
