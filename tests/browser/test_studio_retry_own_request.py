""""Try again" after the engine was out of reach re-submitted the section's first form
wherever nothing nearer could retry: a film look-up of the Distribute page's slate that
failed shared out the (empty) slate instead. It runs the request that failed again, and is not
offered where nothing can be retried. Oracle: the API's own look-up of the same title."""

from __future__ import annotations

import re
from typing import Any

from studio_http import api

LOOKUP = re.compile(r"/films\?query=")


def test_try_again_runs_the_failed_look_up_again(watched: Any, served_demo: Any) -> None:
    page = watched.page
    film = api(served_demo, "/films?limit=1")["films"][0]
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.wait_for_selector("#dslate-search")
    page.route(LOOKUP, lambda route: route.abort())
    page.fill("#dslate-search", film["title"].lower())
    box = page.locator(".error", has_text="could not be reached")
    box.wait_for()
    page.unroute(LOOKUP)
    box.get_by_role("button", name="Try again").click()
    page.get_by_role("button", name=f"Add {film['title']}").first.wait_for()
    assert "add at least one film" not in page.inner_text("main"), page.inner_text("main")
    # the look-up aborted here is the console's one error
    assert set(watched.console_errors) == {"Failed to load resource: net::ERR_FAILED"}
    assert not watched.outside_requests


def test_no_try_again_where_nothing_can_retry(watched: Any, served_demo: Any) -> None:
    """A box placed where no request can be retried (here, on its own in a section with a
    form) offers none: it submitted that form."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/distribute")
    page.wait_for_selector("#dslate-search")
    offered = page.evaluate("""async () => {
      const { errorBox } = await import('/studio/assets/js/ui.js');
      const e = Object.assign(new Error('the engine could not be reached'), { status: 0 });
      const box = errorBox(e);
      document.querySelector('section').append(box);
      await Promise.resolve();
      return box.querySelectorAll('button').length;
    }""")
    assert offered == 0
    watched.assert_clean()
