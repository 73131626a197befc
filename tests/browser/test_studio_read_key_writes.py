"""A key that can only read is not offered the campaign store's writes: Plan, the wave send
form, the next wave and the withdrawal each give way to a note saying what key is needed (they
were offered, and each press was refused 403). A write key entered offers them again, the
slate being planned kept. Oracle: the server itself, /health's access for each key and the
plan a write key stores."""

from __future__ import annotations

from typing import Any

from studio_http import api_as

NOTES = ("#send-no-write", "#next-wave-no-write", "#withdraw-no-write")
WRITES = ("#record-send", "#next-wave", "#withdraw-sent", "#withdraw-none", "#leave-out")


def _enter_key(page: Any, key: str) -> None:
    page.click("#key-button")
    page.fill("#key-input", key)
    page.get_by_role("button", name="Save").click()


def test_a_key_that_can_only_read_is_offered_no_write(watched: Any, served_locked: Any,
                                                      read_key: str, write_key: str) -> None:
    assert api_as(served_locked, "/health", "")["access"] == {"read": False, "write": False}
    assert api_as(served_locked, "/health", read_key)["access"] == {"read": True,
                                                                     "write": False}
    assert api_as(served_locked, "/health", write_key)["access"] == {"read": True,
                                                                      "write": True}
    films = api_as(served_locked, "/films?limit=30", read_key)["films"]
    planned, slate = films[28], films[29]
    pid = api_as(served_locked, "/campaigns/plan", write_key, {
        "films": [{"film_id": planned["film_id"], "budget": 20}], "seed": 47,
        "waves": 2})["plan_id"]
    page = watched.page
    # no key: the planner fetches nothing that needs one, and Plan is not offered
    page.goto(f"{served_locked.base}/studio/#/plan")
    page.wait_for_selector("#plan-no-write")
    assert "No key is in use" in page.inner_text("#plan-no-write")
    _enter_key(page, read_key)
    page.wait_for_selector("#plan-no-write:has-text('This key may only read')")
    note = page.inner_text("#plan-no-write")
    # in the marketer's words, the server's setting only in the admin's hint
    assert note.startswith("This key may only read: a write key is needed for planning a campaign.")
    assert "RECOMMENDER_WRITE_KEYS" in page.inner_text("#plan-no-write .hint")
    assert "RECOMMENDER_WRITE_KEYS" in note and "admin key" in note
    assert page.get_by_role("button", name="Plan", exact=True).count() == 0
    page.fill("#slate-search", slate["title"].lower())
    page.get_by_role("button", name=f"Add {slate['title']}").first.click()
    page.get_by_label(f"budget for {slate['title']}").fill("5")
    # Enter in a field does not plan unseen (the form's one submit button is hidden)
    page.press("#cap", "Enter")
    page.wait_for_timeout(300)
    assert page.inner_text("#plan-result") == ""
    # the campaign page: the send form, the next wave and the withdrawal give way to notes
    page.goto(f"{served_locked.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    for note_id in NOTES:
        page.wait_for_selector(note_id)
        assert "This key may only read" in page.inner_text(note_id), note_id
    assert page.inner_text("#send-no-write").startswith(
        "This key may only read: a write key is needed for recording a wave's send.")
    assert page.inner_text("#next-wave-no-write").startswith(
        "This key may only read: a write key is needed for planning the next wave.")
    assert page.inner_text("#withdraw-no-write").startswith(
        "This key may only read: a write key is needed for withdrawing a campaign.")
    assert not any(page.is_visible(w) for w in WRITES)
    # a write key entered on the planner: Plan is offered again, the slate as it was
    page.goto(f"{served_locked.base}/studio/#/plan")
    page.wait_for_selector("#plan-no-write")
    _enter_key(page, write_key)
    page.get_by_role("button", name="Plan", exact=True).wait_for()
    assert page.locator("#plan-no-write").count() == 0
    assert page.get_by_label(f"budget for {slate['title']}").input_value() == "5"
    page.get_by_role("button", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-totals")
    new = page.inner_text("#plan-totals dd >> nth=0")
    stored = api_as(served_locked, f"/campaigns/{new}", read_key)["summary"]["films"]
    assert [(f["film_id"], f["budget"]) for f in stored] == [(slate["film_id"], 5)]
    # and every write of the campaign page, with no note
    page.goto(f"{served_locked.base}/studio/#/campaigns/{pid}")
    page.wait_for_selector("#report table")
    page.wait_for_selector("#record-send")
    assert all(page.is_visible(w) for w in WRITES)
    assert page.locator("[id$='-no-write']").count() == 0
    watched.assert_clean()
