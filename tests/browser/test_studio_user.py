"""Audience Studio's page for one user (``#/user/<id>``): the user's recommendations with the
watched films that explain them, the CLI's answer for the same k; the user ids of audience
tables lead to it; an unknown user, a user folded in from events, an engine out of reach."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api, not_found_leads_back

ODD_USER = "new/user ?#%1"  # a user new from campaign events, with characters a URL holds specially


def _cli_answer(served: Any, store: Path, user: str, k: int) -> Any:
    """``recommender recommend MODEL --user USER --k K --json`` with the server's store."""
    out = subprocess.run([sys.executable, "-m", "recommender.cli", "recommend", str(served.model),
                          "--user", user, "--k", str(k), "--json", "--store", str(store)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _shown(page: Any) -> list[dict[str, Any]]:
    """The page's table: each film's id, score text and reasons (film id, text)."""
    return page.eval_on_selector_all("#user-films tbody tr", """rows => {
      const film = (a) => decodeURIComponent(a.getAttribute('href').slice('#/film/'.length));
      return rows.map((r) => ({
        film: film(r.cells[1].querySelector('a')), score: r.cells[3].textContent,
        because: [...r.cells[4].querySelectorAll('li')].map((li) => [
          film(li.querySelector('a')), li.textContent])}));
    }""")


def _expected(body: Any) -> list[dict[str, Any]]:
    return [{"film": f["film_id"], "score": f"{f['score']:.4f}",
             "because": [[b["film_id"], f"{b['title'] or b['film_id']} · similarity "
                          f"{b['similarity']:.4f} · share {100 * b['share']:.1f}%"]
                         for b in f["because"] or []]} for f in body["films"]]


@pytest.fixture(scope="module")
def served_events(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model on a store of its own, where ``ODD_USER`` watched two films."""
    for served in serve_own_store(demo_folders, "user-page"):
        films = [f["film_id"] for f in api(served, "/films?limit=2")["films"]]
        stored = api(served, "/events", {"events": [
            {"event_id": f"user-page-{n}", "user_id": ODD_USER, "film_id": f,
             "timestamp": 1721512629} for n, f in enumerate(films)]})
        for _ in range(300):  # until the server has folded them in (it polls the store)
            if api(served, "/events/status")["applied"] >= stored["sequence"]:
                break
            time.sleep(0.1)
        yield served


def test_a_users_page_is_the_clis_answer_for_its_k(watched: Any, served_demo: Any) -> None:
    """The Studio had no page for a user: an audience table's user id was plain text. It
    links to the user's page, which shows what ``recommend --user ID --json`` prints for the
    k in its address."""
    page = watched.page
    film = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    fid = urllib.parse.quote(film, safe="")
    user = api(served_demo, f"/films/{fid}/audience?k=1")["users"][0]["user_id"]
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#audience-status")
    cells = page.locator("section[aria-labelledby='s-audience'] tbody tr td:nth-child(2)")
    assert cells.first.text_content() == user  # the cell's text is the id, as before
    cells.first.get_by_role("link").click()
    page.wait_for_selector("#user-status")
    assert page.inner_text("h1") == f"User {user}"
    assert page.inner_text("#user-known") == "the model's training data"
    page.fill("#user-k", "4")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_function("document.querySelectorAll('#user-films tbody tr').length === 4")
    assert page.url.endswith(f"#/user/{urllib.parse.quote(user, safe='')}?k=4")
    store = served_demo.model.parent / "campaigns.db"
    assert _shown(page) == _expected(_cli_answer(served_demo, store, user, 4))
    page.reload()  # the address keeps k
    page.wait_for_selector("#user-status")
    assert page.input_value("#user-k") == "4" and len(_shown(page)) == 4
    watched.assert_clean()


def test_a_user_from_events_an_unknown_user_and_an_engine_out_of_reach(
        watched: Any, served_events: Any) -> None:
    """A user new from campaign events, their id holding "/", "?", "#" and "%", opens from the
    "Find a user" box with the CLI's answer (with the store); an unknown user says so with a
    way back; an engine out of reach is not "not found"."""
    page = watched.page
    base = f"{served_events.base}/studio/"
    page.goto(base)
    page.get_by_role("link", name="Find a user").click()
    page.fill("#user-id", ODD_USER)
    page.get_by_role("button", name="Show recommendations").click()
    page.wait_for_selector("#user-status")
    assert page.inner_text("h1") == f"User {ODD_USER}"
    assert "1 user new to it" in page.inner_text("#user-events")
    # which user is new was not said
    assert page.inner_text("#user-known").startswith("campaign events recorded since")
    store = served_events.model.parent / "user-page" / "campaigns.db"
    assert _shown(page) == _expected(_cli_answer(served_events, store, ODD_USER, 10))
    not_found_leads_back(page, f"{base}#/user/no-such-user", "User not found", "no-such-user",
                         "Back to the overview", "text=Served model")
    page.route("**/recommendations**", lambda route: route.abort())
    page.goto(f"{base}#/user/{urllib.parse.quote(ODD_USER, safe='')}")
    page.wait_for_selector("text=could not be reached")
    assert page.inner_text("h1") == "The user could not be shown"
    # the 404 and the aborted request are logged by the browser: those are expected
    watched.console_errors[:] = [e for e in watched.console_errors
                                 if "404" not in e and "ERR_FAILED" not in e]
    watched.assert_clean()
