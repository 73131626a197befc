"""A query mixing words and numbers ("u 5711", a typo of U-571) finds by trigram likeness only
titles that share some of its words' trigrams: the number's trigrams alone made "u 5711" list
Room 5711 and 5711 Nights, and "k 9" the film 9, films the user did not type.

Oracle: a hand-made catalog and, for each query, the titles a reader expects (written by hand).
"""

from __future__ import annotations

import numpy as np
import pytest

from recommender.query.title_match import kind_of, match_reasons
from recommender.query.titles import TitleIndex

TITLES = ["U-571 (2000)", "Room 5711 (1999)", "5711 Nights (1999)", "Unit 571 (1990)",
          "U-57 (1990)", "571 (2002)", "Mission 571 (1980)", "9 (2009)", "K-9 (1989)",
          "Apollo 13 (1995)", "Apollo 18 (2011)", "Star Wars (1977)", "Catch-22 (1970)",
          "U Turn (1997)"]


@pytest.mark.parametrize(("query", "found"), [
    # the letters match too: U-571, and the titles whose word starts with the "u"
    ("u 5711", ["U-571 (2000)", "U-57 (1990)", "Unit 571 (1990)"]),
    ("u 57111", ["U-571 (2000)"]),
    ("z 571", []), ("q 5711", []),
    # a mistyped number beside words a title has still finds it (the words' likeness)
    ("apollo 133", ["Apollo 13 (1995)", "Apollo 18 (2011)"]),
    ("star wars 9", ["Star Wars (1977)"]), ("catch 222", ["Catch-22 (1970)"]),
])
def test_a_number_beside_words_is_not_likeness_alone(query: str, found: list[str]) -> None:
    index = TitleIndex(TITLES, [0] * len(TITLES))
    scores, levels = index.scored(query)
    assert sorted(TITLES[i] for i in np.flatnonzero(scores > 0)) == sorted(found)
    assert all(kind_of(float(levels[i])) == "similar" for i in np.flatnonzero(scores > 0))


@pytest.mark.parametrize(("query", "found"), [
    # a number alone, or a title as typed, is matched as before: words, inside, the title
    ("5711", ["Room 5711 (1999)", "5711 Nights (1999)"]), ("u 571", ["U-571 (2000)"]),
    ("k 9", ["K-9 (1989)"]), ("mission 571", ["Mission 571 (1980)"]),
])
def test_titles_holding_the_words_are_found_as_before(query: str, found: list[str]) -> None:
    index = TitleIndex(TITLES, [0] * len(TITLES))
    scores, levels = index.scored(query)
    hits = np.flatnonzero(scores >= 3.0)  # titles.INSIDE and up
    assert sorted(TITLES[i] for i in hits) == sorted(found)
    assert all(m["kind"] != "similar" for m in match_reasons(index, query, hits, levels[hits]))
    if query == "k 9":  # and nothing else: the film 9 shares only the number
        assert np.flatnonzero(scores > 0).tolist() == [TITLES.index("K-9 (1989)")]
