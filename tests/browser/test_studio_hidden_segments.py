"""The Studio's overview lists only the segments GET /segments lists, and says how many the
minimum cell rule withholds: a server whose RECOMMENDER_MIN_CELL is above some segments' sizes
(the model trained at 10) showed every segment, with its label and films."""

from __future__ import annotations

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
    watched.assert_clean()


def test_a_withheld_segment_reads_alike_on_the_build_and_film_pages(
        watched: Any, served_above_some: tuple[Served, dict[int, int], int]) -> None:
    """The Build page's new film names a user's segment as the film page does: its label when
    GET /segments lists it, its number alone when the minimum cell rule withholds it (the
    Build page read "6 · label" where the film page read the label)."""
    served, sizes, cell = served_above_some
    labels = {s["segment"]: s["label"] for s in api(served, "/segments")["segments"]}
    page = watched.page
    _, got = rank_new_film(page, served, k=25)
    users = got.json()["users"]
    want = [labels.get(u["segment"], str(u["segment"])) for u in users]
    assert any(u["segment"] not in labels for u in users)  # a withheld one among them
    assert any(u["segment"] in labels for u in users)
    page.wait_for_function("(n) => [...document.querySelectorAll('#cold-users tbody tr')]"
                           ".filter((r) => !/^\\d+$/.test(r.lastElementChild.textContent))"
                           ".length === n", arg=sum(u["segment"] in labels for u in users))
    assert page.locator("#cold-users tbody tr td:last-child").all_inner_texts() == want
    # the film page: a user of a withheld segment, and one of a listed one, read alike
    film = urllib.parse.quote(api(served, "/films?limit=1")["films"][0]["film_id"], safe="")
    page.goto(f"{served.base}/studio/#/film/{film}")
    page.wait_for_selector("#audience-status")
    shown = api(served, f"/films/{film}/audience?k=25")["users"]
    rows = page.locator("table:has(caption:text('audience, best first')) tbody tr")
    rows.first.wait_for()
    for i, u in enumerate(shown[:rows.count()]):
        assert rows.nth(i).locator("td").last.inner_text() == labels.get(
            u["segment"], str(u["segment"]))
    watched.assert_clean()
