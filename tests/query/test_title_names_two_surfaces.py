"""A title's names as the two surfaces read them, from one parser (``title_names``): search
(``TitleIndex``) drops a trailing year from every title, while the exact-title check
(``hints.titled_exactly``) drops it only where it is the film's own year, so that in a catalog
without years "Brazil (1985)" is found by search for "brazil" but is not the title "brazil"
names (nor is Amelie, whose alternative title stands before such a year).

Oracle: hand-made catalogs (titles and years set by the test), one with each film's year and
the same titles without any; the expected films are read off the rules above by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.model.model import Model
from recommender.query.hints import titled_exactly
from recommender.query.title_match import kind_of
from recommender.query.titles import TitleIndex

TITLES = ["Brazil (1985)", "Matrix, The (1999)",
          "Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
          "Seven (a.k.a. Se7en) (1995)", "Boot, Das", "Film 5"]
YEARS = [1985, 1999, 2001, 1995, 1981, 2000]
NO_YEARS = [0] * len(TITLES)


def _model(years: list[int]) -> Model:
    m = synthetic_model(n_users=30, n_films=len(TITLES), seed=7)
    return dataclasses.replace(m, catalog=dataclasses.replace(
        m.catalog, titles=np.asarray(TITLES, dtype=str), years=np.asarray(years, np.int32)))


# (typed, the films it is the exact title of with years, without years)
EXACT = [
    ("brazil", [0], []), ("Brazil (1985)", [0], [0]), ("brazil (1984)", [], []),
    ("the matrix", [1], []), ("Matrix, The", [1], []), ("the matrix (1999)", [1], []),
    ("Matrix, The (1999)", [1], [1]), ("matrix", [], []),
    ("amelie", [2], []), ("amelie (2001)", [2], []),
    ("le fabuleux destin d'amélie poulain", [2], []),
    ("Amelie (Fabuleux destin d'Amélie Poulain, Le) (2001)", [2], [2]),
    ("se7en", [3], []), ("seven", [3], []), ("Seven (a.k.a. Se7en) (1995)", [3], [3]),
    ("das boot", [4], [4]), ("boot, das", [4], [4]), ("das boot (1981)", [4], []),
]


@pytest.mark.parametrize(("typed", "dated", "undated"), EXACT)
def test_the_exact_title_drops_only_the_films_own_year(typed: str, dated: list[int],
                                                        undated: list[int]) -> None:
    assert titled_exactly(_model(YEARS), typed).tolist() == dated
    assert titled_exactly(_model(NO_YEARS), typed).tolist() == undated


# (typed, the film search ranks first as its whole title, with or without the catalog's years)
SEARCHED = [("brazil", 0), ("the matrix", 1), ("matrix, the", 1), ("amelie", 2),
            ("le fabuleux destin d'amelie poulain", 2), ("se7en", 3), ("seven", 3),
            ("das boot", 4), ("brazil 1985", 0), ("the matrix 1999", 1)]


@pytest.mark.parametrize("years", [YEARS, NO_YEARS])
@pytest.mark.parametrize(("typed", "film"), SEARCHED)
def test_search_drops_every_trailing_year(typed: str, film: int, years: list[int]) -> None:
    scores, levels = TitleIndex(TITLES, years).scored(typed)
    assert int(np.argmax(scores)) == film, typed
    assert kind_of(float(levels[film])) == "title", typed
    # the year in the title stands for the catalog's where it has none ("Boot, Das" has none)
    in_title = YEARS[film] if TITLES[film].endswith(")") else 0
    assert TitleIndex(TITLES, years).years[film] == (years[film] or in_title)


def test_an_alternative_title_is_read_without_its_blanks() -> None:
    """"Foo ( The Bar ) (1990)" is named as "Foo (The Bar) (1990)" is, "bar" included: the
    blanks inside the parentheses kept "The" from being read as a leading article (the
    exact-title check already dropped them)."""
    index = TitleIndex(["Foo ( The Bar ) (1990)", "Foo (The Bar) (1990)", "Film 2"], [0, 0, 0])
    _, levels = index.scored("bar")
    assert [kind_of(float(levels[f])) for f in (0, 1)] == ["title", "title"]
