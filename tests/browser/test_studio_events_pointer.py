"""Nothing in the Studio said how conversions get in: a report of "0 events read in the window",
every conversion 0, gave no pointer. Under a report that read no event, a note names the ways
events are recorded (`recommender events import`, `POST /events`) and the README section;
gone once events are read. Oracle: the report's events_read as the server answers it."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api, api_text

SECTION = "Closing the loop: responses, uplift, the next wave"


@pytest.fixture(scope="module")
def served_pointer(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own: its plans read no other test's events."""
    yield from serve_own_store(demo_folders, "events-pointer")


def test_a_report_of_no_event_says_how_events_are_recorded(served_pointer: Served,
                                                          watched: Any) -> None:
    page = watched.page
    film = api(served_pointer, "/films?limit=1")["films"][0]["film_id"]
    pid = api(served_pointer, "/campaigns/plan",
              {"films": [{"film_id": film, "budget": 20}], "seed": 21})["plan_id"]
    assert api(served_pointer, f"/campaigns/{pid}/report")["events_read"] == 0
    page.goto(f"{served_pointer.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    assert page.inner_text("#report-events").startswith("0 events read in the window")
    how = page.inner_text("#report-events-how")
    assert "recommender events import --store STORE FILE" in how and "POST /events" in how
    assert f"README: “{SECTION}”" in how
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"\n## {SECTION}\n" in readme  # the section named is the README's
    # events of the plan's users read: no pointer
    rows = list(csv.DictReader(io.StringIO(api_text(served_pointer, f"/campaigns/{pid}/plan.csv"))))
    now = int(time.time())
    api(served_pointer, "/events", {"events": [
        {"event_id": f"pointer-{n}", "user_id": r["user_id"], "film_id": r["film_id"],
         "timestamp": now} for n, r in enumerate(rows[:2])]})
    assert api(served_pointer, f"/campaigns/{pid}/report")["events_read"] >= 2
    page.reload()
    page.wait_for_selector("#report table")
    assert not page.inner_text("#report-events").startswith("0 events")
    assert page.locator("#report-events-how").count() == 0
    watched.assert_clean()
