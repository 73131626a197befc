"""A page drawn is said once in the status region: a page whose own sentence (its rows)
came after the router was done (the search's first results, a film's audience table) was
said twice, "Search: page shown." and then "Search results: ...". Every text the region
held is recorded by a MutationObserver; the oracle is the API's own totals."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from studio_http import api, record_said


def _slow(route: Any) -> None:
    time.sleep(0.6)  # the answer arrives after the router has drawn the page
    route.continue_()


def test_a_page_with_rows_of_its_own_is_said_once(watched: Any, served_demo: Any) -> None:
    page = watched.page
    found = api(served_demo, "/films?query=the&limit=20")["total"]
    page.goto(f"{served_demo.base}/studio/#/overview")
    record_said(page, "Overview: page shown.")
    page.route("**/films?*", _slow)
    page.evaluate("location.hash = '#/search?q=the'")
    page.wait_for_function("() => window.__said.some((t) => t.startsWith('Search results'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__said") == [f"Search results: Films 1–20 of {found:,}"]
    page.unroute("**/films?*")

    film = api(served_demo, "/films?limit=1")["films"][0]
    fid = quote(film["film_id"], safe="")
    total = api(served_demo, f"/films/{fid}/audience?k=1")["total"]
    page.evaluate("window.__said = []")
    page.route("**/audience?*", _slow)
    page.evaluate(f"location.hash = '#/film/{fid}'")
    page.wait_for_function("() => window.__said.some((t) => t.startsWith('Audience for'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__said") == [
        f"Audience for {film['title']}: users 1–25 of {total:,}"]
    page.unroute("**/audience?*")
    watched.assert_clean()


def test_a_page_left_at_once_is_not_said_after(watched: Any, served_demo: Any) -> None:
    """A page's sentence waits 100 ms before it is said: a page left within them was said
    after the next page had begun ("Build an audience: page shown." on the search page)."""
    page = watched.page
    found = api(served_demo, "/films?query=the&limit=20")["total"]
    page.goto(f"{served_demo.base}/studio/#/overview")
    record_said(page, "Overview: page shown.")
    page.route("**/films?*", _slow)  # its results' sentence would clear the pending one
    # the build page drawn (its sentence pending), the search asked for at once
    page.evaluate("""() => new Promise((done) => {
      const view = document.getElementById('view');
      new MutationObserver((_, seen) => {
        if (view.querySelector('h1')?.textContent !== 'Build an audience') return;
        seen.disconnect();
        location.hash = '#/search?q=the';
        done();
      }).observe(view, { childList: true, subtree: true });
      location.hash = '#/build';
    })""")
    page.wait_for_function("() => window.__said.some((t) => t.startsWith('Search results'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__said") == [f"Search results: Films 1–20 of {found:,}"]
    page.unroute("**/films?*")
    watched.assert_clean()
