"""Oracles for the title tests: ``hints.names_holding`` as it was before its index (a prefilter
on the whole text, then a Python loop over every title), and ml-latest-small's titles read in
place (a test skips where the shared datasets are absent)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest

from recommender.query.titles import (
    _AS_DIGITS,
    _DIGIT_WORD,
    _NOT_WORD,
    _YEAR_AT_END,
    normalise,
    numerals_as_digits,
)


def old_names_holding(titles: Sequence[str], word: str) -> list[int]:
    """``hints.names_holding`` as it was: a prefilter on the whole text, then each title."""
    forms = {word, numerals_as_digits(word)}
    digits = any(c.isdigit() for w in forms for c in w)
    text = normalise(" ".join(titles))
    whole = text.replace(" ", "") + (" " + _DIGIT_WORD.sub(
        lambda m: _AS_DIGITS[m.group(1)], text).replace(" ", "") if digits else "")
    if not any(w in whole for w in forms):
        return []
    rows = []
    for i, title in enumerate(titles):
        m = _YEAR_AT_END.search(title)
        name = title[:m.start()] if m and m.start() > 0 else title
        text = name.lower().replace("&", " and ") if name.isascii() else normalise(name)
        compact = [_NOT_WORD.sub("", text)] + ([_NOT_WORD.sub("", _DIGIT_WORD.sub(
            lambda m: _AS_DIGITS[m.group(1)], text))] if digits else [])
        if any(w in c for w in forms for c in compact):
            rows.append(i)
    return rows


def movielens_titles(shared_datasets: Path) -> tuple[list[str], list[int]]:
    """ml-latest-small's titles and each one's year at its end (0: none), or the test skipped."""
    path = shared_datasets / "ml-latest-small" / "movies.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with open(path, encoding="utf-8", newline="") as f:
        names = [row["title"] for row in csv.DictReader(f)]
    return names, [int(t.rstrip(") ")[-4:]) if t.rstrip(") ")[-4:].isdigit() else 0
                   for t in names]
