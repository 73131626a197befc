"""A title typed as the catalog writes it, article last, with its year bare ("Matrix, The 1999")
is read as people say it ("the matrix 1999"), as with the year in parentheses: its article is
never a word matched alone (read word by word it listed The Man and The Mask)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.query.title_match import match_reasons
from recommender.query.titles import TitleIndex, catalog_reading

TITLES = ["Matrix, The (1999)", "Man, The (2005)", "Mask, The (1994)", "Mack, The (1973)",
          "Godfather, The (1972)", "Godfather: Part II, The (1974)", "Thin Man, The (1934)",
          "1999 (1998)", "Cité des enfants perdus, La (1995)"]


@pytest.mark.parametrize(("typed", "said", "film"), [
    ("Matrix, The 1999", "the matrix 1999", 0),
    ("Godfather, The 1972", "the godfather 1972", 4),
    ("  cité des enfants perdus , la   1995 ", "la cite des enfants perdus 1995", 8),
])
def test_a_bare_year_after_a_trailing_article_reads_as_said(typed: str, said: str,
                                                            film: int) -> None:
    assert catalog_reading(typed) == said
    index = TitleIndex(TITLES, [0] * len(TITLES))
    scores, levels = index.scored(typed)
    said_scores, _ = index.scored(said)
    assert set(np.flatnonzero(scores)) == set(np.flatnonzero(said_scores))
    assert not {1, 2, 3, 6} & set(np.flatnonzero(scores).tolist())  # the article alone
    best = int(np.argmax(scores))
    assert best == film
    assert match_reasons(index, typed, np.array([best]), levels[[best]])[0]["kind"] == "title"
    in_parentheses = typed.strip()[:-4].rstrip() + f" ({typed.strip()[-4:]})"
    assert set(np.flatnonzero(index.scores(in_parentheses))) == set(np.flatnonzero(scores))


@pytest.mark.parametrize("query", ["1999", "the matrix 1999", "Matrix 1999", "Matrix, The"])
def test_no_trailing_article_no_catalog_reading_year_or_not(query: str) -> None:
    want = None if "," not in query else "the matrix"
    assert catalog_reading(query) == want
