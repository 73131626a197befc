"""One typo in a title word (``recommender.query.typos``): the edit test and the deletion
index against a brute-force edit distance, and short titles found with a typo."""

from __future__ import annotations

import numpy as np
from helpers import edit_distance as distance

from recommender.query.titles import TitleIndex, ranked
from recommender.query.typos import Neighbours, one_edit


def test_one_edit_and_the_neighbours_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    letters = list("abcde")
    words = sorted({"".join(rng.choice(letters, size=int(rng.integers(1, 6))))
                    for _ in range(400)})
    near = Neighbours(words)
    for _ in range(300):
        q = "".join(rng.choice(letters, size=int(rng.integers(1, 7))))
        assert near.near(q) == [w for w in words if distance(q, w) == 1], q
        for w in words[:40]:
            assert one_edit(q, w) == (distance(q, w) == 1), (q, w)


def test_short_titles_are_found_with_one_typo() -> None:
    """One edit inside a short word breaks most of its trigrams: "titnaic", "batamn" and
    "matirx" found nothing or other films (Matilda, Matinee)."""
    titles = ["Titanic (1997)", "Batman (1989)", "Matrix, The (1999)", "Matilda (1996)",
              "Matinee (1993)", "Shrek (2001)", "Alien (1979)", "Twister (1996)",
              "Seven (a.k.a. Se7en) (1995)", "Seve (2014)"]
    counts = np.array([140, 189, 278, 40, 10, 170, 146, 123, 203, 1])
    index = TitleIndex(titles, [0] * len(titles))
    for typed, want in (("titnaic", "Titanic (1997)"), ("batamn", "Batman (1989)"),
                        ("matirx", "Matrix, The (1999)"), ("the matirx", "Matrix, The (1999)"),
                        ("srhek", "Shrek (2001)"), ("ailen", "Alien (1979)"),
                        ("twsiter", "Twister (1996)"), ("sevn", "Seven (a.k.a. Se7en) (1995)")):
        assert titles[int(ranked(index.scores(typed), counts)[0])] == want, typed
    # a word as typed still beats a typo's reading: "seve" is Seve's whole title
    assert titles[int(ranked(index.scores("seve"), counts)[0])] == "Seve (2014)"
