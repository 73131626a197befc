"""A campaign page's "Waves already sent" box took up to the plan's waves ("(of 3)") though a
next wave planned after 1 sent wave limits the report to 1 (the server: "sent_waves must be in
[1, 1]"), with no word of it until the report was refused: the note beside the box says so
first (the box still takes 3: a next wave can be planned after more sent waves than an
existing one was, test_studio_next_wave_followed); the report window's label said
the no-send wording after a refused report though wave 1's send is recorded; and a plan of one
wave read "the report assumes all 1 waves went out". Oracles: the server's own answers (its
refusal of the report for more waves, its sent_waves_source, its recorded sends)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, serve_own_store
from studio_http import api, stored_plan


@pytest.fixture(scope="module")
def served_limit(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model with a campaign store of this module's own."""
    yield from serve_own_store(demo_folders, "sent-limit")


def _refused(served: Served, path: str) -> str:
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"{served.base}{path}", timeout=30)
    assert e.value.code == 422
    return str(json.loads(e.value.read())["detail"])


def test_the_box_says_how_many_waves_the_report_counts_before_it_is_refused(
        served_limit: Served, watched: Any) -> None:
    page = watched.page
    plan_id = stored_plan(served_limit, 1, budget=30, waves=3, seed=11)["plan_id"]
    api(served_limit, f"/campaigns/{plan_id}/waves/1/sent", {})
    following = api(served_limit, f"/campaigns/{plan_id}/next", {"sent_waves": 1})["plan_id"]
    refusal = _refused(served_limit, f"/campaigns/{plan_id}/report?sent_waves=2")
    assert "sent_waves must be in [1, 1]" in refusal
    page.goto(f"{served_limit.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report table")
    assert page.get_attribute("#sent-waves", "max") == "3"  # a next wave may follow more
    why = (f"its next wave {following} was planned after wave 1 was sent, and re-plans the "
           "rest: its report counts the later waves")
    assert page.inner_text("#sent-limit") == (
        f"This plan's report counts at most wave 1 ({why}); a report of more is refused, and "
        "a next wave can still be planned after more.")
    # 2 typed: the server's refusal is shown in its words, the note already said it
    page.fill("#sent-waves", "2")
    page.press("#sent-waves", "Tab")
    page.wait_for_selector("#report [role=alert]")
    assert "sent_waves must be in [1, 1]" in page.inner_text("#report")
    assert page.inner_text("#sent-limit").startswith("This plan's report counts at most wave 1")
    watched.console_errors[:] = [e for e in watched.console_errors if "422" not in e]
    watched.assert_clean()


def test_the_window_label_keeps_the_recorded_send_after_a_refused_report(
        served_limit: Served, watched: Any) -> None:
    page = watched.page
    plan_id = stored_plan(served_limit, 2, budget=30, waves=2, seed=12)["plan_id"]
    api(served_limit, f"/campaigns/{plan_id}/waves/1/sent", {})
    assert api(served_limit, f"/campaigns/{plan_id}")["summary"]["wave_sends"]
    page.goto(f"{served_limit.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report table")
    label = "label[for=report-window]"
    recorded = "Report window (days after each wave's recorded send a conversion counts"
    assert page.inner_text(label).startswith(recorded)
    # the next report refused (as the server refuses one: a 422 with its words)
    page.route("**/report?*", lambda r: r.fulfill(
        status=422, content_type="application/json",
        body=json.dumps({"detail": "sent_waves must be in [1, 1] for this plan"})))
    page.fill("#report-window", "7")
    page.press("#report-window", "Tab")
    page.wait_for_selector("#report [role=alert]")
    assert page.inner_text(label).startswith(recorded)
    page.unroute("**/report?*")
    watched.console_errors[:] = [e for e in watched.console_errors if "422" not in e]
    watched.assert_clean()


def test_a_one_wave_plans_assumed_send_is_said_in_the_singular(served_limit: Served,
                                                                 watched: Any) -> None:
    page = watched.page
    plan_id = stored_plan(served_limit, 3, budget=30, waves=1, seed=13)["plan_id"]
    report = api(served_limit, f"/campaigns/{plan_id}/report")
    assert report["sent_waves"] == 1 and report["sent_waves_source"].startswith("default")
    page.goto(f"{served_limit.base}/studio/#/campaigns/{plan_id}")
    page.wait_for_selector("#report table")
    assumed = page.inner_text("#sent-assumed")
    assert assumed == ("No send recorded: the report assumes the plan's one wave went out, as "
                       "nothing says it did not. Record its send (Wave sends, below).")
    assert page.inner_text("#sent-limit") == ""
    watched.assert_clean()
