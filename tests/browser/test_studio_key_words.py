"""What the page behind the key dialog says, and a refused value: the server's "a read key is
required ... (RECOMMENDER_READ_KEYS)" was shown as "Something went wrong" behind the dialog
(still "required" after a wrong key, beside a dialog saying "refused"), and a mistyped genre
was "Something went wrong:" under the search. Oracle: the server's own answers (401, and the
422's sentence) to the same requests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

WRONG = "studio-wrong-key-0777"


def _refused(url: str, key: str = "") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return int(r.status), ""
    except urllib.error.HTTPError as e:
        return int(e.code), str(json.loads(e.read())["detail"])


def test_the_page_behind_the_key_dialog_says_what_the_dialog_asks(watched: Any,
                                                                   served_locked: Any,
                                                                   read_key: str) -> None:
    assert _refused(f"{served_locked.base}/campaigns")[0] == 401
    assert _refused(f"{served_locked.base}/campaigns", WRONG)[0] == 401
    page = watched.page
    page.goto(f"{served_locked.base}/studio/#/campaigns")
    dialog = page.locator("#key-dialog")
    dialog.wait_for(state="visible")
    page.wait_for_selector("#view .key-needed")
    behind = page.inner_text("#view")
    assert "asks for a key" in behind, behind
    assert "Something went wrong" not in behind and "RECOMMENDER_READ_KEYS" not in behind, behind
    page.fill("#key-input", WRONG)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#view .key-needed:has-text('refused the key in use')")
    dialog.wait_for(state="visible")
    assert "refused this key" in page.inner_text("#key-message")
    assert "required" not in page.inner_text("#view")
    page.fill("#key-input", read_key)
    page.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden")
    page.wait_for_selector("#view h1:has-text('Campaigns')")
    page.wait_for_timeout(300)
    assert page.locator("#view .key-needed, #view .error").count() == 0
    watched.console_errors[:] = [e for e in watched.console_errors if "401" not in e]
    watched.assert_clean()


def test_a_mistyped_genre_is_said_beside_the_field(watched: Any, served_demo: Any) -> None:
    status, said = _refused(f"{served_demo.base}/films?genre=Dramma")
    assert status == 422 and "Dramma" in said
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/search")
    page.wait_for_selector("#results table")
    page.fill("#genre", "Dramma")
    page.press("#genre", "Enter")
    page.wait_for_selector("#genre-invalid:visible")
    assert page.inner_text("#genre-invalid").rstrip(".") == said.rstrip(".")
    assert page.get_attribute("#genre", "aria-invalid") == "true"
    assert page.get_attribute("#genre", "aria-describedby") == "genre-invalid"
    assert "Something went wrong" not in page.inner_text("#view")
    page.fill("#genre", "Drama")
    page.press("#genre", "Enter")
    page.wait_for_selector("#genre-invalid", state="hidden")
    page.wait_for_selector("#results table")
    assert page.get_attribute("#genre", "aria-invalid") is None
    watched.console_errors[:] = [e for e in watched.console_errors if "422" not in e]
    watched.assert_clean()
