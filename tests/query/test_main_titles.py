"""A slate's title column may name a film by its main title, the part before the colon, when
no other film of the catalog has that name: "Terminator 2" was refused for Terminator 2:
Judgment Day (1991), "Star Wars" still is for any episode.

Oracle: a hand-written catalog, and ml-latest-small's titles with expectations written by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from title_oracles import movielens_titles

from recommender.query.typed_titles import names_alone

CATALOG = [("Terminator 2: Judgment Day (1991)", 1991), ("Terminator, The (1984)", 1984),
           ("Star Wars: Episode IV - A New Hope (1977)", 1977),
           ("Star Wars: Episode V - The Empire Strikes Back (1980)", 1980),
           ("Alien (1979)", 1979), ("Alien: Resurrection (1997)", 1997),
           ("Amélie: The Musical (2019)", 2019), ("Rocky II: The Return (1979)", 1979)]


@pytest.mark.parametrize(("typed", "film", "named"), [
    ("Terminator 2", 0, True), ("terminator ii", 0, True), ("Terminator 2 (1991)", 0, True),
    ("terminator 2 1990", 0, False),  # another year
    ("Star Wars", 2, False), ("star wars", 3, False),  # two episodes
    ("Alien", 5, False),  # Alien (1979) is a film
    ("amelie", 6, True), ("Rocky 2", 7, True),
    ("The Terminator", 0, False), ("Judgment Day", 0, False),  # not a main title
])
def test_a_main_title_names_its_film_alone(typed: str, film: int, named: bool) -> None:
    names, years = [t for t, _ in CATALOG], [y for _, y in CATALOG]
    assert names_alone(typed, names, years, film) is named


# (typed, the film's title as ml-latest-small writes it, named)
MOVIELENS = [
    ("Terminator 2", "Terminator 2: Judgment Day (1991)", True),
    ("Star Wars", "Star Wars: Episode IV - A New Hope (1977)", False),
    ("Pirates of the Caribbean",
     "Pirates of the Caribbean: The Curse of the Black Pearl (2003)", False),
    ("Harry Potter", "Harry Potter and the Sorcerer's Stone (a.k.a. Harry Potter and the "
                     "Philosopher's Stone) (2001)", False),
    ("Mission Impossible", "Mission: Impossible II (2000)", False),
    # another film's main title is cut at a spaced dash: "Sherlock - A Study in Pink (2010)"
    ("Sherlock", "Sherlock: The Abominable Bride (2016)", False),
]


def test_main_titles_on_movielens(shared_datasets: Path) -> None:
    names, years = movielens_titles(shared_datasets)
    for typed, title, named in MOVIELENS:
        assert names_alone(typed, names, years, names.index(title)) is named, (typed, title)


@pytest.mark.parametrize(("other", "named"), [
    ("Sherlock - A Study in Pink (2010)", False), ("Sherlock \u2013 His Last Vow (2014)", False),
    ("Sherlock \u2014 The Sign of Three (2014)", False), ("Sherlock-Holmes (2009)", True),
    ("Sherlock Jr. (1924)", True), ("Sherlock, Part 2 - Reichenbach (2012)", True),
])
def test_another_films_main_title_is_cut_at_a_spaced_dash(other: str, named: bool) -> None:
    """A film whose subtitle follows a spaced dash ("Sherlock - A Study in Pink (2010)" on
    ml-latest-small) may be the one meant by its main title as well: "Sherlock" named
    Sherlock: The Abominable Bride (2016) alone, where two films could be meant."""
    names = ["Sherlock: The Abominable Bride (2016)", other]
    years = [2016, int(other[-5:-1])]
    assert names_alone("Sherlock", names, years, 0) is named
    assert names_alone("Sherlock (2016)", names, years, 0)  # the year tells them apart
