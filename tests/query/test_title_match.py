"""How a search result matched (``recommender.query.title_match``): each result's ``match`` on a
planted catalog, against answers written by hand from the titles, and on a model's search."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from helpers import dense_seen, synthetic_model

from recommender.model.model import Model
from recommender.query.catalog import search_films
from recommender.query.title_match import KINDS, match_reasons, match_text
from recommender.query.titles import TitleIndex, ranked

TITLES = ["Star Wars (1977)", "Star Wars: Episode V - The Empire Strikes Back (1980)",
          "Empire Strikes Back, The (1980)", "Shawshank Redemption, The (1994)",
          "Spider-Man (2002)", "Toy Story 2 (1999)", "Godfather, The (1972)", "Mystery Film"]
VIEWERS = np.array([900, 500, 400, 300, 200, 100, 50, 10])


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return TitleIndex(TITLES, [0] * len(TITLES))


def results(index: TitleIndex, query: str) -> list[tuple[str, dict[str, Any]]]:
    scores, levels = index.scored(query)
    hits = ranked(scores, VIEWERS)
    return [(TITLES[f], m) for f, m in zip(hits.tolist(), match_reasons(
        index, query, hits, levels[hits]), strict=True)]


def match(kind: str, words: list[str], corrected: list[tuple[str, str, int]] | None = None,
          unmatched: list[str] | None = None, year: int | None = None,
          year_matched: bool | None = None, exact_id: bool = False) -> dict[str, Any]:
    """A match as written by hand; ``exact_id``: the film's id is the query byte for byte
    (none of these queries is a film id)."""
    return {"kind": kind, "words": words,
            "corrected": [{"typed": t, "title_word": w, "edits": e} for t, w, e in corrected or []],
            "unmatched": unmatched or [], "year": year, "year_matched": year_matched,
            "exact_id": exact_id}


def test_a_year_that_does_not_match_is_said(index: TitleIndex) -> None:
    """"star wars 1980" lists Episode V (of 1980) first, then Star Wars of 1977, which now
    says the year did not match it; The Empire Strikes Back has no "star wars": not listed."""
    assert results(index, "star wars 1980") == [
        (TITLES[1], match("title_start", ["star", "wars"], year=1980, year_matched=True)),
        (TITLES[0], match("title", ["star", "wars"], year=1980, year_matched=False)),
    ]
    # read as the catalog writes it: "the godfather 1972", its words in that order
    assert results(index, "Godfather, The (1972)") == [
        (TITLES[6], match("title", ["the", "godfather"], year=1972, year_matched=True))]
    # a year alone lists that year's films; one the title holds is a word of it
    assert results(index, "1977") == [(TITLES[0], match("year", [], year=1977,
                                                        year_matched=True))]


def test_a_number_of_the_title_is_no_year() -> None:
    """A query ending in a number the title holds reads it as the title's word, not a year
    the film missed ("blade runner 2049" said "year 2049: no" of Blade Runner 2049 (2017));
    the film without that number is still told that the year did not match."""
    titles = ["Blade Runner 2049 (2017)", "Blade Runner (1982)", "1917 (2019)"]
    index = TitleIndex(titles, [0] * len(titles))
    scores, levels = index.scored("blade runner 2049")
    hits = ranked(scores, np.array([10, 20, 5]))
    got = match_reasons(index, "blade runner 2049", hits, levels[hits])
    assert hits.tolist()[:2] == [0, 1]
    assert got[0] == match("title", ["blade", "runner", "2049"])
    assert got[1]["year"] == 2049 and got[1]["year_matched"] is False
    assert match_text(got[0]) == "title" and match_text(got[1]).endswith("; year 2049: no")
    scores, levels = index.scored("1917")
    hits = ranked(scores, np.array([10, 20, 5]))
    one = match_reasons(index, "1917", hits, levels[hits])
    assert hits.tolist() == [2] and one[0]["year"] is None and "year" not in match_text(one[0])


def test_a_number_said_in_words_is_found_whole() -> None:
    """A number said in several words is found as one whole word of the title, as the ranking
    reads it ("catch twenty two" told "twenty" not found in Catch-22, and "two" found as the
    start of "22"); a digit ordinal is found as its words ("13th" in "thirteenth")."""
    titles = ["Catch-22 (1970)", "2001: A Space Odyssey (1968)", "Thirteenth Floor, The (1999)",
              "Friday the 13th (1980)", "1984 (Nineteen Eighty-Four) (1984)"]
    index = TitleIndex(titles, [0] * len(titles))

    def first(query: str) -> tuple[str, dict[str, Any]]:
        scores, levels = index.scored(query)
        hits = ranked(scores, np.ones(len(titles), np.int64))
        return titles[int(hits[0])], match_reasons(index, query, hits[:1], levels[hits[:1]])[0]
    assert first("catch twenty two") == (titles[0], match("title", ["catch", "twenty", "two"]))
    assert first("two thousand and one space") == (
        titles[1], match("words", ["two", "thousand", "and", "one", "space"]))
    assert first("13th floor") == (titles[2], match("title", ["13th", "floor"]))
    assert first("friday the thirteenth") == (
        titles[3], match("title", ["friday", "the", "thirteenth"]))
    # "twenty" is no whole word of Catch-22: not found, where "twenty two" is
    scores, levels = index.scored("catch twenty")
    assert match_reasons(index, "catch twenty", np.array([0]), levels[[0]])[0]["unmatched"] \
        == ["twenty"]


@pytest.mark.parametrize(("query", "first", "want"), [
    # typos: one edit, two in a word of 8 letters or more
    ("shawshenk redemption", 3, match("typo", ["redemption"], [("shawshenk", "shawshank", 1)])),
    ("shwashenk", 3, match("typo", [], [("shwashenk", "shawshank", 2)])),
    ("the shwashenk 1994", 3, match("typo", ["the"], [("shwashenk", "shawshank", 2)],
                                    year=1994, year_matched=True)),
    # a word that matches nothing, with the others as typed (trigram similarity ranked it)
    ("xyzzy star wars", 0, match("similar", ["star", "wars"], unmatched=["xyzzy"])),
    # words written together, a Roman numeral as its digits, the start of a word, inside
    ("spiderman", 4, match("title", ["spiderman"])),
    ("toy story ii", 5, match("title", ["toy", "story", "ii"])),
    # a number word as its digits, as the ranking reads it ("two" was told a typo of "toy")
    ("toy story two", 5, match("title", ["toy", "story", "two"])),
    ("empire stri", 2, match("title_start", ["empire", "stri"])),
    ("odfathe", 6, match("inside", ["odfathe"])),
    ("mystery", 7, match("title_start", ["mystery"])),
    ("mystery film", 7, match("title", ["mystery", "film"])),
])
def test_words_found_corrected_and_unmatched(index: TitleIndex, query: str, first: int,
                                            want: dict[str, Any]) -> None:
    got = results(index, query)
    assert got[0] == (TITLES[first], want)
    assert all(m["kind"] in KINDS for _, m in got)


def test_the_kind_follows_the_ranking(index: TitleIndex) -> None:
    """Kinds rank in their documented order: on one query each result's kind is at or after
    the one before it (no year in these queries)."""
    order = ["title", "title_start", "words", "inside", "typo", "similar"]
    for query in ("star", "wars", "the", "e", "emprie", "shawshnk", "back"):
        kinds = [m["kind"] for _, m in results(index, query)]
        assert kinds and kinds == sorted(kinds, key=order.index), (query, kinds)


def test_match_text() -> None:
    assert match_text(match("title", ["star", "wars"], year=1980, year_matched=False)) == \
        "title; year 1980: no"
    assert match_text(match("typo", [], [("shwashenk", "shawshank", 2)])) == \
        "typo: shwashenk -> shawshank (2 edits)"
    assert match_text(match("similar", ["gump"], [("forest", "forrest", 1)], ["x"])) == \
        "similar; typo: forest -> forrest; not found: x"
    assert match_text(match("year", [], year=1977, year_matched=True)) == "year 1977"
    assert match_text(match("all", [])) == ""
    assert match_text(match("film_id", [], exact_id=True)) == "film id"
    # a twin of the id typed ("007" for "7"): same kind, said apart
    assert match_text(match("film_id", [])) == \
        "film id, another form (leading zeros, spaces, Unicode form)"


@pytest.fixture(scope="module")
def model() -> Model:
    m = synthetic_model(n_users=200, n_films=30, seed=2)
    titles = np.array(["Film 1"] * m.n_films, dtype=object)
    titles[:3] = ["The Matrix", "Matrix Reloaded, The", "Film 2"]
    return dataclasses.replace(m, catalog=dataclasses.replace(m.catalog, titles=titles))


def test_search_rows_carry_the_match(model: Model) -> None:
    counts = dense_seen(model).sum(axis=0)
    total, rows = search_films(model, "the matrx", limit=5, counts=counts)
    assert total == 2 and [list(r) for r in rows] == [
        ["film_id", "title", "year", "genres", "viewers", "match"]] * 2
    assert [r["match"] for r in rows] == [match("typo", ["the"], [("matrx", "matrix", 1)])] * 2
    # an empty query lists every film: kind all; an id names its film: kind film_id
    _, rows = search_films(model, "", limit=3)
    assert [r["match"] for r in rows] == [match("all", [])] * 3
    film = str(model.films.ids[7])
    _, rows = search_films(model, film, limit=1)
    assert rows[0]["film_id"] == film and rows[0]["match"] == match("film_id", [], exact_id=True)
    # an id that reads as a year is the film's id, not a year it missed ("film id; year 2012:
    # no" of film 2012)
    index = TitleIndex(["Heat (1995)", "Other (2001)"], [0, 0])
    scores, levels = index.scored("2012")
    got = match_reasons(index, "2012", np.array([0]), levels[[0]], by_id={0}, exact=0)[0]
    assert got == match("film_id", [], exact_id=True) and match_text(got) == "film id"


def test_word_lists_read_the_query_as_the_ranking_does() -> None:
    """A word before the last must be a whole title word: "marria" was listed as found (the
    start of "marriage") while the ranking read it as "maria"; a leading article the title
    lacks was listed as not found beside kind title."""
    index = TitleIndex(["Marriage of Maria Braun, The (1979)", "Toy Story (1995)"], [0, 0])
    scores, levels = index.scored("the marriage of marria braun")
    got = match_reasons(index, "the marriage of marria braun", np.array([0]), levels[[0]])[0]
    assert got["corrected"] == [{"typed": "marria", "title_word": "maria", "edits": 1}]
    assert "marria" not in got["words"] and got["unmatched"] == []
    scores, levels = index.scored("the toy story")
    got = match_reasons(index, "the toy story", np.array([1]), levels[[1]])[0]
    assert got["kind"] == "title" and got["words"] == ["toy", "story"]
    assert got["unmatched"] == []
    # the last word may still be unfinished, and words may be written together
    scores, levels = index.scored("toy sto")
    assert match_reasons(index, "toy sto", np.array([1]), levels[[1]])[0]["words"] == [
        "toy", "sto"]


@pytest.mark.parametrize(("query", "first", "want"), [
    # a title word typed apart: the ranking reads the query's words written together ("bat
    # man" is Batman), and the match said "title; not found: bat, man"
    ("bat man", 0, match("title", ["bat", "man"])),
    ("the bat man", 0, match("title", ["bat", "man"])),
    ("super man 1978", 2, match("title", ["super", "man"], year=1978, year_matched=True)),
    ("ground hog day", 3, match("title", ["ground", "hog", "day"])),
    ("bat man for", 1, match("title_start", ["bat", "man", "for"])),
])
def test_words_typed_apart_are_found(query: str, first: int, want: dict[str, Any]) -> None:
    titles = ["Batman (1989)", "Batman Forever (1995)", "Superman (1978)",
              "Groundhog Day (1993)"]
    index = TitleIndex(titles, [0] * len(titles))
    scores, levels = index.scored(query)
    hits = ranked(scores, np.array([40, 30, 20, 10]))
    got = match_reasons(index, query, hits, levels[hits])
    assert hits.tolist()[0] == first and got[0] == want, got
    assert "not found" not in match_text(got[0])
