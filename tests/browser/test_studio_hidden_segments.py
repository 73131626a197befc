"""The Studio's overview lists only the segments GET /segments lists, and says how many the
minimum cell rule withholds: a server whose RECOMMENDER_MIN_CELL is above some segments' sizes
(the model trained at 10) showed every segment, with its label and films."""

from __future__ import annotations

import csv
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import Served, _serve, trained_small_demo
from studio_http import api, rank_new_film

from recommender.model import artifact


@pytest.fixture(scope="module")
def served_above_some(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                      ) -> Iterator[tuple[Served, dict[int, int], int]]:
    """The small demo trained, served at a minimum cell between its segments' sizes; with
    each segment's users (the oracle, counted from the artifact) and that minimum."""
    model, data, root = trained_small_demo(tmp_path_factory, small_demo, "hidden-segments")
    labels = np.asarray(artifact.load(model).segments.labels, np.int64)
    sizes = {s: int(n) for s, n in enumerate(np.bincount(labels)) if n}
    cell = int(np.median(list(sizes.values()))) + 1
    for served in _serve(model, data, root, RECOMMENDER_MIN_CELL=str(cell)):
        yield served, sizes, cell


def test_overview_lists_the_shown_segments_and_says_the_hidden(
        watched: Any, served_above_some: tuple[Served, dict[int, int], int]) -> None:
    served, sizes, cell = served_above_some
    gone = {s: n for s, n in sizes.items() if n < cell}
    assert gone and len(gone) < len(sizes)  # some withheld, some listed
    body = api(served, "/segments")
    assert body["hidden"] == {"segments": len(gone), "users": sum(gone.values())}
    page = watched.page
    page.goto(f"{served.base}/studio/#/")
    page.wait_for_selector("table:has(caption:text('segments')) tbody tr")
    rows = page.locator("table:has(caption:text('segments')) tbody tr")
    assert rows.count() == len(sizes) - len(gone)
    shown = {int(rows.nth(i).locator("td").first.inner_text()) for i in range(rows.count())}
    assert shown == set(sizes) - set(gone)
    note = page.inner_text("#segments-hidden")
    users = sum(gone.values())
    assert (f"Hidden: {len(gone)} segment{'s' if len(gone) != 1 else ''} ({users:,} users in "
            f"all), each of fewer than {cell} users") in note, note
    assert "RECOMMENDER_MIN_CELL" in note
    # the served model's facts count the segments listed, the withheld ones said beside
    fact = page.locator("dl.facts dt:text-is('Segments') + dd").inner_text()
    assert fact == (f"{len(sizes) - len(gone)} (and {len(gone)} withheld: fewer than {cell} "
                    "users each)"), fact
    watched.assert_clean()


def _named(labels: dict[int, str], sizes: dict[int, int], cell: int, segment: int) -> str:
    """The oracle: a segment's words in a table and a CSV's segment_label: its label when it
    holds at least ``cell`` users (counted from the artifact), else "hidden"."""
    return labels[segment] if sizes[segment] >= cell else "hidden"


def _assert_cells(cells: Any, segments: list[int], labels: dict[int, str],
                  sizes: dict[int, int], cell: int) -> None:
    """Each segment cell reads as a CSV does, a hidden one titled with the minimum cell."""
    assert cells.all_inner_texts() == [_named(labels, sizes, cell, s) for s in segments]
    for i, s in enumerate(segments):
        title = cells.nth(i).locator(".segment-hidden")
        if sizes[s] < cell:
            assert f"Segment {s}: fewer than {cell} users" in title.get_attribute("title")
        else:
            assert title.count() == 0


def test_a_withheld_segment_reads_hidden_on_the_build_and_film_pages(
        watched: Any, served_above_some: tuple[Served, dict[int, int], int]) -> None:
    """The Build page's tables and the film page's name a user's segment as every CSV's
    segment_label does: its label when GET /segments lists it, "hidden" (its title saying it
    is under the minimum cell) when the minimum cell rule withholds it; the segment's number
    was shown, and the lookalike CSV made in the page left its segment_label empty. (The
    Build page read "6 · label" where the film page read the label, before.)"""
    served, sizes, cell = served_above_some
    labels = {s["segment"]: s["label"] for s in api(served, "/segments")["segments"]}
    page = watched.page
    _, got = rank_new_film(page, served, k=25)
    users = [u["segment"] for u in got.json()["users"]]
    assert any(sizes[s] < cell for s in users)  # a withheld one among them
    assert any(sizes[s] >= cell for s in users)
    page.wait_for_function("(n) => [...document.querySelectorAll('#cold-users tbody tr')]"
                           ".filter((r) => !/^\\d+$/.test(r.lastElementChild.textContent))"
                           ".length === n", arg=len(users))
    _assert_cells(page.locator("#cold-users tbody tr td:last-child"), users, labels, sizes,
                  cell)
    # the lookalikes' table, and the CSV the page makes of them
    film = urllib.parse.quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    seeds = [u["user_id"] for u in api(served, f"/films/{film}/audience?k=3")["users"]]
    alike = api(served, "/audiences/lookalike", {"seed_user_ids": seeds, "k": 200})["users"]
    assert any(sizes[u["segment"]] < cell for u in alike)
    page.fill("#seed-ids", "\n".join(seeds))
    page.fill("#lookalike-k", "200")
    page.get_by_role("button", name="Find lookalikes").click()
    cells = page.locator("#lookalike-users tbody tr td:last-child")
    cells.first.wait_for()
    _assert_cells(cells, [u["segment"] for u in alike[:cells.count()]], labels, sizes, cell)
    with page.expect_download() as dl:
        page.locator("#lookalike-users").get_by_role(
            "button", name=f"Download these {len(alike)} users (CSV)").click()
    with open(dl.value.path(), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["segment_label"] for r in rows] == [
        _named(labels, sizes, cell, u["segment"]) for u in alike]
    # the film page: a user of a withheld segment, and one of a listed one, read alike
    page.goto(f"{served.base}/studio/#/film/{film}")
    page.wait_for_selector("#audience-status")
    shown = [u["segment"] for u in api(served, f"/films/{film}/audience?k=25")["users"]]
    cells = page.locator("table:has(caption:text('audience, best first')) tbody tr td:last-child")
    cells.first.wait_for()
    _assert_cells(cells, shown[:cells.count()], labels, sizes, cell)
    watched.assert_clean()
