"""Typos in title words (``recommender.query.typos``): the edit tests and the deletion indexes
against a brute-force edit distance, short titles found with a typo, and long words with two."""

from __future__ import annotations

from typing import Any

import numpy as np
from helpers import edit_distance as distance
from helpers import synthetic_model

from recommender.query.titles import FUZZY, PREFIX, TitleIndex, ranked
from recommender.query.typos import LONG_WORD, TYPO_2, Neighbours, edit_distance, one_edit


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


def test_edit_distance_and_the_two_edit_neighbours_match_brute_force() -> None:
    rng = np.random.default_rng(1)
    letters = list("abcd")
    words = sorted({"".join(rng.choice(letters, size=int(rng.integers(3, 11))))
                    for _ in range(600)})
    near = Neighbours(words)
    for _ in range(200):
        q = "".join(rng.choice(letters, size=int(rng.integers(LONG_WORD, 11))))
        assert near.near(q, 2) == [w for w in words if distance(q, w) == 2], q
        for w in words[:30]:
            assert edit_distance(q, w, 2) == min(distance(q, w), 3), (q, w)
            assert edit_distance(q, w, 1) == min(distance(q, w), 2), (q, w)


def test_two_typos_in_a_long_word_rank_below_one_and_below_the_word_as_typed() -> None:
    """A word of 8 letters or more with two typos found nothing ("shwashenk": Shawshank's
    trigrams are mostly broken, and no title word is one edit away). It is now read as the
    title words two edits away, scored below any one-edit reading and above trigram matches;
    a shorter word still allows one edit only."""
    titles = ["Shawshank Redemption, The (1994)", "Paradiso (1988)", "Paradise (1991)",
              "Titanic (1997)", "Redemption Road (2010)"]
    counts = np.array([300, 5, 900, 250, 40])
    index = TitleIndex(titles, [0] * len(titles))

    def first(query: str) -> str:
        hits = ranked(index.scores(query), counts)
        return titles[int(hits[0])] if len(hits) else ""
    assert distance("shwashenk", "shawshank") == 2 and first("shwashenk") == titles[0]
    assert first("shwashenk redemption") == titles[0]
    assert first("the shwashenk") == titles[0]
    # the same title typed as is, with one typo, with two: each scores lower, all above any
    # trigram match (at most 2.0)
    s = [index.scores(q)[0] for q in ("shawshank", "shawshenk", "shwashenk")]
    assert s[0] > s[1] > s[2] > 2.0
    assert index.scores("shwashenk")[0] == TYPO_2 + PREFIX / 10  # a title's first word
    # one edit from Paradiso, two from the far more watched Paradise: Paradiso first, and
    # Paradise is no two-edit match (a word one edit from a title word reads only as that)
    assert distance("paradisoo", "paradise") == 2 and first("paradisoo") == titles[1]
    assert index.scores("paradisoo")[2] < index.scores("paradisoo")[1]
    assert index.scores("paradisoo")[2] < FUZZY + 1
    # a word under 8 letters: one edit only ("titnaci" is two from "titanic")
    assert distance("titnaci", "titanic") == 2 and first("titnaci") == ""
    assert first("titnaic") == titles[3]


def test_concurrent_first_searches_build_each_index_once(monkeypatch: Any) -> None:
    """The server answers searches in threads: every search that came before the first
    build of the title index and its typo indexes ended built its own (16 concurrent first
    searches of ml-latest-small's titles took 13.8 s where one took 0.85 s)."""
    import threading
    import time

    from recommender.query import titles, typos
    from recommender.query.catalog import search_films

    built = {"title": 0, "one": 0, "two": 0}

    class Words(list[str]):
        """The words of a built one-edit index: a pass over them is a two-edit build."""

        def __iter__(self) -> Any:
            built["two"] += 1
            time.sleep(0.2)  # a large catalog's build: the other threads arrive meanwhile
            return super().__iter__()

    title_init, one_init = titles.TitleIndex.__init__, typos.Neighbours.__init__

    def title(self: Any, *a: Any) -> None:
        built["title"] += 1
        time.sleep(0.2)
        title_init(self, *a)

    def one(self: Any, *a: Any) -> None:
        built["one"] += 1
        time.sleep(0.2)
        one_init(self, *a)
        self.words = Words(self.words)

    monkeypatch.setattr(titles.TitleIndex, "__init__", title)
    monkeypatch.setattr(typos.Neighbours, "__init__", one)
    model = synthetic_model(n_users=40, n_films=30, seed=1)
    model.catalog.titles = np.array([f"Shawshank Redemption {i}" for i in range(30)])
    start = threading.Barrier(8)
    found: list[int] = []

    def search() -> None:
        start.wait()
        found.append(search_films(model, "shwashenk")[0])

    threads = [threading.Thread(target=search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == [30] * 8
    assert built == {"title": 1, "one": 1, "two": 1}


def test_a_number_is_no_typo_of_another_number() -> None:
    """A number that no title holds ("2571", an id; "999999") was read as a typo of U-571's
    "571" (one digit dropped) or as trigram-similar to "99 francs": `audience MODEL 999999`
    said it matched 99 francs. Digits are never corrected; a number a title holds (a whole
    word, the start or the inside of one) still finds it, and a letter word still its typos."""
    from recommender.query.title_match import match_reasons
    titles = ["U-571 (2000)", "99 francs (2007)", "300 (2007)", "Mr. 3000 (2004)",
              "Matrix, The (1999)", "Apollo 13 (1995)"]
    index = TitleIndex(titles, [0] * len(titles))
    names = [t.rsplit(" (", 1)[0].lower() for t in titles]
    for q in ("2571", "999999", "5711", "57", "300", "3000", "30", "13", "9", "571"):
        # the oracle: the titles whose name holds the number's digits, as typed
        want = {i for i, name in enumerate(names) if q in name}
        scores, levels = index.scored(q)
        assert set(np.flatnonzero(scores > 0).tolist()) == want, q
        hits = np.flatnonzero(scores > 0)
        for m in match_reasons(index, q, hits, levels[hits]):
            assert m["corrected"] == [] and m["kind"] not in ("typo", "similar"), (q, m)
    from recommender.query.typos import digits_only
    assert digits_only("2571 300") and not digits_only("u 571") and not digits_only("")
    # a digit word beside letters is not corrected either (trigram similarity at most, as
    # the query has letters); a letter word still is
    assert index.scores("u 5711").max() <= FUZZY + 1
    assert titles[int(np.argmax(index.scores("matirx")))] == "Matrix, The (1999)"
