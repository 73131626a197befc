"""The key dialog's own refusals were not tied to the key field: Save with the field empty, or
with a key holding a character no request header carries, said why in ``#key-message``
(role=alert) and put the focus on ``#key-input``, which had no ``aria-invalid`` and no
``aria-describedby`` (a screen reader on the field heard neither that it was refused nor why).
The field is now marked and described by the message, until it is changed or the dialog closes.
Oracle: the attributes on the field, the element they name, the tab's stored key."""

from __future__ import annotations

from typing import Any

from conftest import Watched

KEY = "recommender.studio.key"  # where the tab keeps the key in use (sessionStorage)


def _marks(page: Any) -> list[Any]:
    """The key field's aria-invalid and aria-describedby."""
    return [page.get_attribute("#key-input", a) for a in ("aria-invalid", "aria-describedby")]


def _refused(page: Any, words: str) -> None:
    """The field marked, described by a shown alert saying ``words``, the focus on it."""
    assert _marks(page) == ["true", "key-message"]
    message = page.locator("#key-message")
    assert message.get_attribute("role") == "alert" and message.is_visible()
    assert words in message.inner_text(), message.inner_text()
    assert page.evaluate("document.activeElement.id") == "key-input"
    assert page.locator("#key-dialog").is_visible()


def _save(page: Any) -> None:
    page.locator("#key-dialog").get_by_role("button", name="Save").click()


def test_the_key_dialogs_refusals_mark_the_key_field(watched: Watched, served_demo: Any) -> None:
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/search")
    page.wait_for_selector("#view h1")
    page.click("#key-button")
    page.locator("#key-dialog").wait_for(state="visible")
    assert _marks(page) == [None, None]
    _save(page)
    _refused(page, "Type a key to save")
    # changed: no longer the value refused
    page.keyboard.type("a")
    assert _marks(page) == [None, None]
    page.fill("#key-input", "key\u200bpasted")
    _save(page)
    _refused(page, "(U+200B)")
    # the dialog closed (Cancel) with the field still refused: the mark goes with it, and the
    # dialog opened again starts unmarked
    page.click("#key-cancel")
    page.locator("#key-dialog").wait_for(state="hidden")
    assert _marks(page) == [None, None]
    page.click("#key-button")
    page.locator("#key-dialog").wait_for(state="visible")
    assert _marks(page) == [None, None]
    _save(page)
    _refused(page, "Type a key to save")
    page.keyboard.press("Escape")
    page.locator("#key-dialog").wait_for(state="hidden")
    assert _marks(page) == [None, None]
    assert page.evaluate(f"sessionStorage.getItem({KEY!r})") is None  # nothing refused was kept
    watched.assert_clean()
