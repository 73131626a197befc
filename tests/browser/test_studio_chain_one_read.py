"""A next wave's page read each earlier plan of its chain, one request per level (up to 50):
it reads the chain from its own summary now (``chain``). Oracle: the plans made here, and the
requests the page sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from studio_http import api, stored_plan


def test_a_next_waves_page_reads_no_earlier_plan(served_demo: Any, watched: Any) -> None:
    page = watched.page
    root = stored_plan(served_demo, 59, budget=40, waves=3, seed=59)["plan_id"]
    a = api(served_demo, f"/campaigns/{root}/next", {"sent_waves": 1})["plan_id"]
    two = api(served_demo, f"/campaigns/{a}/next", {"sent_waves": 1})
    b, b_waves = two["plan_id"], two["summary"]["parameters"]["waves"]
    read: list[str] = []
    page.on("request", lambda r: read.append(unquote(urlparse(r.url).path)))
    page.goto(f"{served_demo.base}/studio/#/campaigns/{b}")
    page.wait_for_selector("#report table")
    text = page.locator("#campaign-chain").inner_text()
    # one wave of the root, then one of a: b's wave 1 is the campaign's third
    first = "wave 3" if b_waves == 1 else f"waves 3–{2 + b_waves}"
    assert f"{first} of the campaign" in text and f"which began with {root}" in text, text
    assert f"/campaigns/{root}" not in read and f"/campaigns/{a}" not in read, read
    watched.assert_clean()
