"""How each title search result matched its query: the kind of match, its words and the year.

``match_reasons`` describes the films of a search page (``catalog.search_films`` adds it to
each row as ``match``; ``GET /films``'s ``SearchMatch``), from the query, the film's names and
the level ``TitleIndex.scored`` ranked it by:

- ``kind``: ``title`` (the query is a whole name of the film, spaces aside), ``title_start``
  (a name starts with it), ``words`` (every word of it is a word of a name, the last one
  possibly unfinished), ``inside`` (it is inside a name), ``typo`` (read with words corrected:
  one edit, or two in a word of ``typos.LONG_WORD`` letters or more), ``similar`` (trigram
  similarity only), ``year`` (a query that is only a year: a film of that year), ``film_id``
  (the query is the film's id) or ``all`` (an empty query lists every film). A year that the
  query ends with may add its bonus to any kind but ``year``.
- ``words``: the query's words found in a name of the film as typed (accents, case and
  punctuation aside): a whole word, the start of one, or words written together
  ("spiderman"), or a name's word typed apart ("bat man" for Batman); anywhere inside a
  word for an ``inside`` match. A Roman numeral or a number counts as its digits ("ii"
  and "two" find "2", "twenty two" finds "22", "thirteenth" "13th"), a digit ordinal as its
  words ("13th" finds "thirteenth"): a number's words are found together, as a whole word.
- ``corrected``: the others that are one edit from a word of a name, or two for a word of
  ``LONG_WORD`` letters or more, each ``{"typed", "title_word", "edits"}`` (the nearest word,
  then the first alphabetically; the last query word may be the start of one, mistyped).
- ``unmatched``: the rest, in query order; a year the query ends with is not listed here
  when the title lacks it (``year`` and ``year_matched`` say how it matched).
- ``year``: the year the query ends with (four digits from 1880 to 2099, after title words
  or alone), else null, and null where that number is a word of the film's name and not its
  year ("blade runner 2049" for Blade Runner 2049 (2017)); ``year_matched``: whether it is the
  film's year (false when the film's year is unknown), null without a year.

The three word lists are empty for ``film_id`` (an id is no title's words). They are read
from the names alone, apart from the scoring: a word listed as corrected may have weighed in
the ranking by trigram similarity only (``kind`` ``similar``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.query.number_words import number_spans
from recommender.query.titles import (
    COMPACT_PENALTY,
    EXACT,
    FUZZY,
    INSIDE,
    ONLY_YEAR,
    PREFIX,
    QUERY_ARTICLES,
    WORDS,
    TitleIndex,
    catalog_reading,
    normalise,
    numerals_as_digits,
)
from recommender.query.typos import LONG_WORD, MAX_LENGTH, MIN_LENGTH, edit_distance

KINDS = ("title", "title_start", "words", "inside", "typo", "similar", "year", "film_id", "all")
_LABELS = {"title": "title", "title_start": "title start", "words": "all words",
           "inside": "inside title", "typo": "typo", "similar": "similar", "year": "year",
           "film_id": "film id", "all": ""}


def kind_of(level: float) -> str:
    """The kind of match of a ``TitleIndex.scored`` level (its bands do not overlap: typos
    score above ``FUZZY`` + 1, trigram similarity at most that)."""
    if level >= EXACT - COMPACT_PENALTY:
        return "title"
    if level >= PREFIX - COMPACT_PENALTY:
        return "title_start"
    if level >= WORDS:
        return "words"
    if level >= INSIDE:
        return "inside"
    return "typo" if level > FUZZY + 1 + 1e-9 else "similar"


def query_year(query: str) -> int | None:
    """The year ``query`` ends with (after title words or alone), or None."""
    words = normalise(query).split()
    return int(words[-1]) if words and ONLY_YEAR.match(words[-1]) else None


def _found(word: str, keys: list[str], anywhere: bool, last: bool = True) -> bool:
    """Whether ``word`` is in one of ``keys`` as a word or words written together, or (the
    query's ``last`` word, which may be unfinished) the start of one (``anywhere``: inside a
    word too); spaces aside. A word before the last must end where a title word ends, as
    the ranking reads it ("marria" is no word of "the marriage of maria braun")."""
    for key in keys:
        compact = key.replace(" ", "")
        if anywhere:
            if word in compact:
                return True
            continue
        starts = [0]
        for w in key.split():
            starts.append(starts[-1] + len(w))
        ends = set(starts[1:])
        for at in starts[:-1]:
            if compact.startswith(word, at) and (last or at + len(word) in ends):
                return True
    return False


def _written_apart(words: list[str], keys: list[str], kind: str, year: int | None) -> set[int]:
    """The positions of the query's words that, written together, are a name of the film
    (``title``) or the start of one (``title_start``), as the ranking also reads a query with
    its spaces removed ("bat man" is Batman, "ground hog day" Groundhog Day); a leading
    article and a trailing year may stand apart. Empty for other kinds, or one word."""
    if kind not in ("title", "title_start"):
        return set()
    compact = {key.replace(" ", "") for key in keys}
    first = 1 if len(words) > 2 and words[0] in QUERY_ARTICLES else 0
    for lo in dict.fromkeys((0, first)):
        for hi in dict.fromkeys((len(words), len(words) - (year is not None))):
            typed = " ".join(words[lo:hi])
            forms = {typed.replace(" ", ""), numerals_as_digits(typed).replace(" ", "")}
            if hi - lo > 1 and any(c == q or (kind == "title_start" and c.startswith(q))
                                   for c in compact for q in forms):
                return set(range(lo, hi))
    return set()


def _correction(word: str, title_words: list[str], last: bool) -> dict[str, Any] | None:
    """The title word nearest ``word`` within its typo allowance, as ``corrected`` lists it
    (``last``: the query's last word, which may be the start of a title word mistyped)."""
    if not MIN_LENGTH <= len(word) <= MAX_LENGTH or word.isdigit():
        return None  # a number is no title word mistyped (``typos.digits_only``)
    most = 2 if len(word) >= LONG_WORD else 1

    def distance(w: str) -> int:
        starts = range(len(word) - most, len(word) + most + 1) if last else ()
        return min([edit_distance(word, w, most)]
                   + [edit_distance(word, w[:n], most) for n in starts if 0 < n < len(w)])
    best = min(((distance(w), w) for w in title_words), default=(most + 1, ""))
    if best[0] > most:
        return None
    return {"typed": word, "title_word": best[1], "edits": best[0]}


def describe(index: TitleIndex, query: str, film: int, level: float,
             by_id: bool = False) -> dict[str, Any]:
    """The ``match`` of title ``film`` for ``query``, which ``TitleIndex.scored`` ranked at
    ``level`` (``by_id``: the query is the film's id and ranked it higher)."""
    end = index.starts[film + 1] if film + 1 < index.n else len(index.keys)
    keys = index.keys[int(index.starts[film]):int(end)]
    kind = "film_id" if by_id else kind_of(level)
    year = None if by_id else query_year(query)  # nor a year ("2012", film 2012's id)
    # an id is no title's words; "Matrix, The" is read as "the matrix" (as the ranking reads it)
    words = [] if by_id else (catalog_reading(query) or normalise(query)).split()
    title_words = sorted({w for k in keys for w in k.split()})
    found: list[str] = []
    corrected: list[dict[str, Any]] = []
    unmatched: list[str] = []
    apart = _written_apart(words, keys, kind, year)
    # a number read otherwise ("catch twenty two": 22), each of its words found if it is
    apart |= {i for start, end, reading in number_spans(words)
              if all(_found(w, keys, kind == "inside", False) for w in reading.split())
              for i in range(start, end)}
    for i, word in enumerate(words):
        forms = dict.fromkeys((word, numerals_as_digits(word)))
        last = i == len(words) - 1
        if i in apart or any(_found(f, keys, kind == "inside", last) for f in forms):
            found.append(word)
        elif i == 0 and len(words) > 1 and word in QUERY_ARTICLES:
            continue  # a leading article the title lacks: the ranking leaves it out too
        elif year is not None and i == len(words) - 1:
            if kind == "words" and len(words) == 1:
                kind = "year"  # listed as a film of that year
        elif (fix := _correction(word, title_words, i == len(words) - 1)) is not None:
            corrected.append(fix)
        else:
            unmatched.append(word)
    if year is not None and words and words[-1] in found and int(index.years[film]) != year:
        year = None  # a number of the title ("blade runner 2049"), not the year asked for
    return {"kind": kind, "words": found, "corrected": corrected, "unmatched": unmatched,
            "year": year, "year_matched": None if year is None
            else bool(int(index.years[film]) == year)}


def match_reasons(index: TitleIndex | None, query: str, films: NDArray[np.integer],
                  levels: NDArray[np.float64], by_id: set[int] | None = None,
                  exact: int | None = None) -> list[dict[str, Any]]:
    """The ``match`` of each film of ``films`` (a search page) for ``query``: ``levels`` are
    theirs from ``TitleIndex.scored``, ``by_id`` the films the query names by id (ranked at
    ``titles.ID_MATCH``, above their title's level); ``exact`` the film whose id the query is
    byte for byte (``exact_id``: a twin, "007" for "7", prints with the same ``match``
    otherwise). An empty query lists every film: kind ``all``, no words, no year (``index``
    may then be None)."""
    if index is None or not query.strip():
        return [{"kind": "all", "words": [], "corrected": [], "unmatched": [], "year": None,
                 "year_matched": None, "exact_id": False} for _ in range(len(films))]
    ids = by_id or set()
    return [{**describe(index, query, f, lv, f in ids), "exact_id": f == exact}
            for f, lv in zip(np.asarray(films).tolist(), np.asarray(levels).tolist(),
                             strict=True)]


def match_text(match: dict[str, Any]) -> str:
    """``match`` in a few words, as the CLI's table and the Studio's result list show it:
    "title start; typo: shwashenk -> shawshank (2 edits); not found: x; year 1980: no"."""
    parts = [f"year {match['year']}" if match["kind"] == "year"
             else _LABELS.get(match["kind"], match["kind"])]
    if match["kind"] == "film_id" and not match.get("exact_id", True):
        parts[0] = "film id, another form (leading zeros, spaces, Unicode form)"
    fixes = [f"{c['typed']} -> {c['title_word']}" + (" (2 edits)" if c["edits"] == 2 else "")
             for c in match["corrected"]]
    if fixes and match["kind"] != "typo":
        parts.append("typo: " + ", ".join(fixes))
    elif fixes:
        parts[0] = "typo: " + ", ".join(fixes)
    if match["unmatched"]:
        parts.append("not found: " + ", ".join(match["unmatched"]))
    if match["year"] is not None and match["kind"] != "year":
        parts.append(f"year {match['year']}: {'yes' if match['year_matched'] else 'no'}")
    return "; ".join(p for p in parts if p)
