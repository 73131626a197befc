"""A seed list the server refused was not tied to its field: ids none of which the model holds
(``zzz9, u00001x``: a 404, "unknown user_id 'zzz9', ' u00001x'") drew the refusal, a role=alert
box, but left ``#seed-ids`` without ``aria-invalid`` or an ``aria-describedby`` naming it, as the
list's header refused by the page itself did too (two id columns); an empty list, a genre the
server refused, were marked already. The mark goes once the list is changed. Oracle: the server's
own answer to the same list (its status and words), and the ids the field's attribute names."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def _settled(page: Any) -> None:
    """Every mutation observer's callback run (they run after the task that changed the DOM)."""
    page.evaluate("() => new Promise((r) => setTimeout(r, 0))")


def _refused(served: Any, ids: list[str]) -> tuple[int, str]:
    """The server's status and words for a lookalike of ``ids``."""
    request = urllib.request.Request(
        f"{served.base}/audiences/lookalike", method="POST",
        data=json.dumps({"seed_user_ids": ids, "k": 100}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())["detail"]
    raise AssertionError("the lookalike was answered")


def _marked_by(page: Any, words: str) -> str:
    """The id of the shown role=alert box holding ``words`` that marks ``#seed-ids``."""
    _settled(page)
    assert page.get_attribute("#seed-ids", "aria-invalid") == "true"
    (said,) = (page.get_attribute("#seed-ids", "aria-describedby") or "").split()
    box = page.locator(f"[id='{said}']")
    assert box.get_attribute("role") == "alert" and box.is_visible()
    assert words in box.inner_text(), box.inner_text()
    return said


def _cleared(page: Any, typed: str, said: str) -> None:
    page.fill("#seed-ids", typed)
    _settled(page)
    assert page.get_attribute("#seed-ids", "aria-invalid") is None
    assert page.get_attribute("#seed-ids", "aria-describedby") is None
    assert page.locator(f"[id='{said}']").count() == 1  # the box stays until the next answer


def test_a_seed_list_the_server_refused_marks_the_list(watched: Any, served_demo: Any) -> None:
    status, detail = _refused(served_demo, ["zzz9", " u00001x"])
    assert status == 404 and "unknown user_id 'zzz9'" in detail
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/build")
    page.wait_for_selector("#seed-ids")
    page.fill("#seed-ids", "zzz9, u00001x")
    page.press("#lookalike-k", "Enter")
    page.locator("#lookalike-out [role=alert]").wait_for()
    said = _marked_by(page, detail)
    # the size is not what was refused
    assert page.get_attribute("#lookalike-k", "aria-invalid") is None
    _cleared(page, "zzz9", said)

    # the list's header refused by the page, before any request
    page.fill("#seed-ids", "id,email,user_id\n7,a@x,u00001\n")
    page.press("#lookalike-k", "Enter")
    said = _marked_by(page, "names 2 id columns ('id', 'user_id')")
    _cleared(page, "u00001", said)
    assert watched.console_errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"]
    assert not watched.outside_requests
