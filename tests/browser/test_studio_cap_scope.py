"""The plan form's cap scope: "all stored campaigns" sends ``cap_scope: store`` (the stored
plan's parameters say so, and it shares no user with the store's earlier plans, read back
over HTTP), the plan says whom the store's other plans kept out, in its summary's own counts,
and the choice is kept for the tab as the other fields are; "this plan only" sends none."""

from __future__ import annotations

import csv
import io
import json
import urllib.parse
from typing import Any

import pytest
from studio_http import api, api_text


@pytest.fixture(scope="module")
def example_film(served_demo: Any) -> dict[str, Any]:
    manifest = json.loads((served_demo.data / "demo.json").read_text())
    return api(served_demo, f"/films/{urllib.parse.quote(manifest['example_film_id'])}")


def _users(served: Any, plan_id: str) -> set[str]:
    text = api_text(served, f"/campaigns/{plan_id}/plan.csv")
    return {r["user_id"] for r in csv.DictReader(io.StringIO(text))}


def test_the_cap_scope_is_sent_kept_and_said(watched: Any, served_demo: Any,
                                             example_film: dict[str, Any]) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/plan")
    assert page.input_value("#cap-scope") == "plan"  # the default: as before
    page.fill("#slate-search", example_film["title"].lower())
    page.get_by_role("button", name=f"Add {example_film['title']}").first.click()
    page.get_by_label(f"budget for {example_film['title']}").fill("20")
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")
    first = page.inner_text("#plan-totals dd >> nth=0")
    assert api(served_demo, f"/campaigns/{first}")["summary"]["parameters"]["cap_scope"] == "plan"
    assert page.locator("#plan-cap-scope").count() == 0
    page.select_option("#cap-scope", "store")
    page.reload()  # kept for the tab
    page.wait_for_selector("#cap-scope")
    assert page.input_value("#cap-scope") == "store"
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-cap-scope")
    second = page.inner_text("#plan-totals dd >> nth=0")
    summary = api(served_demo, f"/campaigns/{second}")["summary"]
    assert summary["parameters"]["cap_scope"] == "store"
    info = summary["cap_scope"]
    assert info["users_excluded"] >= len(_users(served_demo, first)) > 0
    note = page.inner_text("#plan-cap-scope")
    assert f"{info['plans']:,} other stored plan(s)" in note
    assert f"{info['users_excluded']:,} user" in note and "none (not planned)" in note
    assert not _users(served_demo, first) & _users(served_demo, second)
    watched.assert_clean()
