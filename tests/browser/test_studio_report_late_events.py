"""Events dated after the report's time (the store takes them up to a day past its clock) are
counted, and the report's body says how many (``events_after_as_of``): the Studio's count of
events read said nothing of them. Oracle: the report body the server answers."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api, api_text


@pytest.fixture(scope="module")
def served_late(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own: the events posted here move no other test's
    reports."""
    yield from serve_own_store(demo_folders, "late-events")


def test_events_dated_after_the_report_are_counted_and_said(served_late: Served, watched: Any
                                                           ) -> None:
    page = watched.page
    film = api(served_late, "/films?limit=1")["films"][0]["film_id"]
    pid = api(served_late, "/campaigns/plan",
              {"films": [{"film_id": film, "budget": 20}], "seed": 9})["plan_id"]
    rows = list(csv.DictReader(io.StringIO(api_text(served_late, f"/campaigns/{pid}/plan.csv"))))
    later = int(time.time()) + 3 * 3600  # within the day the store takes ahead of its clock
    api(served_late, "/events", {"events": [
        {"event_id": f"late-{n}", "user_id": r["user_id"], "film_id": r["film_id"],
         "timestamp": later} for n, r in enumerate(rows[:2])]})
    report = api(served_late, f"/campaigns/{pid}/report")
    assert report["events_after_as_of"] == 2 and report["events_read"] >= 2
    page.goto(f"{served_late.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    said = page.inner_text("#report-events")
    m = re.search(r"\(2 of them dated after the report's time, (\S+Z): counted all the same\)",
                  said)
    assert m, said
    shown = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(shown.timestamp() - report["as_of"]) < 120  # its own report's time
    assert said.startswith(f"{report['events_read']:,} events read in the window (2 of them")
    watched.assert_clean()


def test_no_word_without_later_events(served_late: Served, watched: Any) -> None:
    page = watched.page
    film = api(served_late, "/films?limit=2")["films"][1]["film_id"]
    pid = api(served_late, "/campaigns/plan",
              {"films": [{"film_id": film, "budget": 20}], "seed": 10})["plan_id"]
    assert api(served_late, f"/campaigns/{pid}/report")["events_after_as_of"] == 0
    page.goto(f"{served_late.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    assert "dated after" not in page.inner_text("#report-events")
    watched.assert_clean()
