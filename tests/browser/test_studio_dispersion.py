"""The campaign report page says, where it is seen, when the places' conversions vary more than
one rate per film and wave allows (the report's ``dispersion`` check): the server's sentence was in
the folded "How the API says it counted" only. Oracle: the server's own report body."""

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
def served_shock(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a store of its own: the events posted here move no other test's
    audiences."""
    yield from serve_own_store(demo_folders, "dispersion-events")


def test_a_shock_by_place_is_said_on_the_report(served_shock: Any, watched: Any,
                                                demo_folders: tuple[Path, Path, Path]) -> None:
    page = watched.page
    _, data, _ = demo_folders
    with (data / "users.csv").open(encoding="utf-8") as f:
        region = {r["user_id"]: r["region"] for r in csv.DictReader(f)}
    films = [f["film_id"] for f in api(served_shock, "/films?limit=3")["films"]]
    plan = api(served_shock, "/campaigns/plan",
               {"films": [{"film_id": f, "budget": 300} for f in films], "seed": 5})
    pid = plan["plan_id"]
    start = api(served_shock, f"/campaigns/{pid}/report")["start"]
    rows = list(csv.DictReader(io.StringIO(api_text(served_shock,
                                                    f"/campaigns/{pid}/plan.csv"))))
    targets = [r for r in rows if r["group"] == "target"]
    shocked = sorted({region[r["user_id"]] for r in targets})[0]
    # every target of one region converts, one in ten elsewhere: a shock by place
    converted = [r for n, r in enumerate(targets)
                 if region[r["user_id"]] == shocked or n % 10 == 0]
    events = [{"event_id": f"shock-{n}", "user_id": r["user_id"], "film_id": r["film_id"],
               "timestamp": start + 3600} for n, r in enumerate(converted)]
    api(served_shock, "/events", {"events": events})
    block = api(served_shock, f"/campaigns/{pid}/report")["dispersion"]
    assert block["beyond_chance"] is True and block["targets"]["beyond_chance"] is True
    page.goto(f"{served_shock.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    warning = page.locator("#report-dispersion")
    assert warning.is_visible()
    said = warning.inner_text()
    assert said.startswith(f"Conversion rates vary across the model's places "
                           f"({block['attribute']}) more than one rate per film and wave "
                           "allows")
    phi = block["targets"]["phi"]
    assert f"the targets: phi {phi:.2f}" in said, said
    assert "cannot tell apart" in said and "describe this campaign, not a forecast" in said
    assert "relative uplift" in said
    watched.assert_clean()


def test_no_word_where_the_places_vary_within_chance(served_shock: Any, watched: Any) -> None:
    page = watched.page
    film = api(served_shock, "/films?limit=1")["films"][0]["film_id"]
    pid = api(served_shock, "/campaigns/plan",
              {"films": [{"film_id": film, "budget": 20}], "seed": 6})["plan_id"]
    assert api(served_shock, f"/campaigns/{pid}/report")["dispersion"]["beyond_chance"] \
        is not True
    page.goto(f"{served_shock.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    assert page.locator("#report-dispersion").count() == 0
    watched.assert_clean()
