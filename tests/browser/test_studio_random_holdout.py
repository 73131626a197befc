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
    assert said.startswith("Not a conversion rate: each probability is the chance that a "
                           "hidden viewing is found"), said
    assert summary["horizon"]["note"][1:] in said, said
    watched.assert_clean()


def test_the_report_warns_its_predicted_conversions_are_no_forecast(
        watched: Any, served_untimed: Served) -> None:
    """A plan of the untimed model: the campaign page's report warns beside its figures that
    its predicted conversions are no forecast (the report's calibration_warning, the
    oracle: the plan's horizon flag and the server's sentence)."""
    from studio_http import stored_plan

    page = watched.page
    plan = stored_plan(served_untimed, 3, budget=20, seed=2)
    assert plan["summary"]["horizon"]["random_holdout"] is True
    pid = plan["plan_id"]
    said = api(served_untimed, f"/campaigns/{urllib.parse.quote(pid, safe='')}/report")[
        "calibration_warning"]
    assert said and "random holdout" in said
    page.goto(f"{served_untimed.base}/studio/#/campaigns/{urllib.parse.quote(pid, safe='')}")
    page.wait_for_selector("#report table")
    shown = page.inner_text("#report-random-holdout")
    assert shown.startswith("Predicted conversions are no forecast: "), shown
    assert said in shown, shown
    watched.assert_clean()
