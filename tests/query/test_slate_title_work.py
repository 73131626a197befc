"""A slate's title column reads the catalog's titles once per catalog, not once per row: a row
naming a film by its main title read every title holding its first word (0.75 s for "The
Hobbit" on ml-latest-small, ~40 s a 50-row slate).

Oracle: the work counted (titles whose names are read, ``typed_titles.name_keys``), not timed.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.cli.checks import slate_films_known
from recommender.io.dataset import Catalog
from recommender.model.model import Model
from recommender.query import typed_titles


def _model(names: list[str]) -> Model:
    """A model whose catalog has ``names`` (each ending in its year)."""
    m = synthetic_model(n_users=60, n_films=len(names), seed=3)
    years = np.array([int(t[-5:-1]) for t in names], np.int32)
    return dataclasses.replace(m, catalog=Catalog(m.films.ids.copy(), np.array(names), years,
                                                  np.full(len(names), "", str)))


def test_a_slates_titles_read_the_catalog_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """30 rows naming The Hobbit: An Unexpected Journey by its main title, in a catalog of
    300 titles beginning "The": each title's names are read once per catalog, not per row."""
    names = [f"Film {k}, The ({1950 + k % 60})" for k in range(300)]
    names += ["Hobbit: An Unexpected Journey, The (2012)", "Terminator 2: Judgment Day (1991)"]
    model = _model(names)
    hobbit, t2 = (str(model.films.ids[len(names) - k]) for k in (2, 1))
    slate = [SimpleNamespace(film_id=hobbit, title="The Hobbit", line=k + 2) for k in range(30)]
    slate += [SimpleNamespace(film_id=t2, title="Terminator 2", line=32)]
    calls = [0]
    real = typed_titles.name_keys

    def counting(title: str) -> frozenset[str]:
        calls[0] += 1
        return real(title)

    monkeypatch.setattr(typed_titles, "name_keys", counting)
    slate_films_known(model, "slate.csv", slate)  # no refusal: each names its film alone
    # once per title, and each row's own film (is the title a whole name of it?)
    assert calls[0] <= len(names) + len(slate), calls[0]
    before = calls[0]
    slate_films_known(model, "slate.csv", slate)
    assert calls[0] - before <= len(slate), calls[0] - before  # kept for the catalog


def test_a_title_that_is_no_main_title_reads_no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong title ("Heat" for Terminator 2) is refused without reading the catalog's names."""
    from recommender.errors import DataError

    names = [f"Film {k}, The ({1950 + k % 60})" for k in range(100)]
    names += ["Terminator 2: Judgment Day (1991)"]
    model = _model(names)
    calls = [0]
    real = typed_titles.name_keys

    def counting(title: str) -> frozenset[str]:
        calls[0] += 1
        return real(title)

    monkeypatch.setattr(typed_titles, "name_keys", counting)
    t2 = str(model.films.ids[len(names) - 1])
    with pytest.raises(DataError, match="not 'Heat'"):
        slate_films_known(model, "slate.csv", [SimpleNamespace(film_id=t2, title="Heat", line=2)])
    assert calls[0] <= 1, calls[0]
