"""A key the server does not hold, entered in the Studio: /health answers it 401 (it was a 200
saying what no key may do), so the key dialog opens saying the key was refused, Plan gives way
to a note saying the server does not know the key, the footer says the key was refused, and
nothing asks /health again while the dialog stays closed (no loop). Oracle: the server itself,
/health's status for the same key sent directly."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

WRONG = "studio-wrong-key-0999"


def _health_status(served: Any, key: str) -> int:
    request = urllib.request.Request(f"{served.base}/health", headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_a_wrong_key_is_said_to_be_refused_and_offered_no_write(watched: Any,
                                                                 served_locked: Any,
                                                                 read_key: str) -> None:
    assert _health_status(served_locked, WRONG) == 401
    assert _health_status(served_locked, read_key) == 200
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/health") else None)
    page.goto(f"{served_locked.base}/studio/#/plan")
    page.wait_for_selector("#plan-no-write:has-text('no key is in use')")
    dialog = page.locator("#key-dialog")
    page.click("#key-button")
    page.fill("#key-input", WRONG)
    page.get_by_role("button", name="Save").click()
    # /health refused the key: the dialog opens again, saying so (it said nothing, and the
    # note said "the server refuses the key in use" as for a key that may read nothing)
    dialog.wait_for(state="visible", timeout=10000)
    page.wait_for_function("() => document.querySelector('#key-message').textContent")
    assert "refused this key" in page.inner_text("#key-message")
    page.wait_for_selector("#plan-no-write:has-text('does not know the key in use')",
                           state="attached")
    assert page.get_by_role("button", name="Plan", exact=True).count() == 0
    # closed without a new key: nothing asks /health again, and the dialog stays closed
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    before = len(asked)
    page.wait_for_timeout(1500)
    assert len(asked) == before, asked[before:]
    assert not dialog.is_visible()
    # another page: the footer says the key was refused, the dialog opens once more
    page.goto(f"{served_locked.base}/studio/#/campaigns")
    page.wait_for_selector("#model-line:has-text('refused the key in use')")
    dialog.wait_for(state="visible")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    before = len(asked)
    page.wait_for_timeout(1500)
    assert len(asked) == before, asked[before:]
    assert all("401" in e for e in watched.console_errors), watched.console_errors
    watched.console_errors.clear()
    watched.assert_clean()
