"""To a read or write key ``/health``'s ``store_events`` is that key's own count alone
(``{"through_seq": N, "counted": "key"}``: every key's totals are not a partner's to read), and
Audience Studio says so: campaign events folded in, N of the key's own reflected, where it
would have read "undefined campaign events" or "NaN". Stood in: a /health of a key's view."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from studio_http import api

SHOWN = {"through_seq": 3, "counted": "key"}


def _keyed_view(route: Any) -> None:
    real = route.fetch()
    body = real.json()
    route.fulfill(status=real.status, content_type="application/json", body=json.dumps(
        {**body, "model": {**body["model"], "store_events": SHOWN}}))


def test_the_studio_says_a_key_s_own_events_without_totals(watched: Any,
                                                            served_demo: Any) -> None:
    page = watched.page
    page.route("**/health", _keyed_view)
    page.goto(f"{served_demo.base}/studio/#/")
    page.wait_for_selector("text=Served model")
    facts = page.inner_text("dl.facts")
    assert "(campaign events since training included)" in facts, facts
    page.wait_for_selector("#model-line:has-text('model ')")
    line = page.inner_text("#model-line")
    assert "with campaign events folded in since training (3 of this key's events " \
           "reflected)" in line, line
    film = json.loads((served_demo.data / "demo.json").read_text())["example_film_id"]
    user = api(served_demo, f"/films/{urllib.parse.quote(film, safe='')}/audience?k=1"
               )["users"][0]["user_id"]
    page.goto(f"{served_demo.base}/studio/#/user/{urllib.parse.quote(user, safe='')}")
    note = page.wait_for_selector("#user-events").inner_text()
    assert note.startswith("The served model has folded in campaign events since training:")
    for text in (facts, line, note):
        assert "undefined" not in text and "NaN" not in text
    watched.assert_clean()
