"""When the server refuses keys from this address for a while (429: too many wrong keys), the
Studio said how long to wait and then offered nothing: no "Try again", and the key dialog, which
a 401 opens, stayed shut, though the key that brought the wait may be the wrong one. Once the
wait it said is over, the error box offers both.

Oracles: the 429's own ``Retry-After``, the key dialog's state, and the server's own answer
to the key once its throttle is over (asked by the test, not the browser).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _serve, trained_small_demo

KEY = "studio-throttled-key-0789"
WRONG = "studio-wrong-key-0000"
WINDOW = 20  # seconds an address is refused after one wrong key


@pytest.fixture(scope="module")
def throttling(tmp_path_factory: pytest.TempPathFactory, small_demo: Path) -> Iterator[Served]:
    """The small demo behind the read key ``KEY``, refusing an address's keys for ``WINDOW``
    seconds after one wrong key."""
    model, data, root = trained_small_demo(tmp_path_factory, small_demo, "throttling")
    yield from _serve(model, data, root, RECOMMENDER_READ_KEYS=f"studio:{KEY}",
                      RECOMMENDER_KEY_FAILURES="1",
                      RECOMMENDER_KEY_FAILURE_WINDOW=str(WINDOW))


def _status(served: Served, key: str) -> int:
    request = urllib.request.Request(f"{served.base}/health", headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_after_the_wait_a_key_can_be_entered_and_the_page_asked_again(
        watched: Any, throttling: Served) -> None:
    assert _status(throttling, WRONG) == 401  # one wrong key: the address is refused a while
    page = watched.page
    page.clock.install()  # the page's timers, moved on by the test (time flows as ever too)
    throttled: list[Any] = []
    page.on("response", lambda r: throttled.append(r) if r.status == 429 else None)
    # the tab holds the right key from the first request (one sent without a key is a 401,
    # which opens the key dialog)
    page.add_init_script(f"sessionStorage.setItem('recommender.studio.key', {json.dumps(KEY)})")
    page.goto(f"{throttling.base}/studio/#/overview")
    box = page.locator("#view .error")
    box.wait_for()
    wait = int(throttled[-1].headers["retry-after"])
    assert 0 < wait <= WINDOW
    assert "too many requests with a wrong key" in box.inner_text()
    key_button = box.get_by_role("button", name="Enter a key")
    assert key_button.count() == 0  # not before the wait said is over
    dialog = page.locator("#key-dialog")
    assert not dialog.is_visible()  # nothing opened it: a 429 is no 401
    page.clock.fast_forward(wait * 1000)
    key_button.wait_for()
    assert "The wait is over" in box.inner_text()
    # the key dialog, as the header's "API key" button opens it (the key in use in it)
    key_button.click()
    dialog.wait_for(state="visible")
    assert page.input_value("#key-input") == KEY
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    # the server's throttle over (asked here: its answer to the key), "Try again" draws the page
    deadline = time.monotonic() + WINDOW + 30
    while _status(throttling, KEY) == 429 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _status(throttling, KEY) == 200
    box.get_by_role("button", name="Try again").click()
    page.wait_for_selector("text=Served model")
    assert page.locator("#view .error").count() == 0
    watched.console_errors[:] = [e for e in watched.console_errors if "429" not in e]
    watched.assert_clean()
