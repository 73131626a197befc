"""The campaign report says, where it is seen, that responses dated in the day before the plan
were not counted (``early_conversions``): the page showed "0 events read" and no conversion,
the reason only in the folded "How the API says it counted". Oracle: the server's report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _serve
from studio_http import api, api_text


@pytest.fixture(scope="module")
def served_events(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own: the events posted here move no other test's
    audiences."""
    model, data, root = demo_folders
    own = root / "early-events"
    own.mkdir(exist_ok=True)
    yield from _serve(model, data, own)


def test_responses_before_the_plan_are_said(served_events: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_events, "/films?limit=1")["films"][0]["film_id"]
    plan = api(served_events, "/campaigns/plan",
               {"films": [{"film_id": film, "budget": 20}], "seed": 3})
    pid = plan["plan_id"]
    start = api(served_events, f"/campaigns/{pid}/report")["start"]
    rows = list(csv.DictReader(io.StringIO(api_text(served_events, f"/campaigns/{pid}/plan.csv"))))
    events = [{"event_id": f"early-{n}", "user_id": r["user_id"], "film_id": r["film_id"],
               "timestamp": start - 3600} for n, r in enumerate(rows[:6])]
    api(served_events, "/events", {"events": events})
    report = api(served_events, f"/campaigns/{pid}/report")
    assert report["early_conversions"] == 6 and report["events_read"] == 0
    page.goto(f"{served_events.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    early = page.locator("#report-early")
    assert early.is_visible()
    said = early.inner_text()
    assert said.startswith("6 of the plan's users had an event for their film in the day before")
    assert "not counted" in said and "clock" in said  # the server's diagnosis, said too
    watched.assert_clean()
