"""The header line of an audience CSV: the batch export (``audiences``) writes the one the
page CSV (``audience --csv``, the HTTP ``audience.csv``) writes, and a ``--with`` column named
by a users file passes through ``csvsafe`` as every other text cell does. The batch export
wrote its names joined by commas, unquoted: a column ``say "x"`` made a header no strict CSV
reader takes, and another line than the page CSV's; a column ``=SUM(1)`` was a formula there.

Oracles: Python's ``csv`` module reading the files back, and ``csvsafe.safe_cell``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.io.csvsafe import original_cell, safe_cell
from recommender.model.model import Model
from recommender.query.audience import film_audience
from recommender.query.export import audience_csv, write_audiences

NAMES = ('say "x"', "=SUM(1)")


@pytest.fixture(scope="module")
def model() -> Model:
    model = synthetic_model(n_users=60, n_films=6, seed=3)
    n = len(model.users)
    for i, name in enumerate(NAMES):  # every value held by many users (no cell hidden)
        model.user_table.attributes[name] = np.asarray(["p", "q"] * (n // 2) + ["p"] * (n % 2))
        model.user_table.attributes[name] = np.roll(model.user_table.attributes[name], i)
    return model


def header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text), strict=True))


def test_the_batch_header_is_the_page_csvs(model: Model, tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    write_audiences(model, np.array([0]), 5, out, progress=False, with_=list(NAMES))
    text = out.read_text(encoding="utf-8")
    page = audience_csv(model, film_audience(model, str(model.films.ids[0]), k=5), 0,
                        list(NAMES))
    assert text.split("\n", 1)[0] == page.split("\n", 1)[0]
    assert text == page  # one film: the same rows too
    got = header(text)
    assert [original_cell(c) for c in got[7:]] == list(NAMES)
    rows = list(csv.reader(io.StringIO(text), strict=True))
    assert all(len(r) == len(got) for r in rows)


def test_a_header_cell_a_spreadsheet_would_run_is_neutralised(model: Model,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    write_audiences(model, np.array([1]), 3, out, progress=False, with_=["=SUM(1)"])
    page = audience_csv(model, film_audience(model, str(model.films.ids[1]), k=3), 1,
                        ["=SUM(1)"])
    for text in (out.read_text(encoding="utf-8"), page):
        assert header(text)[-1] == safe_cell("=SUM(1)") == "'=SUM(1)"
