"""Audience Studio's layout: the uplift chart's axis labels apart, one column under 900px,
and table words kept whole (a cell breaks at its spaces)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api

# the walker's report: intervals reaching far below 0 and just above, the estimates at 0
ROWS = [{"name": n, "absolute_uplift": {"low": lo, "high": hi, "estimate": 0.0}}
        for n, lo, hi in (("overall", -0.05, 0.003), ("wave 1", -0.117, 0.014),
                          ("wave 2", -0.113, 0.014), ("wave 3", -0.117, 0.014))]

_LABELS = """async (rows) => {
  const m = await import("/studio/assets/js/campaign_report.js");
  const figure = m.uplift_chart(rows);
  document.body.append(figure);
  return [...figure.querySelectorAll("svg text")]
    .filter((t) => !rows.some((r) => r.name === t.textContent))
    .map((t) => {
      const b = t.getBoundingClientRect();
      return [t.textContent, b.left, b.right, b.top, b.bottom];
    });
}"""


def test_the_uplift_charts_axis_labels_do_not_overlap(watched: Any, served_demo: Any) -> None:
    """"0 (no effect)" was drawn over "+1.4 pts" where the zero line ran near the axis' end."""
    page = watched.page
    page.goto(f"{served_demo.base}/studio/")
    page.wait_for_selector("h1")
    labels = page.evaluate(_LABELS, ROWS)
    assert {t for t, *_ in labels} == {"0 (no effect)", "-11.7 pts", "+1.4 pts"}
    for i, (a, l1, r1, t1, b1) in enumerate(labels):
        for b, l2, r2, t2, b2 in labels[i + 1:]:
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, (a, b, labels)
    watched.assert_clean()


_WORDS = """() => {
  const broken = [];
  for (const td of document.querySelectorAll("td")) {
    const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        if (m[0].length > 16) continue;
        const r = document.createRange();
        r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def test_the_film_page_at_800px_is_one_column_and_keeps_words_whole(
        watched: Any, served_demo: Any) -> None:
    """At 800x600 the film page kept its cards two by two, each too narrow; no table word
    of up to 16 letters may break inside ("Carniva" / "l")."""
    page = watched.page
    page.set_viewport_size({"width": 800, "height": 600})
    film = api(served_demo, "/films?limit=1")["films"][0]["film_id"]
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(film, safe='')}")
    page.wait_for_selector("#audience-status")
    page.wait_for_selector("#s-demand-by-place ~ * table, section:has(#s-demand-by-place) table")
    for grid in page.locator(".grid").all():
        lefts = {round(c.bounding_box()["x"]) for c in grid.locator(":scope > .card").all()}
        assert len(lefts) == 1, lefts
    assert page.evaluate(_WORDS) == []
    assert page.evaluate("document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth") <= 0
    watched.assert_clean()


_CHART = """async (rows) => {
  const m = await import("/studio/assets/js/campaign_report.js");
  document.querySelector("main").append(m.uplift_chart(rows));
}"""


def test_a_chart_wider_than_the_screen_says_it_scrolls(watched: Any, served_demo: Any,
                                                        tmp_path: Any) -> None:
    """At 380px the uplift chart scrolls sideways (its labels kept at their size): its bars
    alone were in view, the dots and the zero line off to the right with nothing to say so.
    A hint says it while the chart overflows its box, and only then."""
    page = watched.page
    page.set_viewport_size({"width": 380, "height": 800})
    page.goto(f"{served_demo.base}/studio/")
    page.wait_for_selector("h1")
    page.evaluate(_CHART, ROWS)
    hint = page.locator(".chart-figure .scroll-hint")
    hint.wait_for(state="visible")
    assert "scroll it sideways" in hint.inner_text()
    box = page.locator(".chart-figure .table-wrap")
    assert box.evaluate("(b) => b.scrollWidth > b.clientWidth")  # the oracle: it overflows
    assert hint.bounding_box()["y"] < box.bounding_box()["y"]  # read before the chart
    page.screenshot(path=str(tmp_path / "chart-380.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    hint.wait_for(state="hidden")
    assert not box.evaluate("(b) => b.scrollWidth > b.clientWidth")
    watched.assert_clean()
