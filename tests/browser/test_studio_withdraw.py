"""The campaign page withdraws a campaign after the waves already sent, once confirmed: the page
then says so, offers no next wave, and the store gives back the later waves' users (the server's
summary and listing, read directly, are the oracle); "no wave was sent" withdraws all of it."""

from __future__ import annotations

import csv
import io
from typing import Any

from studio_http import api, api_text, stored_plan

from recommender.cli.report_text import expected_text


def test_withdraw_after_the_sent_waves(served_demo: Any, watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 2, budget=30, waves=3, seed=11)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=2")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    assert "Taken as sent: waves 1–2" in page.inner_text("#withdraw-out")
    page.click("#withdraw-cancel")  # nothing asked of the server yet
    assert "withdrawn" not in api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]
    page.click("#withdraw-sent")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert "waves 1–2 were sent" in page.inner_text("#withdrawn")
    assert page.locator("#next-wave").count() == 0 and page.locator("#withdraw-sent").count() == 0
    page.wait_for_selector("#report table")
    assert "the campaign was withdrawn after them" in page.inner_text("#report-note")
    label = page.inner_text("label[for=sent-waves]")  # no next wave to count them
    assert "the withdrawal says 2" in label and "next wave" not in label
    assert api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]["withdrawn"][
        "sent_waves"] == 2
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    row = page.locator("tr", has_text=plan["plan_id"])
    assert "after 2 sent waves" in row.inner_text()
    watched.assert_clean()


def test_withdraw_a_campaign_never_sent(served_demo: Any, watched: Any) -> None:
    page = watched.page
    plan = stored_plan(served_demo, 3, budget=20, seed=12)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
    page.wait_for_selector("#report table")
    page.click("#withdraw-none")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert "no wave was sent" in page.inner_text("#withdrawn")
    assert page.locator("#report").count() == 0  # nothing to report
    assert api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]["withdrawn"][
        "sent_waves"] == 0
    watched.assert_clean()


def test_the_confirmation_says_the_waves_in_words(served_demo: Any, watched: Any) -> None:
    """One wave sent is "Wave 1 was sent" (it said "Waves 1–1 were sent"); every wave sent
    gives back no user (it said the users of the later waves went back)."""
    page = watched.page
    plan = stored_plan(served_demo, 4, budget=20, waves=3, seed=13)
    for sent, said in ((1, "Taken as sent: wave 1, as “Waves already sent” says (no send "
                           "recorded). Wave 1 keeps its users; the users of the later waves"),
                       (3, "Taken as sent: waves 1–3, as “Waves already sent” says (no send "
                           "recorded). All 3 waves keep their users: no user goes back")):
        page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves={sent}")
        page.wait_for_selector("#report table")
        page.click("#withdraw-sent")
        assert said in page.inner_text("#withdraw-out")
        assert "1–1" not in page.inner_text("#withdraw-out")
        page.click("#withdraw-cancel")
    assert "withdrawn" not in api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]
    # a plan of one wave (a next wave's, often): "All its wave was sent and keep their users"
    single = stored_plan(served_demo, 4, budget=5, waves=1, seed=15)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{single['plan_id']}?sent_waves=1")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    assert ("Taken as sent: wave 1, as “Waves already sent” says (no send recorded). Its "
            "only wave keeps its users: no user goes back"
            in page.inner_text("#withdraw-out")), page.inner_text("#withdraw-out")
    watched.assert_clean()


def test_a_withdrawn_campaign_counts_its_sent_waves_at_most(served_demo: Any,
                                                           watched: Any) -> None:
    """A bookmark of more waves than a withdrawal says were sent reads the report of those
    (it asked for 3 of a campaign withdrawn after 2: the server's refusal on the page), and
    a number typed above them is read as the most, said so."""
    page = watched.page
    plan = stored_plan(served_demo, 5, budget=20, waves=3, seed=14)
    api(served_demo, f"/campaigns/{plan['plan_id']}/withdraw", {"sent_waves": 2})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=3")
    page.wait_for_selector("#report table, #report .error")
    assert page.locator("#report .error").count() == 0
    assert page.input_value("#sent-waves") == "2"
    page.fill("#sent-waves", "3")
    page.dispatch_event("#sent-waves", "change")
    page.wait_for_selector("#sent-clamped:has-text('withdrawn after them')")
    assert page.input_value("#sent-waves") == "2"
    watched.assert_clean()


def test_a_campaign_withdrawn_after_every_wave(served_demo: Any, watched: Any) -> None:
    """Withdrawn after all its waves: the page says every wave was sent (it said the users of
    its later waves were free), and the report does not ask whether later waves went out."""
    page = watched.page
    plan = stored_plan(served_demo, 7, budget=20, waves=2, seed=16)
    api(served_demo, f"/campaigns/{plan['plan_id']}/withdraw", {"sent_waves": 2})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
    page.wait_for_selector("#report table")
    said = page.inner_text("#withdrawn")
    assert "every wave was sent (2)" in said and "later waves" not in said
    note = page.inner_text("#report-note")
    assert "the campaign was withdrawn after them" in note
    assert "If later waves have not gone out yet" not in note
    watched.assert_clean()


def test_a_withdrawal_from_the_keyboard_keeps_the_focus_and_says_all_users(
        served_demo: Any, watched: Any) -> None:
    """Confirmed with Enter, the page is drawn again under the button: the focus fell to the
    body (the next Tab went on from where the button had been); it is on the notice now. A
    campaign none of whose waves was sent frees all its users (the notice said "the users of
    its later waves", later than no wave)."""
    page = watched.page
    plan = stored_plan(served_demo, 9, budget=20, waves=2, seed=17)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}")
    page.wait_for_selector("#report table")
    page.focus("#withdraw-none")
    page.keyboard.press("Enter")
    page.focus("#withdraw-confirm")
    page.keyboard.press("Enter")
    page.wait_for_selector("#withdrawn")
    page.wait_for_function("() => document.activeElement.id === 'withdrawn'")
    said = page.inner_text("#withdrawn")
    assert "no wave was sent, and all its users are free" in said and "later" not in said
    watched.assert_clean()


def test_a_campaign_withdrawn_before_any_wave_asks_no_waves_sent(served_demo: Any,
                                                                 watched: Any) -> None:
    """Withdrawn with no wave sent there is no report: the box of waves sent stayed, holding a
    bookmark's 2 beside "the withdrawal says 0", and a change asked for a report (a 422
    nobody saw but the console); the list said it was withdrawn "after 0 sent waves"."""
    page = watched.page
    plan = stored_plan(served_demo, 10, budget=20, waves=3, seed=18)
    api(served_demo, f"/campaigns/{plan['plan_id']}/withdraw", {"sent_waves": 0})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=2")
    page.wait_for_selector("#withdrawn")
    assert "no wave was sent" in page.inner_text("#withdrawn")
    assert page.locator("#sent-waves").count() == 0
    assert page.locator("#report-window").count() == 0 and page.locator("#report").count() == 0
    # the list says it in words (it said "after 0 sent waves")
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    row = page.locator("tr", has_text=plan["plan_id"]).inner_text()
    assert "before any wave was sent" in row and "after 0" not in row
    watched.assert_clean()


def test_a_plan_with_a_next_wave_is_withdrawn_there(served_demo: Any, watched: Any) -> None:
    """A plan a next wave was planned after offered Withdraw, said "This is final", then
    showed the engine's refusal (409: its campaign goes on in the next wave): the section
    now links the next wave instead; once that one is withdrawn, this one can be."""
    page = watched.page
    first = stored_plan(served_demo, 11, budget=20, waves=3, seed=19)
    later = api(served_demo, f"/campaigns/{first['plan_id']}/next", {"sent_waves": 1})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first['plan_id']}")
    page.wait_for_selector("#withdraw-next")
    assert page.locator("#withdraw-sent").count() == 0
    assert page.locator("#withdraw-none").count() == 0
    page.click(f"#withdraw-next a:text-is('{later['plan_id']}')")
    page.wait_for_selector(f"h1:has-text('{later['plan_id']}')")
    page.wait_for_selector("#report table")
    assert page.locator("#withdraw-next").count() == 0  # the last plan of the chain
    api(served_demo, f"/campaigns/{later['plan_id']}/withdraw", {"sent_waves": 0})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first['plan_id']}")
    page.wait_for_selector("#report table")
    page.wait_for_timeout(500)  # the next wave's summary read
    assert page.locator("#withdraw-next").count() == 0
    page.click("#withdraw-sent")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    watched.assert_clean()


def test_a_confirmation_is_taken_back_when_the_waves_sent_change(served_demo: Any,
                                                                watched: Any) -> None:
    """Asked with 1 wave sent, then 2 typed: the confirmation still said "Wave 1 was sent"
    and withdrew after 1 beside a box saying 2; it is taken back, and asked again says 2."""
    page = watched.page
    plan = stored_plan(served_demo, 12, budget=20, waves=3, seed=20)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=1")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    assert "Taken as sent: wave 1," in page.inner_text("#withdraw-out")
    page.fill("#sent-waves", "2")
    # as a user does: straight to the button, the box's change (on losing the focus) reading
    # the report again above the section as the click is made (the section moved under it)
    page.click("#withdraw-sent")
    page.wait_for_selector("#report table")
    assert "Taken as sent: waves 1–2" in page.inner_text("#withdraw-out")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert api(served_demo, f"/campaigns/{plan['plan_id']}")["summary"]["withdrawn"][
        "sent_waves"] == 2
    watched.assert_clean()


def test_a_bookmarked_plan_with_a_next_wave_links_it(served_demo: Any, watched: Any) -> None:
    """A plan with a next wave opened with its waves sent in the address (a bookmark, Back
    from the next wave) read only that report, "as set", which names no next wave: the section
    offered Withdraw, asked "This is final", then showed the engine's refusal (409)."""
    page = watched.page
    first = stored_plan(served_demo, 13, budget=20, waves=3, seed=21)
    later = api(served_demo, f"/campaigns/{first['plan_id']}/next", {"sent_waves": 1})
    page.goto(f"{served_demo.base}/studio/#/campaigns/{first['plan_id']}?sent_waves=1")
    page.wait_for_selector("#report table")
    page.wait_for_selector(f"#withdraw-next a:text-is('{later['plan_id']}')")
    assert page.locator("#withdraw-sent").count() == 0
    assert "as set in" in page.inner_text("#report-note")  # the bookmark's report, still
    watched.assert_clean()


def test_a_withdrawal_keeps_the_report_window(served_demo: Any, watched: Any) -> None:
    """The page drawn again after a withdrawal read the report in the server's default window
    (the 7 days set were dropped from the box and the address), and a campaign withdrawn
    before any wave kept the bookmark's sent_waves=2 in its address."""
    page = watched.page
    plan = stored_plan(served_demo, 14, budget=20, waves=3, seed=22)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=2&window_days=7")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    page.wait_for_selector("#report table")
    assert page.input_value("#report-window") == "7"
    assert "window_days=7" in page.url
    never = stored_plan(served_demo, 15, budget=20, waves=3, seed=23)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{never['plan_id']}?sent_waves=2")
    page.wait_for_selector("#report table")
    page.click("#withdraw-none")
    page.click("#withdraw-confirm")
    page.wait_for_selector("#withdrawn")
    assert "sent_waves" not in page.url
    watched.assert_clean()


def test_a_withdrawal_in_flight_holds_the_sections_buttons(served_demo: Any,
                                                          watched: Any) -> None:
    """While a confirmed withdrawal was being sent, Cancel cleared the confirmation (the
    campaign was withdrawn all the same), and "no wave was sent" asked and confirmed sent a
    second withdrawal; every button of the section now waits for the answer."""
    page = watched.page
    plan = stored_plan(served_demo, 17, budget=20, waves=3, seed=24)
    sent: list[str] = []
    release: list[Any] = []
    page.route("**/withdraw", lambda route: (sent.append(route.request.post_data or ""),
                                             release.append(route)))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=1")
    page.wait_for_selector("#report table")
    page.click("#withdraw-sent")
    page.click("#withdraw-confirm")
    page.wait_for_function("document.querySelector('#withdraw-cancel').disabled")
    for button in ("#withdraw-cancel", "#withdraw-sent", "#withdraw-none"):
        assert page.locator(button).is_disabled(), button
    release[0].continue_()
    page.wait_for_selector("#withdrawn")
    page.unroute("**/withdraw")
    assert sent == ['{"sent_waves":1}']
    watched.assert_clean()


def test_a_cancelled_withdrawal_gives_the_focus_back(served_demo: Any, watched: Any) -> None:
    """Cancel, pressed from the keyboard, took itself away with the confirmation and the focus
    fell to the body (the next Tab started over from the top of the page)."""
    page = watched.page
    plan = stored_plan(served_demo, 19, budget=20, waves=2, seed=25)
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan['plan_id']}?sent_waves=1")
    page.wait_for_selector("#report table")
    for asking in ("#withdraw-sent", "#withdraw-none"):
        page.focus(asking)
        page.keyboard.press("Enter")
        page.focus("#withdraw-cancel")
        page.keyboard.press("Enter")
        assert page.locator("#withdraw-confirm").count() == 0
        assert page.evaluate("'#' + document.activeElement.id") == asking
    watched.assert_clean()


def test_the_list_says_what_a_withdrawn_plan_sent_and_left_unsent(served_demo: Any,
                                                                    watched: Any) -> None:
    """A plan withdrawn after 1 of its 2 waves was listed with its whole plan's contacts and
    expected conversions as if they were what went out, with a caveat that the list gave no
    figure per wave; GET /campaigns now gives them (per_wave), so the row says what went out
    and what did not, and drops the caveat. Oracle: the plan's own rows (its CSV download),
    counted here per wave, and its summary's per-film waves."""
    page = watched.page
    plan = stored_plan(served_demo, 43, budget=40, waves=2, seed=43)
    plan_id = plan["plan_id"]
    rows = list(csv.DictReader(io.StringIO(api_text(served_demo,
                                                    f"/campaigns/{plan_id}/plan.csv"))))
    contacts = {w: sum(r["group"] == "target" and r["wave"] == str(w) for r in rows)
                for w in (1, 2)}
    conv = {w: sum(float(r["p"]) for r in rows if r["group"] == "target"
                   and r["wave"] == str(w)) for w in (1, 2)}
    waves = plan["summary"]["films"][0]["waves"]
    assert [contacts[1], contacts[2]] == [w["contacts"] for w in waves] and contacts[1] > 0
    api(served_demo, f"/campaigns/{plan_id}/withdraw", {"sent_waves": 1})
    listed = next(p for p in api(served_demo, "/campaigns?limit=1000")["plans"]
                  if p["plan_id"] == plan_id)
    assert listed["sent_totals"]["targets"] == contacts[1]
    fresh = stored_plan(served_demo, 44, budget=30, waves=2, seed=44)["plan_id"]  # none sent
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    row = page.locator("tr", has_text=plan_id).first
    cells = row.locator("td").all_inner_texts()
    assert cells[-3].startswith(f"{listed['totals']['contacts']:,}")
    assert cells[-1] == (
        f"Sent 1 of 2 waves (wave 1): {contacts[1]:,} contact{'s' if contacts[1] != 1 else ''}, "
        f"{expected_text(conv[1])} expected conversions. Withdrawn unsent: wave 2, "
        f"{contacts[2]:,} contact{'s' if contacts[2] != 1 else ''}, "
        f"{expected_text(conv[2])} expected conversions."), cells
    assert row.locator(".plan-whole").count() == 0  # the per-wave figures say it
    # a plan not sent yet: nothing sent, its waves still planned
    text = page.locator("tr", has_text=fresh).first.locator(".plan-sent").inner_text()
    assert text == "Sent 0 of 2 waves: no send recorded."
    assert page.locator("tr", has_text=fresh).first.locator(".plan-pending").count() == 1
    watched.assert_clean()
