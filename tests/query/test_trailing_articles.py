"""The articles MovieLens moves to a title's end are read in front, Italian "I" and Swedish
"En" too: "i vitelloni" is a whole name of "Vitelloni, I (1953)", as "la haine" is of
"Hate (Haine, La) (1995)".

Oracle: hand-written names, and the films' titles as ml-latest-small writes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from title_oracles import movielens_titles

from recommender.query.title_match import kind_of
from recommender.query.titles import TitleIndex, title_names
from recommender.query.typed_titles import names_title, typed_names


@pytest.mark.parametrize(("title", "names", "year"), [
    ("Vitelloni, I (a.k.a. The Young and the Passionate) (1953)",
     [("I Vitelloni", "Vitelloni"), ("The Young and the Passionate", "Young and the Passionate")],
     1953),
    ("Black Sabbath (Tre volti della paura, I) (1963)",
     [("Black Sabbath", "Black Sabbath"), ("I Tre volti della paura", "Tre volti della paura")],
     1963),
    ("Passion of Anna, The (Passion, En) (1969)",
     [("The Passion of Anna", "Passion of Anna"), ("En Passion", "Passion")], 1969),
    ("Haine, La (1995)", [("La Haine", "Haine")], 1995),
    # a comma before a word that is no article stays where it is
    ("Play It Again, Sam (1972)", [("Play It Again, Sam",) * 2], 1972),
    ("I Love You, Man (2009)", [("I Love You, Man",) * 2], 2009),
])
def test_trailing_articles_are_read_in_front(title: str, names: list[tuple[str, str]],
                                             year: int) -> None:
    assert title_names(title) == (names, year)


# (typed, the film's title as ml-latest-small writes it)
TYPED = [
    ("i vitelloni", "Vitelloni, I (a.k.a. The Young and the Passionate) (1953)"),
    ("I Vitelloni (1953)", "Vitelloni, I (a.k.a. The Young and the Passionate) (1953)"),
    ("vitelloni", "Vitelloni, I (a.k.a. The Young and the Passionate) (1953)"),
    ("i tre volti della paura", "Black Sabbath (Tre volti della paura, I) (1963)"),
    ("i bambini ci guardano", "Children Are Watching Us, The (Bambini ci guardano, I) (1944)"),
    ("en passion", "Passion of Anna, The (Passion, En) (1969)"),
    ("la haine", "Hate (Haine, La) (1995)"),
    ("l'avventura", "Avventura, L' (Adventure, The) (1960)"),
]


def test_typed_names_are_whole_names_on_movielens(shared_datasets: Path) -> None:
    names, years = movielens_titles(shared_datasets)
    index = TitleIndex(names, np.asarray(years))
    for typed, title in TYPED:
        i = names.index(title)
        _, levels = index.scored(typed)
        assert kind_of(float(levels[i])) == "title", (typed, title)
        # a slate's title column names the film as search does
        assert names_title(typed_names(typed), title, years[i]), (typed, title)
