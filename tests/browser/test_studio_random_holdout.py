"""A model whose calibration was held out at random (a log without timestamps) says on the
film page that its expected conversions are no conversion rate (the funnel showed "expected
conversion 97.99%" as a rate). The served model is the demo's with its calibration's span
removed, as training on a log without times leaves it. Oracle: the server's summary."""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, _serve, own_store
from studio_http import api

from recommender.model import artifact


@pytest.fixture(scope="module")
def served_untimed(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    model, data, own = own_store(demo_folders, "untimed")
    demo = artifact.load(model)
    untimed = dataclasses.replace(demo, calibration=dict(demo.calibration, horizon_days=None))
    yield from _serve(artifact.save(untimed, own / "model"), data, own)


def test_the_funnel_says_its_conversion_is_no_rate(watched: Any, served_untimed: Served
                                                   ) -> None:
    page = watched.page
    fid = json.loads((served_untimed.data / "demo.json").read_text())["example_film_id"]
    quoted = urllib.parse.quote(fid, safe="")
    summary = api(served_untimed, f"/films/{quoted}/audience/summary")
    assert summary["horizon"]["random_holdout"] is True
    page.goto(f"{served_untimed.base}/studio/#/film/{quoted}")
    page.wait_for_selector("#random-holdout")
    said = page.inner_text("#random-holdout")
    assert said.startswith("Not a conversion rate: p is the chance that a hidden viewing is "
                           "found"), said
    assert summary["horizon"]["note"][1:] in said, said
    watched.assert_clean()
