"""Distribute's new-film form asks /health for the model's places as the page opens. When that
answer came after the form had been submitted and refused, its note ("This model's users have
no place attribute") replaced the refusal, and the user was told nothing of what they had
asked (a CI run on a loaded machine). Oracle: the server's /health (the bare model has no
place attribute) and the form's own refusal, said before /health answered."""

from __future__ import annotations

from typing import Any

from studio_http import api

FORM = "section:has(#dnew-genres)"


def _refused_before_health(page: Any, served: Any) -> str:
    """Distribute opened with /health held, its new-film form submitted empty (refused), then
    /health let go; the refusal."""
    held: list[Any] = []
    page.route("**/health", lambda route: held.append(route))  # answered when let go
    page.goto(f"{served.base}/studio/#/distribute")
    page.wait_for_selector("#dnew-genres")
    while not held:
        page.wait_for_timeout(50)
    page.locator(f"{FORM} button[type=submit]").click()  # nothing chosen: refused
    page.wait_for_selector(f"{FORM} [role=alert]")
    refusal: str = page.inner_text(f"{FORM} [role=alert]")
    assert "choose at least one comparable film" in refusal, refusal
    page.unroute("**/health")
    for route in held:
        route.continue_()
    return refusal


def test_a_late_first_read_of_the_places_leaves_a_refusal_said_meanwhile(
        watched: Any, served_bare: Any) -> None:
    assert not api(served_bare, "/health")["model"]["place_attributes"]
    page = watched.page
    refusal = _refused_before_health(page, served_bare)
    # /health answered: the catalog's facts are drawn (no genres) and the places read (none)
    page.wait_for_selector("#dnew-genres-none")
    page.wait_for_function("() => document.getElementById('dnew-by').hidden")
    assert page.locator(f"{FORM} [role=alert]").all_inner_texts() == [refusal]
    assert not page.locator("#dist-none").count()
    watched.assert_clean()


def test_the_place_select_hidden_late_says_why_beside_it(watched: Any, served_bare: Any) -> None:
    """The late read hid the "By" select and kept the refusal in the result box: why the
    select went was said nowhere until the next submit. It is said where the select was."""
    assert not api(served_bare, "/health")["model"]["place_attributes"]
    page = watched.page
    refusal = _refused_before_health(page, served_bare)
    page.wait_for_selector("#dnew-by-none")
    assert not page.is_visible("#dnew-by") and not page.is_visible("label[for=dnew-by]")
    note = page.inner_text("#dnew-by-none")
    assert "no place attribute" in note and "--users" in note
    # in the form's row, where the select was; the refusal still in the result box
    assert page.locator("form .row #dnew-by + #dnew-by-none").count() == 1
    assert page.locator(f"{FORM} [role=alert]").all_inner_texts() == [refusal]
    assert not page.locator("#dist-none").count()
    watched.assert_clean()
