"""Title search: normalised titles, ranked by match quality then popularity, typo tolerant.

How a query meets a title (``TitleIndex.scores``):

- Both are normalised alike (``normalise``): accents folded (Unicode NFKD), case and
  punctuation ignored, ``&`` read as ``and``, apostrophes dropped ("Holland's" = "hollands").
- A catalog title is split into its names (``title_names``, from ``title_parse``): MovieLens
  writes alternative titles in parentheses, "Seven (a.k.a. Se7en) (1995)" is "Seven" and
  "Se7en"; the trailing year is dropped (the catalog's year is used instead); a trailing
  article is moved back to the front ("Godfather, The" is "The Godfather", "Cité des enfants
  perdus, La" is "La Cité des enfants perdus"). Each name is kept with and without its
  leading article, and with its spaces removed ("spider man" = "spiderman").
- Match levels, best first: the query is a whole name (``EXACT``), the start of one
  (``PREFIX``), every word of the query is a word of a name, the last one possibly unfinished
  (``WORDS``), the query appears inside a name (``INSIDE``), and typo tolerance (``FUZZY``:
  1 + the character-trigram similarity, at least ``FUZZY_MIN``, in steps of 0.05; one edit
  in a short word, or two in a long one: ``typos.py``; never for a number: ``digits_only``,
  nor a number's trigrams alone beside words: ``letter_words``). A leading article of the
  query ("the", "a", "an") may be left out or added.
- A query ending in a year ("godfather 1972") is also read as a title and a year: a film of
  that year gains ``YEAR_BONUS`` levels; read with the number as a word of the title, a match
  gains 0.1 (so "blade runner 2049" still finds "Blade Runner 2049" first).
- A sequel's Roman numeral in the query is read in digits ("toy story ii" as "toy story
  2"), as titles are also keyed, with their number words in digits too ("ocean's 11" finds
  Ocean's Eleven); a query's number words are also read in digits ("toy story two" finds
  Toy Story 2), compounds, years as said and ordinals too ("catch twenty two", "nineteen
  eighty four", "friday the thirteenth"), and its digit ordinals in words ("13th floor"
  finds The Thirteenth Floor): ``number_words``; each number a whole word of the title,
  ``NUMBER_WORD_PENALTY`` below the words as typed; a query that is only a year also lists
  that year's films (at ``WORDS``); a query equal to a film id ranks that film at
  ``ID_MATCH``, below a title that is the query and above one that starts with it
  (``search_films``).
- Among equal levels the most watched film comes first (``search_films``).
- ``scored`` also gives the level each score came from, before a year's bonus: how each
  result matched, in words, is ``title_match``'s.

An index holds sorted name keys (exact and prefix matches are binary searches), a word x name
and a trigram x name incidence matrix (a query costs one sparse row gather per word and
trigram; the ``INSIDE`` test runs only on the names that hold every trigram of the query's
words). It is built once per model (``title_index``) and needs titles and years only.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.model.kept import Kept
from recommender.query.number_words import readings
from recommender.query.title_parse import (
    _PARENTHESES_AT_END,
    _TRAILING_ARTICLE,
    _YEAR_AT_END,
    title_names,
)
from recommender.query.typos import digits_only, letter_words, typo_levels

if TYPE_CHECKING:
    from recommender.model.model import Model

ID_MATCH = 5.5  # a film's id: below a title that is it ("1984"), above one starting with it
#: the film whose id the query is byte for byte, above the ids it is but for leading zeros or
#: Unicode form ("7" lists film "7" before film "007": they ranked alike, "007" first)
ID_EXACT = 5.75
EXACT = 6.0
PREFIX = 5.0
WORDS = 4.0
INSIDE = 3.0
FUZZY = 1.0
FUZZY_MIN = 0.5  # the least trigram similarity that counts as a match
YEAR_BONUS = 1.5
AS_TYPED_BONUS = 0.1
# a query matched only with its spaces taken out ("e t" as "et") ranks below one as typed
COMPACT_PENALTY = 0.5
EXTRA_TRIGRAM_WEIGHT = 0.2  # how much a title's trigrams the query lacks lower similarity

QUERY_ARTICLES = ("the", "a", "an")
"""Articles a query may begin with that a title may lack (or the other way round)."""
_QUERY_ARTICLE = re.compile(r"^(" + "|".join(QUERY_ARTICLES) + r") (?=\S)")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")
_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")  # an ASCII character is never a combining mark
_QUERY_YEAR = re.compile(r"^(?P<text>.*\S) (?P<year>(18[89]|19\d|20\d)\d)$")
ONLY_YEAR = re.compile(r"^(18[89]|19\d|20\d)\d$")


# letters that Unicode does not decompose into a base letter and an accent, as people type
# them on a keyboard without them (casefold turns ß into ss already)
_LETTERS = str.maketrans({"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae",
                          "œ": "oe", "Œ": "oe", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
                          "þ": "th", "Þ": "th", "ı": "i", "ħ": "h", "Ħ": "h"})


def normalise(text: str) -> str:
    """``text`` as search compares it: accents folded (and the letters of ``_LETTERS``
    spelt out: ø as o, æ as ae, ł as l...), case folded, ``&`` as ``and``, apostrophes
    dropped, any other run of punctuation or space one space."""
    # after NFKD, so that a letter with an accent on top (ǿ, ǽ) is spelt out as well
    folded = unicodedata.normalize("NFKD", text).translate(_LETTERS)
    # accents dropped from the runs of non-ASCII characters alone (each character of a
    # catalog's joined titles was read: 0.3 s of each CLI film answer, id_titles.also_titled)
    folded = _NOT_ASCII.sub(lambda run: "".join(
        c for c in run.group() if not unicodedata.combining(c)), folded).casefold()
    folded = _APOSTROPHES.sub("", folded.replace("&", " and "))
    return _NOT_WORD.sub(" ", folded).strip()


# a sequel's Roman numeral as people type it ("godfather 2"); I, V, X stay letters ("I, Robot",
# "X-Men"). Number words read in digits alone, "three" ranked 300 first (a prefix "3")
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_ROMAN_WORD = re.compile(r"\b(" + "|".join(sorted(_ROMAN, key=len, reverse=True)) + r")\b")
_WORDS = ("two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen twenty").split()
_AS_DIGITS = {**_ROMAN, **{word: str(n) for n, word in enumerate(_WORDS, start=2)}}
# a query's numbers read otherwise ("toy story two": Toy Story 2, ``number_words``), each a
# whole word of the title ("twelve" is no start of 127 Hours: "12" is no word of it), this much
NUMBER_WORD_PENALTY = 0.01  # below the words as typed: less than any step between levels
_DIGIT_WORD = re.compile(r"\b(" + "|".join(sorted(_AS_DIGITS, key=len, reverse=True)) + r")\b")


_BARE_YEAR_AT_END = re.compile(r"^(?P<rest>.*\S)\s+(?P<year>(18[89]|19\d|20\d)\d)\s*$")


def catalog_reading(query: str) -> str | None:
    """A query written as a catalog writes a title, article last ("Matrix, The (1999)", or
    with the year bare: "Matrix, The 1999"), as people say it ("the matrix 1999"), else
    None: the article is no word to find alone."""
    names, year = title_names(query)
    rest = _YEAR_AT_END.sub("", query.strip()) if year else query.strip()
    if not year and (bare := _BARE_YEAR_AT_END.match(rest)) is not None:
        rest, year = bare.group("rest"), int(bare.group("year"))
        names = title_names(rest)[0]
    while (m := _PARENTHESES_AT_END.match(rest)) is not None:
        rest = m.group("rest")
    if _TRAILING_ARTICLE.match(rest) is None:
        return None
    return normalise(" ".join(front for front, _ in names) + (f" {year}" if year else ""))


def numerals_as_digits(text: str) -> str:
    """A normalised query with a sequel's Roman numerals in digits ("toy story ii": "toy story
    2"), as every title key is also given: typed as numerals, the numeral was an unfinished
    word ("ii" the start of "iii") and Toy Story ranked above Toy Story 2."""
    return _ROMAN_WORD.sub(lambda m: _ROMAN[m.group(1)], text)


def _title_keys(title: str) -> tuple[list[str], int]:
    """The normalised keys a title is searched by (see the module doc), and its year; a key
    with a Roman numeral or a number word is also given in digits ("ii": "2", "eleven": "11")."""
    names, year = title_names(title)
    keys: list[str] = []
    for front, bare in names:
        keys += [normalise(front), normalise(bare)]
    if len(names) > 1:  # every name together, for word matches across them
        keys.append(" ".join(normalise(front) for front, _ in names))
    keys += [_DIGIT_WORD.sub(lambda m: _AS_DIGITS[m.group(1)], k) for k in keys]
    return [k for k in dict.fromkeys(keys) if k] or [""], year


def _trigram_codes(keys: Sequence[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The character trigrams of every key, as (key number, trigram code) pairs (not unique).

    Each word is padded as ``"  word "`` (PostgreSQL's pg_trgm convention), so a word's start
    weighs more than its middle; windows across two words are dropped. A code packs three
    Unicode code points (21 bits each) into one integer."""
    padded = ["  " + "   ".join(k.split()) + " " if k else "" for k in keys]
    lengths = np.fromiter(map(len, padded), np.int64, count=len(padded))
    points = np.frombuffer("".join(padded).encode("utf-32-le"), dtype="<u4").astype(np.int64)
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    if len(points) < 3:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    a, b, c = points[:-2], points[1:-1], points[2:]
    ok = (owner[:-2] == owner[2:]) & ~((b == 32) & (c == 32))
    codes = (a << 42) | (b << 21) | c
    return owner[:-2][ok], codes[ok]


def _incidence(rows: NDArray[np.int64], cols: NDArray[np.int64], shape: tuple[int, int]
               ) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1
    return m


class TitleIndex:
    """The search index of a list of titles (see the module doc); ``years[i]`` is title i's
    year (0 = unknown: the year in the title's parentheses is used)."""

    def __init__(self, titles: Sequence[str], years: Sequence[int] | NDArray[np.integer]
                 ) -> None:
        n = len(titles)
        keys: list[str] = []
        key_title: list[int] = []
        parsed_years = np.zeros(n, np.int32)
        for t, title in enumerate(titles):
            title_keys, parsed_years[t] = _title_keys(str(title))
            keys += title_keys
            key_title += [t] * len(title_keys)
        self.n = n
        given = np.asarray(years, np.int32).reshape(-1)[:n] if n else np.zeros(0, np.int32)
        self.years = np.where(given > 0, given, parsed_years).astype(np.int32)
        self.keys = keys
        self.key_title = np.asarray(key_title, np.int64)
        self.starts = np.flatnonzero(np.r_[True, self.key_title[1:] != self.key_title[:-1]]
                                     ) if n else np.zeros(0, np.int64)
        self.key_bytes = np.array([k.encode("utf-8") for k in keys], dtype=np.bytes_)
        # exact and prefix matches: binary search in the sorted keys, spaced and compact
        both = keys + [k.replace(" ", "") for k in keys]
        order = sorted(range(len(both)), key=both.__getitem__)
        self.sorted_keys = [both[i] for i in order]
        self.sorted_title = np.tile(self.key_title, 2)[np.asarray(order, np.int64)]
        # word matches: a word x key incidence matrix
        vocab: dict[str, int] = {}
        w_rows: list[int] = []
        w_cols: list[int] = []
        for k, key in enumerate(keys):
            for w in key.split():
                w_rows.append(vocab.setdefault(w, len(vocab)))
                w_cols.append(k)
        self.words = sorted(vocab)
        word_id = {w: i for i, w in enumerate(self.words)}
        remap = np.array([word_id[w] for w in vocab], np.int64)
        self.word_keys = _incidence(remap[np.asarray(w_rows, np.int64)],
                                    np.asarray(w_cols, np.int64), (len(vocab), len(keys)))
        # typo tolerance: a trigram x key incidence matrix
        owner, codes = _trigram_codes(keys)
        self.trigrams, inverse = np.unique(codes, return_inverse=True)
        self.trigram_keys = _incidence(inverse.astype(np.int64), owner,
                                       (len(self.trigrams), len(keys)))
        self.key_trigrams = np.diff(self.trigram_keys.tocsc().indptr).astype(np.float64)

    # -- matching

    def _rows(self, m: sp.csr_matrix, rows: Sequence[int]) -> NDArray[np.int64]:
        """The keys of the given rows of an incidence matrix, concatenated."""
        return np.concatenate([m.indices[m.indptr[r]:m.indptr[r + 1]] for r in rows]
                              + [np.zeros(0, np.int64)]).astype(np.int64)

    def _fuzzy_levels(self, text: str) -> NDArray[np.float64]:
        """Each key's ``FUZZY`` level for a normalised query (0 below ``FUZZY_MIN``).

        The similarity is shared trigrams / (query trigrams + ``EXTRA_TRIGRAM_WEIGHT`` x the
        key's trigrams the query lacks): a query trigram missing from a key counts fully, a
        key trigram missing from the query a fifth (a partial title is not penalised much)."""
        n_keys = len(self.keys)
        level = np.zeros(n_keys, np.float64)
        _, q_codes = _trigram_codes([text])
        q_codes = np.unique(q_codes)
        if not len(q_codes) or not len(self.trigrams):
            return level
        pos = np.searchsorted(self.trigrams, q_codes)
        ok = pos < len(self.trigrams)
        ok[ok] = self.trigrams[pos[ok]] == q_codes[ok]
        shared = np.bincount(self._rows(self.trigram_keys, pos[ok].tolist()),
                             minlength=n_keys).astype(np.float64)
        sim = shared / (len(q_codes) + EXTRA_TRIGRAM_WEIGHT * (self.key_trigrams - shared))
        close = sim >= FUZZY_MIN
        if (letters := letter_words(text)) is not None:  # a number's trigrams are not enough
            mine = pos[ok][np.isin(q_codes[ok], _trigram_codes([letters])[1])].tolist()
            close &= np.bincount(self._rows(self.trigram_keys, mine), minlength=n_keys) > 0
        level[close] = FUZZY + np.floor(sim[close] * 20 + 1e-9) / 20
        return level

    def _inside(self, text: str) -> NDArray[np.bool_]:
        """Which keys hold ``text`` as a substring. Only keys holding every trigram inside
        the query's words can (found from the trigram matrix), and only those are tested; a
        query without such a trigram (every word under 3 letters) scans every key."""
        _, codes = _trigram_codes([text])
        low = (1 << 21) - 1
        inner = np.unique(codes[((codes >> 42) != 32) & (((codes >> 21) & low) != 32)
                                & ((codes & low) != 32)])
        if not len(inner):
            return np.asarray(np.strings.find(self.key_bytes, text.encode("utf-8")) >= 0)
        out = np.zeros(len(self.keys), bool)
        pos = np.searchsorted(self.trigrams, inner)
        if (pos >= len(self.trigrams)).any() or (self.trigrams[pos] != inner).any():
            return out  # a trigram no key has
        held = np.bincount(self._rows(self.trigram_keys, pos.tolist()), minlength=len(out))
        candidates = np.flatnonzero(held == len(inner))
        keys = self.keys
        out[candidates] = [text in keys[k] for k in candidates.tolist()]
        return out

    def _key_levels(self, text: str, fuzzy: bool) -> NDArray[np.float64]:
        """Each key's match level for a normalised query (0 = no match): words, inside and,
        when ``fuzzy``, trigram similarity."""
        n_keys = len(self.keys)
        level = np.zeros(n_keys, np.float64)
        if not text:
            return level
        if fuzzy:
            level = self._fuzzy_levels(text)
        level[self._inside(text)] = INSIDE
        # words: every query word a word of the key, the last one possibly unfinished
        words = text.split()
        *whole, last = words
        hits = np.zeros(n_keys, np.int64)
        need = 0
        for w in dict.fromkeys(whole):
            i = bisect.bisect_left(self.words, w)
            found = i < len(self.words) and self.words[i] == w
            hits += np.bincount(self._rows(self.word_keys, [i] if found else []),
                                minlength=n_keys)
            need += 1
        lo = bisect.bisect_left(self.words, last)
        hi = bisect.bisect_left(self.words, last + "\U0010ffff")
        if hi > lo:
            m = self.word_keys  # the words with this prefix are rows lo..hi-1, contiguous
            has_prefix = np.zeros(n_keys, bool)
            has_prefix[m.indices[m.indptr[lo]:m.indptr[hi]]] = True
            hits += has_prefix
        need += 1
        level[hits == need] = np.maximum(level[hits == need], WORDS)
        return level

    def _levels(self, text: str, typos: bool = True) -> NDArray[np.float64]:
        """Each title's best match level for a normalised query (0 = no match). A leading
        article of the query may be left out; typos are looked for without it (``typos``:
        also one edit in a word no title has, ``typos.typo_levels``)."""
        if not text:
            return np.zeros(self.n, np.float64)
        forms = list(dict.fromkeys([text, _QUERY_ARTICLE.sub("", text)]))
        key_level = self._key_levels(forms[-1], fuzzy=not digits_only(forms[-1]))
        if len(forms) > 1:
            key_level = np.maximum(key_level, self._key_levels(forms[0], fuzzy=False))
        title_level = (np.maximum.reduceat(key_level, self.starts) if self.n
                       else np.zeros(0, np.float64))
        for form in forms:
            for q in dict.fromkeys((form, form.replace(" ", ""))):
                less = COMPACT_PENALTY if q != form else 0.0
                lo = bisect.bisect_left(self.sorted_keys, q)
                eq = bisect.bisect_right(self.sorted_keys, q)
                hi = bisect.bisect_left(self.sorted_keys, q + "\U0010ffff")
                np.maximum.at(title_level, self.sorted_title[eq:hi], PREFIX - less)
                np.maximum.at(title_level, self.sorted_title[lo:eq], EXACT - less)
        if typos:
            title_level = np.maximum(title_level, typo_levels(self, forms[-1]))
        return title_level

    def _text_scores(self, text: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``_levels``, and for a query ending in a year also read as title and year; a query
        that is only a year also lists that year's films (at ``WORDS``). Returns the scores
        and the level each came from, before the year's bonuses."""
        score = self._levels(text)
        if ONLY_YEAR.match(text):
            score = np.maximum(score, np.where(self.years == int(text), WORDS, 0.0))
        level = score
        m = _QUERY_YEAR.match(text)
        if m:
            typed = np.where(score > 0, score + AS_TYPED_BONUS, 0.0)
            plain = self._levels(m.group("text"))
            by_year = plain + np.where((plain > 0) & (self.years == int(m.group("year"))),
                                       YEAR_BONUS, 0.0)
            take = by_year > typed
            score, level = np.where(take, by_year, typed), np.where(take, plain, level)
        return score, level

    def _holding(self, words: Sequence[str]) -> NDArray[np.bool_]:
        """Which titles have every one of ``words`` as a whole word of a key."""
        out = np.ones(self.n, bool)
        for w in words:
            i = bisect.bisect_left(self.words, w)
            found = self._rows(self.word_keys, [i] if self.words[i:i + 1] == [w] else [])
            out &= np.isin(np.arange(self.n), self.key_title[found])
        return out

    def scored(self, query: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Each title's match score for ``query`` (0 = no match; higher is better), and the
        match level it came from, before a year's bonuses (``title_match`` names it). A query
        written as MovieLens writes titles ("Godfather, The (1972)", or "Godfather, The 1972")
        is read as "the godfather 1972" only (``catalog_reading``); one with alternative
        titles, also as those."""
        moved = catalog_reading(query)
        text = numerals_as_digits(moved or normalise(query))
        score, level = self._text_scores(text)
        names, year = title_names(query)
        as_title = numerals_as_digits(normalise(" ".join(front for front, _ in names))) + (
            f" {year}" if year else "")
        if not moved and as_title.strip() and as_title != text:
            other, other_level = self._text_scores(as_title.strip())
            take = other > score
            score, level = np.where(take, other, score), np.where(take, other_level, level)
        for reading, needed in readings(text):  # "two" found no "Toy Story 2"
            other, other_level = self._text_scores(reading)
            other = np.where((other > 0) & self._holding(needed),
                             other - NUMBER_WORD_PENALTY, 0.0)
            take = other > score
            score, level = np.where(take, other, score), np.where(take, other_level, level)
        return score, level

    def scores(self, query: str) -> NDArray[np.float64]:
        """Each title's match score for ``query`` (``scored`` without the levels)."""
        return self.scored(query)[0]


# -- one index per model

_building = threading.Lock()  # one build at a time: concurrent first searches wait for it
_indexes: Kept[TitleIndex] = Kept()


def title_index(model: Model) -> TitleIndex:
    """The model's title index, built on first use (once: the server searches in threads,
    and each request before the first build ended built its own) and kept while the model
    lives."""
    index = _indexes.get(model)
    if index is not None:
        return index
    with _building:
        index = _indexes.get(model)
        if index is not None:
            return index
        return _indexes.put(model, TitleIndex(model.film_labels[1], model.catalog.years))


def ranked(scores: NDArray[np.float64], counts: NDArray[np.integer],
           mask: NDArray[np.bool_] | None = None) -> NDArray[np.int64]:
    """The matching titles (score > 0, and ``mask``) best first: score descending, then
    ``counts`` (viewers) descending, then title order."""
    ok = scores > 0 if mask is None else (scores > 0) & mask
    hits = np.flatnonzero(ok)
    return hits[np.lexsort((hits, -np.asarray(counts)[hits], -scores[hits]))]
