"""A blank age has no age band: ``age_band=(no value)`` filters the users whose ``age`` is
``(no value)``, where their band read "unknown" (two names for one blank cell); an age given
but no number keeps the band "unknown".

Oracle: the users file's own cells, read with the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from recommender.io.columns import AGE_BAND
from recommender.io.dataset import AGE_BANDS, age_bands
from recommender.io.project import read_users


def _band(cell: str) -> str:
    text = cell.strip()
    if not text:
        return ""
    try:
        age = float(text)
    except ValueError:
        return "unknown"
    return next((label for lo, hi, label in AGE_BANDS if lo <= age < hi), "unknown")


def test_blank_ages_have_no_band(tmp_path: Path) -> None:
    rows = [("u1", "34"), ("u2", ""), ("u3", "  "), ("u4", "forty"), ("u5", "17"), ("u6", "70")]
    path = tmp_path / "users.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([("user_id", "age"), *rows])
    table = read_users(path)
    bands = dict(zip(table.user_ids.tolist(), table.attributes[AGE_BAND].tolist(), strict=True))
    with path.open(newline="") as f:
        expected = {r["user_id"]: _band(r["age"]) for r in csv.DictReader(f)}
    assert bands == expected
    assert bands["u2"] == bands["u3"] == "" and bands["u4"] == "unknown"


@pytest.mark.parametrize("cells", [["", "5", "x", " 44 "], ["  ", ""]])
def test_age_bands_against_cells(cells: list[str]) -> None:
    assert age_bands(np.asarray(cells)).tolist() == [_band(c) for c in cells]

