"""Audience Studio's film page names the segments whose all-rings count the privacy rule
hides, with the ring counts it shows, as the CLI's summary table does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
from typing import Any

import pytest
import studio_http


def api(served: Any, path: str) -> Any:
    return studio_http.api(served, path, timeout=60)


def test_a_segment_whose_total_is_hidden_is_named_with_its_shown_rings(
        watched: Any, served_demo: Any) -> None:
    """The "Segments in the audience" list left out a film's own largest segments when the
    rule hid their all-rings cell (the note only counted their users): each is named with its
    shown rings' counts and lifts, and the table's "all rings" column says "hidden" there."""
    for f in api(served_demo, "/films?limit=400")["films"]:
        fid = urllib.parse.quote(f["film_id"], safe="")
        summary = api(served_demo, f"/films/{fid}/audience/summary")
        rings = [t for t in summary["tiers"] if t["rank_range"]]
        overall = {s["segment"] for s in summary["segments"]}
        gone = {c["segment"]: c["label"] for t in rings for c in t["segments"]
                if c["count"] and c["segment"] not in overall}
        if gone:
            break
    else:
        pytest.skip("no demo film hides the total of a segment shown in a ring")
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{fid}")
    page.wait_for_selector("#segments-scope")
    note = page.inner_text("#segments-scope")
    for seg, label in gone.items():
        shown = [(t["tier"], c) for t in rings for c in t["segments"]
                 if c["segment"] == seg and c["count"]]
        said = "; ".join(f"{tier} ring {c['count']:,} users, ×{c['lift']:.3f}"
                         for tier, c in shown)
        assert f"“{label}” ({said})" in note
    table = page.locator("table", has=page.locator("caption", has_text="ring by ring"))
    got = {row[0]: row[1:] for row in (r.locator("td").all_inner_texts()
                                       for r in table.locator("tbody tr").all())}
    for label in gone.values():
        assert got[label][len(rings)] == "hidden"
    for s in summary["segments"]:
        assert got[s["label"]][len(rings)] == f"{s['count']:,} (×{s['lift']:.3f})"
    watched.assert_clean()


def test_each_portrait_attribute_counts_its_hidden_values_as_the_cli_does(
        watched: Any, served_demo: Any) -> None:
    """The Studio said only "14 cell(s) hidden" for the whole page where the CLI's summary
    says, under each attribute, "hidden: 2 gender values (70 users in all)": each attribute
    says its own, with the CLI's counts."""
    manifest = json.loads((served_demo.data / "demo.json").read_text())
    film = manifest["example_film_id"]
    out = subprocess.run([sys.executable, "-m", "recommender.cli", "summary",
                          str(served_demo.model), film], check=True, capture_output=True,
                         text=True, env={**os.environ, "RECOMMENDER_MIN_CELL": "10"}).stdout
    cli = {m[2]: (int(m[1]), int(m[3])) for m in re.finditer(
        r"^hidden: (\d+) (\S+) values \(([\d,]+) users in all\)", out, re.M)}
    assert cli, "the demo film hides no portrait value"
    page = watched.page
    page.goto(f"{served_demo.base}/studio/#/film/{urllib.parse.quote(film, safe='')}")
    page.wait_for_selector(".portrait")
    said = {page.locator(".hidden-values").nth(i).get_attribute("data-attribute"):
            page.locator(".hidden-values").nth(i).inner_text()
            for i in range(page.locator(".hidden-values").count())}
    assert set(said) == set(cli)
    for attr, (values, users) in cli.items():
        assert said[attr].startswith(
            f"Hidden: {values} {attr} value{'s' * (values > 1)} ({users:,} users in all)")
    watched.assert_clean()
