"""A model saved before the calibration kept its coefficients' covariance: the Studio's funnel
shows each ring's conversion with no interval, and says why in a sentence of its own (the note
began in lower case, "no interval: ...", where the CLI prints "No interval: ..."). Oracle: the
server's own summary of that folder."""

from __future__ import annotations

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
def served_before_cov(demo_folders: tuple[Path, Path, Path]) -> Iterator[Served]:
    """The demo model saved again without ``model.cov`` in calibration.json, served."""
    model, data, own = own_store(demo_folders, "before-cov")
    loaded = artifact.load(model)
    del loaded.calibration["model"]["cov"]
    yield from _serve(artifact.save(loaded, own / "model"), data, own)


def test_a_funnel_from_before_the_covariance_says_why_it_has_no_interval(
        watched: Any, served_before_cov: Served) -> None:
    page = watched.page
    fid = json.loads((served_before_cov.data / "demo.json").read_text())["example_film_id"]
    quoted = urllib.parse.quote(fid, safe="")
    summary = api(served_before_cov, f"/films/{quoted}/audience/summary")
    note = summary["conversion_interval_note"]
    assert "predates" in note and summary["base_conversion"] is not None
    assert all(t["expected_conversion_interval"] is None for t in summary["tiers"])
    page.goto(f"{served_before_cov.base}/studio/#/film/{quoted}")
    page.wait_for_selector("#conversion-interval")
    funnel = page.inner_text("section:has(h2:text('Audience funnel'))")
    assert "95% interval" not in funnel
    for tier in summary["tiers"]:
        assert f"{100 * tier['expected_conversion']:.2f}%" in funnel
    assert page.inner_text("#conversion-interval") == f"{note[0].upper()}{note[1:]}."
    watched.assert_clean()
