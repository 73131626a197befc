"""Where Enter leaves a keyboard user: a key saved with Enter puts the focus on the page drawn
(it fell to the body, and the first Tab went to the footer's "API docs" link), and Enter in
Find a film's title box opens the one film the title names exactly, as the slate's picker
picks it. Oracle: the server's own search answer (GET /films) for the title typed."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any


def _search(served: Any, typed: str) -> list[dict[str, Any]]:
    url = f"{served.base}/films?{urllib.parse.urlencode({'query': typed, 'limit': 20})}"
    with urllib.request.urlopen(url, timeout=30) as r:
        films: list[dict[str, Any]] = json.loads(r.read())["films"]
    return films


def _focused(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("""() => { const e = document.activeElement;
      return { tag: e.tagName, text: (e.textContent || '').trim().slice(0, 60),
               inView: document.getElementById('view').contains(e),
               inFooter: !!e.closest('footer') }; }"""))


def test_a_key_saved_with_enter_leaves_the_focus_on_the_page(watched: Any, served_locked: Any,
                                                             read_key: str) -> None:
    page = watched.page
    page.goto(f"{served_locked.base}/studio/#/campaigns")
    page.locator("#key-dialog").wait_for(state="visible")
    page.keyboard.type(read_key)
    page.keyboard.press("Enter")
    page.locator("#key-dialog").wait_for(state="hidden")
    page.wait_for_selector("#view h1:has-text('Campaigns')")
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'H1'")
    assert _focused(page) == {"tag": "H1", "text": "Campaigns", "inView": True, "inFooter": False}
    page.keyboard.press("Tab")
    after = _focused(page)
    assert after["inView"] and not after["inFooter"], after
    watched.console_errors[:] = [e for e in watched.console_errors if "401" not in e]
    watched.assert_clean()


def test_enter_in_the_title_box_opens_the_one_film_it_names(watched: Any,
                                                             served_demo: Any) -> None:
    page = watched.page
    # a film whose whole title names it alone (the server's match kind "title", one such film)
    films = _search(served_demo, "")
    for candidate in films:
        typed = candidate["title"].lower()
        found = _search(served_demo, typed)
        exact = [f for f in found if f["match"]["kind"] in ("title", "film_id")]
        if len(exact) == 1 and found[0]["film_id"] == candidate["film_id"]:
            break
    else:
        raise AssertionError("no film of the demo is named alone by its title")
    page.goto(f"{served_demo.base}/studio/#/search")
    page.fill("#q", typed)
    page.press("#q", "Enter")
    page.wait_for_function("id => location.hash === `#/film/${id}`", arg=candidate["film_id"])
    page.wait_for_selector(f"#view h1:has-text({json.dumps(candidate['title'])})")
    # a title that is only the start of the names (no whole-title match): Enter keeps the list
    start = typed.split()[0] if typed.split()[0] not in ("the", "a") else typed.split()[1]
    assert not [f for f in _search(served_demo, start[:3]) if f["match"]["kind"] == "title"]
    page.goto(f"{served_demo.base}/studio/#/search")
    page.fill("#q", start[:3])
    page.press("#q", "Enter")
    page.wait_for_selector("#results table")
    page.wait_for_timeout(300)
    assert "#/search" in page.url
    watched.assert_clean()
