"""A refusal marks the fields it names ``aria-invalid`` until they are changed or the box goes.
Two paths left the mark behind: a seed file uploaded into a list refused as empty (the list was
filled without an input event: it stayed marked while holding ids), and the box taken away
with the page around it (only the box's parent was watched: a page left for another kept its
fields marked, and the watch alive). Oracle: the attribute on the very elements refused (held
by handle across the page change), and on fields whose refusal still stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio_http import api

MARKED = "(e) => e.getAttribute('aria-invalid')"


def _settled(page: Any) -> None:
    """Every mutation observer's callback run (they run after the task that changed the DOM)."""
    page.evaluate("() => new Promise((r) => setTimeout(r, 0))")


def test_marks_go_with_their_box_and_stay_with_a_standing_refusal(
        watched: Any, served_demo: Any, tmp_path: Path) -> None:
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    users = [u["user_id"] for u in api(served_demo, f"/films/{film}/audience?k=2")["users"]]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(users) + "\n", encoding="utf-8")
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    looks = page.get_by_role("button", name="Find lookalikes")
    looks.click()
    page.locator("#lookalike-out [role=alert]").wait_for()
    assert page.get_attribute("#seed-ids", "aria-invalid") == "true"
    # the list filled by a file: no longer the list refused
    page.set_input_files("#seed-file", str(seeds))
    page.wait_for_function("() => document.getElementById('seed-ids').value.length > 0")
    _settled(page)
    assert page.get_attribute("#seed-ids", "aria-invalid") is None

    # refused again (the file emptied), and the new film's form refused beside it
    page.fill("#seed-ids", "")
    looks.click()
    page.get_by_role("button", name="Rank the audience").click()
    page.locator("#cold-out [role=alert]").wait_for()
    _settled(page)
    # a refusal standing (the other form's box came; the list's box was drawn again by a
    # second refusal of the same field): the mark stays
    looks.click()
    _settled(page)
    assert page.get_attribute("#seed-ids", "aria-invalid") == "true"
    assert page.get_attribute("#cold-genres", "aria-invalid") == "true"
    assert page.get_attribute("#comparable-search", "aria-invalid") == "true"
    refused = [page.query_selector(s) for s in ("#seed-ids", "#cold-genres", "#comparable-search")]
    # the page left for another: its boxes go, and with them every mark
    page.click("nav a[data-nav=search]")
    page.wait_for_selector("#view h1")
    _settled(page)
    assert [r.evaluate("(e) => e.isConnected") for r in refused] == [False] * 3
    assert [r.evaluate(MARKED) for r in refused] == [None] * 3
    # and back: a page drawn anew, nothing marked
    page.click("nav a[data-nav=build]")
    page.wait_for_selector("#seed-ids")
    assert page.eval_on_selector_all("[aria-invalid]", "es => es.length") == 0
    watched.assert_clean()
