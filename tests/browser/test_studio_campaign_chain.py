"""A next wave never named the plan it continues (the API's previous_plan_id was read by no
page), its waves were numbered from 1 as if a campaign of their own, and the Campaigns list
showed its contacts beside its plan's like two campaigns. Each page now links the other and
says the campaign's wave numbers; the list marks the chain. Oracle: the summaries the server
answered (each link's sent_waves), summed here up the chain."""

from __future__ import annotations

from typing import Any

from studio_http import api, stored_plan


def span(a: int, b: int) -> str:
    return f"wave {a}" if a == b else f"waves {a}–{b}"


def test_next_waves_name_their_campaign(served_demo: Any, watched: Any) -> None:
    page = watched.page
    root = stored_plan(served_demo, 52, budget=40, waves=3, seed=44)["plan_id"]
    one = api(served_demo, f"/campaigns/{root}/next", {"sent_waves": 1})
    a, a_waves = one["plan_id"], one["summary"]["parameters"]["waves"]
    two = api(served_demo, f"/campaigns/{a}/next", {"sent_waves": 1})
    b, b_waves = two["plan_id"], two["summary"]["parameters"]["waves"]
    assert api(served_demo, f"/campaigns/{b}")["summary"]["previous_plan_id"] == a
    page.goto(f"{served_demo.base}/studio/#/campaigns/{root}")
    page.wait_for_selector("#report table")
    chain = page.locator("#campaign-chain")
    assert chain.locator("a").all_inner_texts() == [a]
    assert "Continued in its next wave" in chain.inner_text()
    page.goto(f"{served_demo.base}/studio/#/campaigns/{a}")
    page.wait_for_selector("#report table")
    assert chain.locator("a").all_inner_texts() == [root, b]
    text = chain.inner_text()
    # the root's wave 1 was sent before it: its waves are the campaign's from 2
    verb = "is" if a_waves == 1 else "are"
    assert f"its {span(1, a_waves)} {verb} {span(2, 1 + a_waves)} of the campaign" in text
    page.goto(f"{served_demo.base}/studio/#/campaigns/{b}")
    page.wait_for_selector("#report table")
    text = chain.inner_text()
    # one wave of the root, then one of a: b's wave 1 is the campaign's third
    assert f"{span(3, 2 + b_waves)} of the campaign" in text and root in text
    assert chain.locator("a").all_inner_texts() == [a, root]
    page.goto(f"{served_demo.base}/studio/#/campaigns")
    page.wait_for_selector("table")
    cell = page.locator("td", has=page.locator(".plan-chain")).filter(
        has_text=f"{a} (next wave of").first
    assert f"next wave of {root}, after its wave 1: the same campaign" in cell.inner_text()
    assert f"continued in {b}" in cell.inner_text()
    assert watched.axe() == []
    watched.assert_clean()
