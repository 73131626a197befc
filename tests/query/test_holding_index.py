"""The titles that may hold a word (``id_titles.names_holding``, ``also_titled``'s candidates) are
read with numpy from each title's compacted name, kept per catalog (``holding.HoldingIndex``,
``id_titles.holding_titles``): ``film m1 1`` on ml-latest-small looped over its 9,742 titles in
Python (290 ms of each CLI process), and again on each answer. The answers are the same.

Oracle: the function as it was (``old_names_holding``, kept in tests/title_oracles.py), on
hand-written titles and ml-latest-small's; work is counted (titles whose trailing year is
looked for), not timed.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model
from title_oracles import movielens_titles, old_names_holding

from recommender.io.dataset import Catalog
from recommender.model.model import Model
from recommender.query import titles
from recommender.query.holding import HoldingIndex
from recommender.query.id_titles import also_titled, holding_titles, names_holding
from recommender.query.titles import (
    _AS_DIGITS,
    _DIGIT_WORD,
    normalise,
)

NAMES = ["Terminator 2: Judgment Day (1991)", "Ten (2001)", "Se7en (a.k.a. Seven) (1995)",
         "WALL·E (2008)", "Ocean's Eleven (2001)", "Amélie (2001)", "Rocky II (1979)",
         "Line\nBreak (2000)", "(1995)", "", "Fast & Furious 7 (2015)", "Snake_Eyes (1998)",
         "Ten's Tale (1990)", "Mission: Impossible III (2006)"]


def test_holding_answers_as_the_old_scan() -> None:
    words = {w for t in NAMES for w in normalise(t).split()} | {
        "", "2", "10", "7", "11", "3", "tens", "10s", "walle", "andfurious", "x9q", "1995"}
    held = HoldingIndex(NAMES)
    for word in sorted(words):
        assert held.rows(word) == names_holding(NAMES, word) == old_names_holding(
            NAMES, word), word
    assert HoldingIndex([]).rows("1") == old_names_holding([], "1") == []


def test_holding_answers_as_the_old_scan_on_movielens(shared_datasets: Path) -> None:
    names, _ = movielens_titles(shared_datasets)
    held = HoldingIndex(names)
    for word in ["1", "2", "12", "300", "2571", "x9q", "ii", "seven", "wall", "amelie", "the"]:
        assert held.rows(word) == old_names_holding(names, word), word


def _model(names: list[str]) -> Model:
    """A model whose catalog has ``names`` (each ending in its year)."""
    m = synthetic_model(n_users=60, n_films=len(names), seed=3)
    years = np.array([int(t[-5:-1]) for t in names], np.int32)
    return dataclasses.replace(m, catalog=Catalog(m.films.ids.copy(), np.array(names), years,
                                                  np.full(len(names), "", str)))


class _Counting:
    """``titles._YEAR_AT_END`` counting its searches."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.searches = pattern, 0

    def search(self, text: str, *args: Any) -> re.Match[str] | None:
        self.searches += 1
        return self.pattern.search(text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


def test_a_short_ids_title_note_reads_the_titles_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """"7" is in the years of 400 titles and in none of their names: a second answer for it
    reads no title again (each looked for each title's year)."""
    names = [f"Picture {chr(97 + k % 26)}{chr(97 + k // 26)} ({1907 + k % 90})"
             for k in range(400)]
    model = _model(names)
    counted = _Counting(titles._YEAR_AT_END)
    monkeypatch.setattr(titles, "_YEAR_AT_END", counted)
    assert also_titled(model, "7") == []
    first = counted.searches
    assert also_titled(model, "7") == also_titled(model, "07") == []
    assert counted.searches - first < 20, (first, counted.searches)
    assert holding_titles(model) is holding_titles(model)


def test_number_words_in_digits_as_the_expression_reads_them(shared_datasets: Path) -> None:
    """``holding.in_digits`` (a dictionary over words) against ``titles._DIGIT_WORD``."""
    from recommender.query.holding import in_digits

    def by_expression(text: str) -> str:
        return _DIGIT_WORD.sub(lambda m: _AS_DIGITS[m.group(1)], text)

    texts = NAMES + ["ten_two ten's two-three iii viii x ii.ii élevenn twelve\nnine", "", "ten",
                     "iiii", "Two", "seven7 7seven _ten ten_", "dvi ii"]
    path = shared_datasets / "ml-latest-small" / "movies.csv"
    if path.is_file():
        with open(path, encoding="utf-8", newline="") as f:
            texts += [normalise(row["title"]) for row in csv.DictReader(f)]
    for text in texts + [t.lower() for t in texts]:
        assert in_digits(text) == by_expression(text), text
