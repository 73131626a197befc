"""Audience Studio's layout: the uplift chart's axis labels apart, one column under 900px,
table words kept whole (a cell breaks at its spaces), and at a phone's width a wide table's
caption wrapped in view and a report's Note a line wide."""

from __future__ import annotations

import urllib.parse
from typing import Any

from studio_http import api, stored_plan

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


_CAPTIONS = """() => [...document.querySelectorAll('.table-wrap')].filter((w) =>
    w.querySelector(':scope > table > caption')).map((w) => {
  const c = w.querySelector(':scope > table > caption');
  const at = () => { const b = c.getBoundingClientRect(); return [b.left, b.right]; };
  const box = w.getBoundingClientRect(), before = at();
  w.scrollLeft = w.scrollWidth;  // the table scrolled to its far end: the caption stays
  const after = at();
  w.scrollLeft = 0;
  return { text: c.textContent, box: [box.left, box.right], wide: w.scrollWidth > w.clientWidth + 1,
           before, after, lines: c.getClientRects().length, height: c.offsetHeight,
           lineHeight: parseFloat(getComputedStyle(c).lineHeight) };
})"""


def _captions_in_view(page: Any, want: list[str]) -> None:
    """Each table caption in ``want`` (its start) lies inside its scroll box, scrolled or not,
    and wraps there; each stays its table's name."""
    shown = page.evaluate(_CAPTIONS)
    for start in want:
        found = [c for c in shown if c["text"].startswith(start)]
        assert found, (start, [c["text"] for c in shown])
        for c in found:
            (left, right), wide = c["box"], c["wide"]
            assert wide, c  # the oracle: the table is wider than its box at 390px
            for at in (c["before"], c["after"]):
                assert left - 1 <= at[0] and at[1] <= right + 1, c
            assert page.get_by_role("table", name=c["text"], exact=True).count() >= 1


def test_wide_tables_captions_wrap_in_their_box_at_390px(watched: Any, served_demo: Any) -> None:
    """At 390x844 a wide table's caption took the table's width inside its scroll box: the
    report's "Uplift against the control group, overall and per wave (the first 1 sent)" (519
    px) was cut at 332 px, and scrolled away with the table. The report's Note column was a
    word or two wide, each per-film row 290 px tall."""
    page = watched.page
    page.set_viewport_size({"width": 390, "height": 844})
    plan = stored_plan(served_demo, 62, budget=20, seed=42)["plan_id"]
    page.goto(f"{served_demo.base}/studio/#/campaigns/{plan}")
    page.wait_for_selector("#report table")
    _captions_in_view(page, ["Uplift against the control group, overall and per wave",
                             "Per film"])
    long = [c for c in page.evaluate(_CAPTIONS) if c["text"].startswith("Uplift against")][0]
    assert long["height"] > 1.5 * long["lineHeight"], long  # wrapped, not cut
    report = api(served_demo, f"/campaigns/{plan}/report")
    row = report["films"][0]  # the oracle: the film's row has a note to show
    assert any(row.get(k) for k in ("no_estimate", "note", "warning", "split_warning")), row
    table = page.get_by_role("table", name="Per film", exact=True).last
    at = table.locator("thead th").all_inner_texts().index("Note") + 1
    note = table.locator(f"tbody tr td:nth-child({at})").first
    viewport = page.evaluate("document.documentElement.clientWidth")
    # a line of about 30 letters: its text did not need 290px of height
    assert note.bounding_box()["width"] >= 0.6 * (viewport - 58), note.bounding_box()
    film = urllib.parse.quote(api(served_demo, "/films?limit=1")["films"][0]["film_id"], safe="")
    page.goto(f"{served_demo.base}/studio/#/film/{film}")
    page.wait_for_selector("table >> text=Segments ring by ring")
    _captions_in_view(page, ["Segments ring by ring"])
    watched.assert_clean()
