"""A campaign page's waves-sent and report-window boxes, typed in and then left by a change
of address (typed by hand, a link followed) before the box lost the focus: the box's change
event fired as the page was replaced and wrote the old page's ``sent_waves`` and
``window_days`` into the new page's address (a one-wave plan got ``sent_waves=2``, and the
server refused its report with a 422). Oracle: the new page's address and the server's
report of the new plan."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote

from studio_http import api, stored_plan


def _params(page: Any) -> dict[str, list[str]]:
    """The query of the page's address fragment."""
    fragment = page.evaluate("location.hash")
    return parse_qs(fragment.split("?", 1)[1]) if "?" in fragment else {}


def test_a_box_left_by_an_address_change_writes_nothing_there(served_demo: Any,
                                                               watched: Any) -> None:
    page = watched.page
    three = stored_plan(served_demo, 60, budget=30, seed=11, waves=3)["plan_id"]
    one = stored_plan(served_demo, 61, budget=20, seed=12, waves=1)["plan_id"]
    default = api(served_demo, f"/campaigns/{one}/report")
    for box, typed in (("#sent-waves", "2"), ("#report-window", "7.5")):
        page.goto(f"{served_demo.base}/studio/#/campaigns/{three}")
        page.wait_for_selector("#report table")
        page.fill(box, typed)  # typed, the focus still in the box: no change event yet
        assert page.evaluate("document.activeElement.id") == box[1:]
        page.evaluate("(p) => { location.hash = `#/campaigns/${p}`; }", one)
        page.wait_for_function("(p) => location.hash.startsWith(`#/campaigns/${p}`)", arg=one)
        page.wait_for_selector("#report table")
        assert page.evaluate("location.hash") == f"#/campaigns/{one}", box
        assert _params(page) == {}, box
        # the new plan's report is the server's default one, not the old page's numbers
        assert page.input_value("#sent-waves") == str(default["sent_waves"]), box
        assert page.input_value("#report-window") == f"{default['window_days']:g}", box
        assert not page.query_selector("#report [role=alert]"), page.inner_text("#report")
        assert page.inner_text("#page-notice") == "", box
    watched.assert_clean()


def test_a_film_pages_screens_left_by_an_address_change_stay_there(served_demo: Any,
                                                                  watched: Any) -> None:
    page = watched.page
    first, second = (quote(f["film_id"], safe="")
                     for f in api(served_demo, "/films?limit=2")["films"])
    page.goto(f"{served_demo.base}/studio/#/film/{first}")
    page.wait_for_selector("#dist-total")
    page.fill("#dist-screens", "12")
    assert page.evaluate("document.activeElement.id") == "dist-screens"
    page.evaluate("(f) => { location.hash = `#/film/${f}`; }", second)
    page.wait_for_selector("#dist-total")
    assert "screens" not in _params(page), page.evaluate("location.hash")
    assert page.input_value("#dist-screens") == ""
    watched.assert_clean()
