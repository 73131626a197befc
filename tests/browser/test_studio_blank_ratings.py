"""The overview says how training read the log's blank ratings (``--blank-ratings``, meta.json's
``data.blank_ratings``, in ``info`` and ``/health``): the Studio said nothing of it, so a model
trained on a partly rated log with its unrated rows dropped looked like one trained on them
all. Said only when they were read (not under the default "refuse", nor for a model that did
not record it). Oracles: the rows the test blanks, and the server's own /health."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _serve, trained_small_demo
from studio_http import api

BLANKED = 7  # rows whose rating the test blanks


@pytest.fixture(scope="module")
def served_dropped(tmp_path_factory: pytest.TempPathFactory, small_demo: Path
                   ) -> Iterator[Served]:
    """The small demo with ``BLANKED`` ratings blanked, trained ``--blank-ratings drop``."""
    def blank(data: Path) -> None:
        log = data / "interactions.csv"
        head, *rows = log.read_text(encoding="utf-8").splitlines()
        assert head.split(",")[2] == "rating"
        for i in range(BLANKED):
            cells = rows[i].split(",")
            cells[2] = ""
            rows[i] = ",".join(cells)
        log.write_text("\n".join([head, *rows]) + "\n", encoding="utf-8")

    yield from _serve(*trained_small_demo(tmp_path_factory, small_demo, "blank-drop", blank,
                                          ("--blank-ratings", "drop")))


def _fact(page: Any, name: str) -> Any:
    return page.locator(f"dl.facts dt:text-is('{name}') + dd")


def _health_with(blank: Any) -> Any:
    """A /health handler whose model says ``blank`` as its blank_ratings (a stand-in for a
    model trained another way)."""
    def handler(route: Any) -> None:
        real = route.fetch()
        body = real.json()
        route.fulfill(status=real.status, content_type="application/json",
                      body=json.dumps({**body, "model": {**body["model"],
                                                          "blank_ratings": blank}}))
    return handler


def test_dropped_blank_ratings_are_said_on_the_overview(served_dropped: Served,
                                                        watched: Any) -> None:
    read = api(served_dropped, "/health")["model"]["blank_ratings"]
    assert read == {"choice": "drop", "rows": BLANKED, "rating_given": None}
    page = watched.page
    page.goto(f"{served_dropped.base}/studio/#/overview")
    page.wait_for_selector("text=Served model")
    assert _fact(page, "Blank ratings").inner_text() == (
        f"dropped: {BLANKED} rows of the log left out of training")
    watched.assert_clean()


@pytest.mark.parametrize(("blank", "said"), [
    ({"choice": "refuse", "rows": 0, "rating_given": None}, None),
    (None, None),
    ({"choice": "implicit", "rows": 1, "rating_given": None}, "kept as views: 1 row of the log"),
    ({"choice": "implicit", "rows": 1200, "rating_given": 3.5},
     "kept as views: 1,200 rows of the log; each user-film pair no event rates was given the "
     "rating 3.5"),
])
def test_other_readings_are_said_or_not(served_dropped: Served, watched: Any, blank: Any,
                                        said: str | None) -> None:
    """The default (the log had none) and an older model's null say nothing; implicit says
    the rows kept and the rating given."""
    page = watched.page
    page.route("**/health", _health_with(blank))
    page.goto(f"{served_dropped.base}/studio/#/overview")
    page.wait_for_selector("text=Served model")
    page.wait_for_selector("dl.facts dt:text-is('Segments')")
    if said is None:
        assert _fact(page, "Blank ratings").count() == 0
    else:
        assert _fact(page, "Blank ratings").inner_text() == said
    watched.assert_clean()
