"""After a key rotation an open Studio tab sends its old key no more: it kept sending the key
a 401 refused with every request (the footer's /health too), and each 401 counted towards
the server's per-address throttle (``RECOMMENDER_KEY_FAILURES``), which then answered 429 to
every key from the address, an office's right keys included. The key is sent again once one
is entered; a 429 says in words how long to wait.

Oracle: the responses the server gave to requests carrying the old key (counted in the
browser), and the 429's own ``Retry-After``.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Served, serve_own_store

NEW_KEY = "studio-rotated-key-0456"
OLD_KEY = "studio-retired-key-0123"
PAGES = ("#/search", "#/campaigns", "#/", "#/search")


@pytest.fixture(scope="module")
def rotated(demo_folders: Any) -> Iterator[Served]:
    """The demo behind the read key ``NEW_KEY`` only (``OLD_KEY`` was the one before)."""
    yield from serve_own_store(demo_folders, "rotated", RECOMMENDER_READ_KEYS=f"studio:{NEW_KEY}",
                               RECOMMENDER_KEY_FAILURES="1000")


@pytest.fixture(scope="module")
def strict(demo_folders: Any) -> Iterator[Served]:
    """The same, throttling an address after one wrong key for 600 seconds."""
    yield from serve_own_store(demo_folders, "strict", RECOMMENDER_READ_KEYS=f"studio:{NEW_KEY}",
                               RECOMMENDER_KEY_FAILURES="1",
                               RECOMMENDER_KEY_FAILURE_WINDOW="600")


def test_a_refused_key_is_not_sent_again_until_one_is_entered(watched: Any,
                                                              rotated: Served) -> None:
    page = watched.page
    refused: list[str] = []  # the URLs the server answered 401 to the old key
    sent_new: list[int] = []
    page.on("response", lambda r: refused.append(r.url) if r.status == 401
            and r.request.headers.get("x-api-key") == OLD_KEY else
            sent_new.append(r.status) if r.request.headers.get("x-api-key") == NEW_KEY else None)
    page.goto(f"{rotated.base}/studio/")
    page.evaluate("(k) => sessionStorage.setItem('recommender.studio.key', k)", OLD_KEY)
    page.reload()  # a tab open since before the rotation, its old key kept
    dialog = page.locator("#key-dialog")
    dialog.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    first = len(refused)
    assert first >= 1
    for where in PAGES:  # the tab used on: each page, the footer's /health
        page.keyboard.press("Escape")
        page.evaluate("(h) => { location.hash = h }", where)
        dialog.wait_for(state="visible")
        page.wait_for_load_state("networkidle")
    assert len(refused) == first, refused
    # a key entered is sent (the new one: its answers are no 401)
    page.fill("#key-input", NEW_KEY)
    # waited for: the page's heading and its load state were already there before the Save
    # (a check right after the click could see no answer to the new key yet)
    with page.expect_response(lambda r: r.request.headers.get("x-api-key") == NEW_KEY):
        page.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden")
    page.wait_for_selector("#view h1")
    page.wait_for_load_state("networkidle")
    assert sent_new and 401 not in sent_new and len(refused) == first
    watched.console_errors[:] = [e for e in watched.console_errors if "401" not in e]
    watched.assert_clean()


def test_a_throttled_address_is_told_how_long_to_wait(watched: Any, strict: Served) -> None:
    request = urllib.request.Request(f"{strict.base}/health", headers={"X-API-Key": OLD_KEY})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(request, timeout=30)
    assert e.value.code == 401  # one wrong key: the address is throttled
    page = watched.page
    throttled: list[Any] = []
    page.on("response", lambda r: throttled.append(r) if r.status == 429 else None)
    page.goto(f"{strict.base}/studio/")
    page.evaluate("(k) => sessionStorage.setItem('recommender.studio.key', k)", NEW_KEY)
    page.evaluate("() => { location.hash = '#/campaigns' }")
    box = page.locator("#view .error")
    box.wait_for()
    wait = int(throttled[-1].headers["retry-after"])
    minutes = math.ceil(wait / 60)
    assert 0 < wait <= 600 and minutes > 1
    said = box.inner_text()
    assert f"refuses keys from this address for {minutes} minutes" in said, said
    assert f"wait {minutes} minutes, then try again" in said, said
