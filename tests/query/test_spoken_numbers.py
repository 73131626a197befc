"""Numbers said in words in a title search (``recommender.query.number_words``): queries as people
type them against the real MovieLens latest-small and 100K titles (read in place; skipped when
absent), and every title with a number in it queried by its own words still first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommender.io import readers
from recommender.query import titles
from recommender.query.number_words import number_spans
from recommender.query.titles import TitleIndex, normalise, ranked, title_names

# what people type, and the film they mean (checked by hand in each movies file)
SAID = {
    "ml-latest-small": [
        ("catch twenty two", "Catch-22 (1970)"),
        ("catch twenty-two", "Catch-22 (1970)"),
        ("two thousand one", "2001: A Space Odyssey (1968)"),
        ("two thousand and one a space odyssey", "2001: A Space Odyssey (1968)"),
        ("nineteen eighty four", "1984 (Nineteen Eighty-Four) (1984)"),
        ("nineteen forty one", "1941 (1979)"),
        ("seventeen seventy six", "1776 (1972)"),
        ("fourteen ninety two", "1492: Conquest of Paradise (1992)"),
        ("nineteen hundred", "1900 (Novecento) (1976)"),
        ("twenty ten", "2010: The Year We Make Contact (1984)"),
        ("blade runner twenty forty nine", "Blade Runner 2049 (2017)"),
        ("friday the thirteenth", "Friday the 13th (1980)"),
        ("friday the thirteenth part two", "Friday the 13th Part 2 (1981)"),
        ("the fifth element", "Fifth Element, The (1997)"),
        ("13th floor", "Thirteenth Floor, The (1999)"),
        ("thirteenth warrior", "13th Warrior, The (1999)"),
        ("one hundred and one dalmatians",
         "101 Dalmatians (One Hundred and One Dalmatians) (1961)"),
        ("miracle on thirty fourth street", "Miracle on 34th Street (1994)"),
        ("forty second street", "42nd Street (1933)"),
        ("twenty thousand leagues under the sea", "20,000 Leagues Under the Sea (1954)"),
        ("five thousand fingers", "5,000 Fingers of Dr. T, The (1953)"),
        ("three thousand miles to graceland", "3000 Miles to Graceland (2001)"),
        ("twenty eight days later", "28 Days Later (2002)"),
        ("twenty one grams", "21 Grams (2003)"),
        ("twenty fifth hour", "25th Hour (2002)"),
        ("the thirty nine steps", "39 Steps, The (1935)"),
        ("forty eight hrs", "48 Hrs. (1982)"),
        ("doug's first movie", "Doug's 1st Movie (1999)"),
        ("first blood part two", "Rambo: First Blood Part II (1985)"),
        ("toy story two", "Toy Story 2 (1999)"),
        ("thirteen going on thirty", "13 Going on 30 (2004)"),
        # two numbers of two digits are a year as said or the two numbers (found before
        # compounds were read, then lost to the year 1114 alone)
        ("eleven fourteen", "11:14 (2003)"),
        ("fifty fifty", "50/50 (2011)"),
    ],
    "ml-100k": [
        ("two thousand one", "2001: A Space Odyssey (1968)"),
        ("the fifth element", "Fifth Element, The (1997)"),
        ("the seventh seal", "Seventh Seal, The (Sjunde inseglet, Det) (1957)"),
        ("to gillian on her thirty seventh birthday", "To Gillian on Her 37th Birthday (1996)"),
        ("a thousand acres", "Thousand Acres, A (1997)"),
        ("twelve monkeys", "Twelve Monkeys (1995)"),
    ],
}


def _index(folder: Path) -> tuple[list[str], TitleIndex, np.ndarray[Any, Any]]:
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    data = readers.load(folder)
    assert data.catalog is not None
    catalog = data.catalog.aligned_to(data.films)
    names = catalog.titles.tolist()
    return names, TitleIndex(names, catalog.years), np.bincount(data.film_idx,
                                                                minlength=data.n_films)


@pytest.mark.parametrize("dataset", sorted(SAID))
def test_numbers_said_in_words_find_the_film(shared_datasets: Path, dataset: str) -> None:
    """"catch twenty two" found nothing, "two thousand one" A Thousand Acres, "friday the
    thirteenth" The Thirteenth Floor: only a lone number word was read in digits."""
    names, index, views = _index(shared_datasets / dataset)
    wrong = []
    for query, want in SAID[dataset]:
        assert want in names, want
        hits = ranked(index.scores(query), views)
        first = names[int(hits[0])] if len(hits) else None
        if first != want:
            wrong.append((query, want, first))
    assert not wrong


@pytest.mark.parametrize("dataset", ["ml-latest-small", "ml-100k"])
def test_a_titles_own_words_rank_as_they_did_as_typed(shared_datasets: Path, dataset: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Every name with a number to read otherwise ("Seventh Seal", "13th Warrior", "Two Weeks
    Notice"), queried as typed, lists first the film it lists with the words as typed alone:
    a reading of its numbers is scored below the words as typed."""
    names, index, views = _index(shared_datasets / dataset)
    queries = sorted({front.lower() for name in names for front, _ in title_names(name)[0]
                      if number_spans(normalise(front).split())})
    assert len(queries) > 30
    read = [int(ranked(index.scores(q), views)[0]) for q in queries]
    monkeypatch.setattr(titles, "readings", lambda text: [])
    typed = [int(ranked(index.scores(q), views)[0]) for q in queries]
    assert [names[i] for i in read] == [names[i] for i in typed]


def test_a_long_query_of_numbers_is_read_a_few_ways() -> None:
    """Each reading is a search of the whole query: a query of the longest length holding 250
    numbers was read 251 ways (one per number, and all of them), some 60 times a plain query's
    search. Of more than ``MAX_SPANS`` numbers, all of them are read, or one of the first."""
    from recommender.query.limits import MAX_QUERY
    from recommender.query.number_words import MAX_SPANS, readings

    text = normalise(("two " * MAX_QUERY)[:MAX_QUERY])
    read = readings(text)
    assert len(read) <= 2 ** MAX_SPANS - 1
    n = len(text.split())
    assert (" ".join(["2"] * n), ["2"] * n) in read  # all of them
    for i in range(MAX_SPANS):  # the first ones alone
        alone = " ".join("2" if j == i else "two" for j in range(n))
        assert (alone, ["2"]) in read
    # three numbers or fewer: every choice of them, as before
    assert len(readings("catch twenty two two thousand one thirteenth")) == 7
