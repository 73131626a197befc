"""A wave's recorded send could not be taken back from the Studio, though the API takes back one
recorded by mistake (``DELETE /campaigns/{id}/waves/{n}/sent``, ``campaign sent --retract``):
the campaign page now lists the recorded sends with "Take back" beside the last, asks first,
and says the server's refusal in its words (a next wave was planned after the send). A next
wave's send recorded there names the campaign's number of the wave (its ``campaign_wave``).
Oracles: the sends the server stores (GET /campaigns/{id}'s wave_sends), the refusal the API
itself answers, and the chain's sent waves counted here."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api, api_as, stored_plan


@pytest.fixture(scope="module")
def served_sends(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a campaign store of this module's own (its plans hold no other
    module's users)."""
    yield from serve_own_store(demo_folders, "send-retract")


def _sends(served: Served, plan_id: str) -> list[tuple[int, int]]:
    summary = api(served, f"/campaigns/{plan_id}")["summary"]
    return [(s["wave"], s["sent_at"]) for s in summary["wave_sends"]]


def _refusal(served: Served, path: str) -> tuple[int, str]:
    """The status and detail of a DELETE of ``path`` that the server refuses."""
    req = urllib.request.Request(f"{served.base}{path}", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=30)
    return e.value.code, json.loads(e.value.read())["detail"]


def test_a_recorded_send_is_taken_back_once_confirmed(served_sends: Served, watched: Any
                                                       ) -> None:
    page = watched.page
    plan_id = stored_plan(served_sends, 1, budget=20, waves=2, seed=3)["plan_id"]
    sent = api(served_sends, f"/campaigns/{plan_id}/waves/1/sent", {})
    page.goto(f"{served_sends.base}/studio/#/campaigns/{plan_id}")
    listed = page.locator("#recorded-sends")
    listed.get_by_text("wave 1: sent at").wait_for()
    assert f"wave 1: sent at {sent['sent_at_utc']}, recorded {sent['recorded_at']}" \
        in listed.inner_text()
    page.click("#retract-send")
    asked = page.inner_text("#retract-asked")
    assert asked.startswith(f"Take back wave 1's recorded send (wave 1: sent at "
                            f"{sent['sent_at_utc']}")
    page.click("#retract-cancel")  # nothing taken back
    assert page.locator("#retract-asked").count() == 0
    assert _sends(served_sends, plan_id) == [(1, sent["sent_at"])]
    page.click("#retract-send")
    page.click("#retract-confirm")
    page.wait_for_selector("#retract-done")
    assert _sends(served_sends, plan_id) == []
    assert page.inner_text("#retract-done").startswith(
        f"Wave 1's send (sent at {sent['sent_at_utc']}) was taken back")
    # the page follows: no send listed, and wave 1's send is asked for again
    page.wait_for_function("() => !document.querySelector('#retract-send')")
    page.wait_for_selector("label[for=send-at]:has-text('Wave 1 went out at')")
    assert not watched.axe()
    watched.assert_clean()


def test_a_refused_take_back_says_the_servers_words(served_sends: Served, watched: Any
                                                     ) -> None:
    page = watched.page
    plan_id = stored_plan(served_sends, 2, budget=20, waves=2, seed=4)["plan_id"]
    sent = api(served_sends, f"/campaigns/{plan_id}/waves/1/sent", {})
    page.goto(f"{served_sends.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#retract-send", state="visible")
    # a next wave planned elsewhere once the page was drawn: the page offers the take-back still
    following = api(served_sends, f"/campaigns/{plan_id}/next", {"sent_waves": 1})["plan_id"]
    page.click("#retract-send")
    page.click("#retract-confirm")
    alert = page.locator("#retract-out [role=alert]")
    alert.wait_for()
    status, detail = _refusal(served_sends, f"/campaigns/{plan_id}/waves/1/sent")
    assert status == 422 and following in detail
    assert alert.inner_text() == (detail if detail.endswith(".") else f"{detail}.")
    assert _sends(served_sends, plan_id) == [(1, sent["sent_at"])]  # nothing changed
    watched.console_errors[:] = [e for e in watched.console_errors if "422" not in e]
    watched.assert_clean()


def test_a_send_a_next_wave_was_planned_after_is_not_offered_to_be_taken_back(
        served_sends: Served, watched: Any) -> None:
    """"Take back wave 1's send" was drawn though a next wave was planned after wave 1, and
    confirming it answered the server's 422: not offered, and said why beside the send; a next
    wave withdrawn before any send re-plans nothing, and the take-back is offered again.
    Oracle: the server's own answer to the DELETE (refused, then taken)."""
    page = watched.page
    plan_id = stored_plan(served_sends, 5, budget=20, waves=3, seed=7)["plan_id"]
    api(served_sends, f"/campaigns/{plan_id}/waves/1/sent", {})
    following = api(served_sends, f"/campaigns/{plan_id}/next", {"sent_waves": 1})["plan_id"]
    status, _ = _refusal(served_sends, f"/campaigns/{plan_id}/waves/1/sent")
    assert status == 422
    page.goto(f"{served_sends.base}/studio/#/campaigns/{plan_id}")
    held = page.locator("#recorded-sends #retract-held")
    held.wait_for()
    assert (f"not to be taken back: its next wave {following} was planned after wave 1 was "
            "sent, so its link says the wave went out") in held.inner_text()
    assert held.locator("a").get_attribute("href") == f"#/campaigns/{following}"
    page.wait_for_selector("#send-replanned")  # the page has read what the key may do
    assert page.locator("#retract-send").count() == 0
    # the next wave withdrawn before any send: the plan is its own campaign again
    api(served_sends, f"/campaigns/{following}/withdraw", {"sent_waves": 0})
    page.reload()
    page.wait_for_selector("#retract-send", state="visible")
    assert page.locator("#retract-held").count() == 0
    page.click("#retract-send")
    page.click("#retract-confirm")
    page.wait_for_selector("#retract-done")
    assert _sends(served_sends, plan_id) == []
    watched.assert_clean()


def test_a_next_waves_send_names_the_campaigns_wave(served_sends: Served, watched: Any
                                                     ) -> None:
    page = watched.page
    first = stored_plan(served_sends, 3, budget=30, waves=3, seed=5)["plan_id"]
    for wave in (1, 2):
        api(served_sends, f"/campaigns/{first}/waves/{wave}/sent", {})
    following = api(served_sends, f"/campaigns/{first}/next", {"sent_waves": 2})["plan_id"]
    page.goto(f"{served_sends.base}/studio/#/campaigns/{following}")
    page.click("#record-send")
    page.click("#send-confirm")
    page.wait_for_selector("#send-recorded")
    # its wave 1 went out after the first plan's 2 sent waves: the campaign's third
    assert "(the campaign's wave 3: this next wave numbers its waves from 1)" \
        in page.inner_text("#send-recorded")
    assert [w for w, _ in _sends(served_sends, following)] == [1]
    watched.assert_clean()


def test_a_next_waves_recorded_sends_list_the_campaigns_waves(served_sends: Served,
                                                               watched: Any) -> None:
    """The list read the next wave's own numbers (its wave 1 as "wave 1"), where GET now
    gives each send's campaign_wave: each names both, the first plan's its own alone."""
    page = watched.page
    first = stored_plan(served_sends, 4, budget=30, waves=3, seed=6)["plan_id"]
    for wave in (1, 2):
        api(served_sends, f"/campaigns/{first}/waves/{wave}/sent", {})
    following = api(served_sends, f"/campaigns/{first}/next", {"sent_waves": 2})["plan_id"]
    sent = api(served_sends, f"/campaigns/{following}/waves/1/sent", {})
    earlier = sum(p["sent_waves"] for p in api(
        served_sends, f"/campaigns/{following}")["summary"]["chain"])
    assert earlier == 2  # the first plan's 2 sent waves, as planned here
    page.goto(f"{served_sends.base}/studio/#/campaigns/{following}")
    listed = page.locator("#recorded-sends")
    listed.get_by_text("sent at").wait_for()
    assert (f"wave 1 of this plan, the campaign's wave {1 + earlier}: sent at "
            f"{sent['sent_at_utc']}") in listed.inner_text()
    page.click("#retract-send")  # the question names it alike
    assert f"the campaign's wave {1 + earlier}: sent at" in page.inner_text("#retract-asked")
    page.click("#retract-cancel")
    page.goto(f"{served_sends.base}/studio/#/campaigns/{first}")  # a first plan's own numbers
    page.locator("#recorded-sends").get_by_text("wave 2: sent at").wait_for()
    assert "of this plan" not in page.inner_text("#recorded-sends")
    watched.assert_clean()


def test_a_key_that_can_only_read_is_not_offered_a_take_back(
        served_locked: Served, watched: Any, read_key: str, write_key: str) -> None:
    page = watched.page
    film = api_as(served_locked, "/films?limit=27", read_key)["films"][26]["film_id"]
    pid = api_as(served_locked, "/campaigns/plan", write_key, {
        "films": [{"film_id": film, "budget": 20}], "seed": 48, "waves": 2})["plan_id"]
    api_as(served_locked, f"/campaigns/{pid}/waves/1/sent", write_key, {})
    for key in (read_key, write_key):
        page.goto(f"{served_locked.base}/studio/#/plan")  # asks for nothing that needs a key
        page.wait_for_selector("#plan-no-write")
        page.click("#key-button")
        page.fill("#key-input", key)
        page.get_by_role("button", name="Save").click()
        # the dialog's close event stores the key: a page asked before it ran went keyless
        # (a 401 that opened the dialog again over the next click)
        page.wait_for_function("(k) => Object.values(sessionStorage).includes(k)", arg=key)
        page.goto(f"{served_locked.base}/studio/#/campaigns/{pid}")
        page.wait_for_selector("#report table")
        if key == read_key:  # the sends are listed, the write is not offered
            page.wait_for_selector("#send-no-write")
            assert "wave 1: sent at" in page.inner_text("#recorded-sends")
            assert not page.is_visible("#retract-send")
        else:
            page.wait_for_selector("#retract-send", state="visible")
    watched.assert_clean()
