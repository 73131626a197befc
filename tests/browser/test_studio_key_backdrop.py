"""The key dialog closed only by its Cancel button (and Escape): a click or a tap on the dimmed
page around it did nothing, the usual way out of a dialog on a phone. A click or tap outside its
box now closes it as Cancel does: the key in use kept (none saved of what was typed in it), the
page beneath and what was typed there kept, the focus back on the button that opened it. A press
that starts in the key field and ends outside (selecting its text) does not close it. Oracle:
the tab's stored key and the page's own fields as typed."""

from __future__ import annotations

from typing import Any

from conftest import Watched

KEY = "recommender.studio.key"  # where the tab keeps the key in use (sessionStorage)


def _typed_plan_page(page: Any, base: str) -> None:
    """The plan page with a search and a cap typed, not sent."""
    page.goto(f"{base}/studio/#/plan")
    page.wait_for_selector("#view h1:has-text('Plan a slate')")
    page.fill("#slate-search", "half typed")
    page.fill("#cap", "4")


def _open(page: Any, tap: bool = False) -> Any:
    """The key dialog opened from its button, a key typed in it; the dialog."""
    button = page.locator("#key-button")
    button.tap() if tap else button.click()
    dialog = page.locator("#key-dialog")
    dialog.wait_for(state="visible")
    page.fill("#key-input", "typed-not-saved")
    return dialog


def _kept(page: Any) -> None:
    """Closed as Cancel closes it: no key saved, the page's fields as typed, the focus back."""
    page.locator("#key-dialog").wait_for(state="hidden")
    assert page.evaluate(f"sessionStorage.getItem({KEY!r})") is None
    assert page.input_value("#slate-search") == "half typed"
    assert page.input_value("#cap") == "4"
    assert page.evaluate("document.activeElement.id") == "key-button"
    assert page.locator("#view h1").inner_text() == "Plan a slate"


def test_a_click_outside_the_key_dialog_closes_it_as_cancel_does(watched: Watched,
                                                                 served_demo: Any) -> None:
    page = watched.page
    _typed_plan_page(page, served_demo.base)
    dialog = _open(page)
    box = dialog.bounding_box()
    assert box and box["y"] > 20  # the page around it, above its box
    # a press inside (selecting the typed key) let go outside: kept open
    field = page.locator("#key-input").bounding_box()
    assert field
    page.mouse.move(field["x"] + 5, field["y"] + field["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, 5)
    page.mouse.up()
    assert dialog.is_visible()
    # a click on the dialog's own box, off its fields: kept open
    page.mouse.click(box["x"] + 3, box["y"] + 3)
    assert dialog.is_visible()
    page.mouse.click(box["x"] + box["width"] / 2, 5)  # the backdrop
    _kept(page)
    # Escape too
    _open(page)
    page.keyboard.press("Escape")
    _kept(page)
    watched.assert_clean()


def test_a_tap_outside_the_key_dialog_closes_it_on_a_phone(phone: Watched,
                                                           served_demo: Any) -> None:
    page = phone.page
    _typed_plan_page(page, served_demo.base)
    dialog = _open(page, tap=True)
    box = dialog.bounding_box()
    assert box and box["y"] > 20
    page.touchscreen.tap(box["x"] + box["width"] / 2, 5)
    _kept(page)
    phone.assert_clean()
