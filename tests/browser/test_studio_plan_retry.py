"""A plan that repeats a stored one (the same slate, model and parameters: a retry without an
idempotency key) leaves out the first plan's pairs, and its answer names that plan
(``held_out_elsewhere.same_request``) and says what to do (``retry_warning``): the Studio
showed neither. The campaign page now says both above the plan's figures, each repeated plan a
link. Oracle: the second plan's summary as the server stores it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api


@pytest.fixture(scope="module")
def served_retries(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a campaign store of this module's own."""
    yield from serve_own_store(demo_folders, "plan-retry")


def test_a_retried_plan_names_the_plan_it_repeats(served_retries: Served, watched: Any) -> None:
    page = watched.page
    film = api(served_retries, "/films?limit=1")["films"][0]["film_id"]
    body = {"films": [{"film_id": film, "budget": 15}], "seed": 8}
    first = api(served_retries, "/campaigns/plan", body)["plan_id"]
    again = api(served_retries, "/campaigns/plan", body)["plan_id"]
    summary = api(served_retries, f"/campaigns/{again}")["summary"]
    twins = summary["held_out_elsewhere"]["same_request"]
    assert [t["plan_id"] for t in twins] == [first] and first in summary["retry_warning"]
    page.goto(f"{served_retries.base}/studio/#/campaigns/{again}")
    said = page.locator("#plan-retry")
    said.wait_for()
    text = said.inner_text()
    assert text.startswith("Perhaps a retry: " + summary["retry_warning"])
    assert f"The same request, stored before: {first} (stored {twins[0]['created']})." in text
    said.get_by_role("link", name=first).click()
    page.wait_for_selector(f"h1:has-text('Campaign {first}')")
    # the plan repeated by none says nothing of it
    assert page.locator("#plan-retry").count() == 0
    watched.assert_clean()
