"""How a title search's hits split by kind of match, and the substring-only search mode.

``GET /films`` (and ``search``) reads a query the way people type titles: whole titles, their
start, their words in any order, a typo, letter-trigram similarity (``titles``). The contract
promises a title substring search, so ``match="substring"`` keeps only the films one of whose
titles (an alternative title included) holds the query as typed, case, accents, punctuation
and an article moved to the end aside (``substring_titles``); ``match="any"`` (the default)
keeps every kind. ``totals_by_kind`` counts a search's hits, every page, by the ``match.kind``
each row of them is given (``title_match``), so a total of 40 where 4 titles hold the words
says so.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from recommender.query.search_modes import MATCH_HELP, MATCH_MODES, MatchMode  # noqa: F401
from recommender.query.titles import (
    COMPACT_PENALTY,
    EXACT,
    FUZZY,
    INSIDE,
    ONLY_YEAR,
    PREFIX,
    WORDS,
    TitleIndex,
    normalise,
    numerals_as_digits,
)

#: the kinds a search's rows are given (``SearchMatch.kind``), best first
KINDS = ("title", "title_start", "film_id", "words", "year", "inside", "typo", "similar", "all")


def substring_titles(index: TitleIndex, query: str) -> NDArray[np.bool_]:
    """Which titles hold ``query`` as a substring of one of their names (normalised alike:
    ``titles.normalise``, numbers as digits, with and without a leading article): one test per
    name key, whole-array (``TitleIndex._inside``)."""
    text = numerals_as_digits(normalise(query))
    if not text or not index.n:
        return np.ones(index.n, bool)
    return np.logical_or.reduceat(index._inside(text), index.starts)


def no_letters(query: str) -> bool:
    """Whether ``query`` (not blank) holds no letter or digit a title is compared by: nothing
    is left of it once normalised (``titles.normalise`` drops punctuation and symbols, an
    emoji too), so no title holds it; ``NO_LETTERS`` says why."""
    return bool(query.strip()) and not normalise(query)


def no_letters_said(query: str) -> str:
    """Why a query of ``no_letters`` finds no title: "query '🍿' holds no letter or digit:
    ..."."""
    return (f"query {query!r} holds no letter or digit: a title search compares the letters "
            "and digits of titles, case, accents, punctuation and symbols (an emoji) aside, "
            "so no title holds it")


def totals_by_kind(index: TitleIndex | None, query: str, hits: NDArray[np.int64],
                   levels: NDArray[np.float64], by_id: set[int]) -> dict[str, int]:
    """How many of ``hits`` (a search's films, every page) match ``query`` by each kind
    (``title_match.kind_of``'s bands of ``levels``, each film's ``TitleIndex.scored``
    level, whole-array; ``by_id``: the films its id named; an empty query lists ``all``),
    kinds without a film left out. A query that is only a year lists that year's films as
    ``year`` where their titles do not hold it as a word (as ``title_match.describe`` says
    per row)."""
    if index is None or not query.strip():
        return {"all": int(len(hits))} if len(hits) else {}
    lv = levels[hits]
    bands = np.select([lv >= EXACT - COMPACT_PENALTY, lv >= PREFIX - COMPACT_PENALTY,
                       lv >= WORDS, lv >= INSIDE, lv > FUZZY + 1 + 1e-9],
                      [0, 1, 3, 5, 6], default=7)
    kinds = np.asarray(KINDS)[bands]
    if by_id:
        kinds[np.isin(hits, np.fromiter(by_id, np.int64, len(by_id)))] = "film_id"
    words = normalise(query).split()
    if len(words) == 1 and ONLY_YEAR.match(words[0]):
        held = index._holding(words)[hits]  # the year as a word of the title: words
        kinds[(kinds == "words") & ~held] = "year"
    names, counts = np.unique(kinds, return_counts=True)
    found = dict(zip(names.tolist(), counts.tolist(), strict=True))
    return {k: int(found[k]) for k in KINDS if k in found}
