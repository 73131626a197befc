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
from conftest import Served, serve_own_store
from studio_http import api, api_text


@pytest.fixture(scope="module")
def served_events(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own: the events posted here move no other test's
    audiences."""
    yield from serve_own_store(demo_folders, "early-events")


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
    assert said.startswith("6 of the plan's rows (a user and a film) had an event for that film "
                           "in the day before")
    assert "not counted" in said and "clock" in said  # the server's diagnosis, said too
    watched.assert_clean()


def test_early_rows_are_said_as_rows_not_users(served_events: Any, watched: Any) -> None:
    """A user planned two films (cap 2) with an event for each in the day before is two of the
    server's early_conversions: the page said "2 of the plan's users" for one user."""
    page = watched.page
    films = [f["film_id"] for f in api(served_events, "/films?limit=6")["films"]]
    plan = api(served_events, "/campaigns/plan",
               {"films": [{"film_id": f, "budget": 200} for f in films], "cap": 2, "seed": 4})
    pid = plan["plan_id"]
    start = api(served_events, f"/campaigns/{pid}/report")["start"]
    rows = list(csv.DictReader(io.StringIO(api_text(served_events, f"/campaigns/{pid}/plan.csv"))))
    by_user: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_user.setdefault(r["user_id"], []).append(r)
    both = next(rs for rs in by_user.values() if len(rs) == 2)
    events = [{"event_id": f"early-both-{n}", "user_id": r["user_id"], "film_id": r["film_id"],
               "timestamp": start - 3600} for n, r in enumerate(both)]
    api(served_events, "/events", {"events": events})
    assert api(served_events, f"/campaigns/{pid}/report")["early_conversions"] == 2
    page.goto(f"{served_events.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    said = page.locator("#report-early").inner_text()
    assert said.startswith("2 of the plan's rows (a user and a film) had an event"), said
    watched.assert_clean()
