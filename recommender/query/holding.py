"""Which catalog titles may hold a normalised query word: each title's name compacted once."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from recommender.query import titles as _titles
from recommender.query.titles import _AS_DIGITS, _NOT_WORD, normalise, numerals_as_digits

# ``_NOT_WORD`` that keeps the line breaks the titles are joined with (a title holding one is
# compacted alone)
_NOT_WORD_NOR_BREAK = re.compile(r"(?:[^\w\n]|_)+")
_WORD = re.compile(r"(\w+)")  # a run of word characters: what ``_DIGIT_WORD``'s \b...\b takes


def in_digits(text: str) -> str:
    """``text`` with its number words in digits, as ``titles._DIGIT_WORD`` gives it (each of
    its words is a whole run of word characters), by a dictionary over ``text``'s words: the
    expression's alternatives, tried at each character, took 30 ms of 9,742 titles."""
    parts = _WORD.split(text)
    parts[1::2] = [_AS_DIGITS.get(w, w) for w in parts[1::2]]
    return "".join(parts)


class HoldingIndex:
    """Each title's name (a trailing year aside: an ASCII name by its lower case and "&" as
    "and" alone, any other ``normalise``d) without spaces or punctuation, as written and with
    its number words in digits; ``rows`` reads them for a word with numpy, not a loop per
    title (``film m1 1`` on ml-latest-small spent 290 ms looping over its 9,742 titles), as
    ``id_titles.names_holding`` did."""

    def __init__(self, titles: Sequence[str]) -> None:
        self.titles = titles
        texts = []
        for title in titles:
            m = _titles._YEAR_AT_END.search(title)
            name = title[:m.start()] if m and m.start() > 0 else title
            texts.append(name.lower().replace("&", " and ") if name.isascii() else normalise(name))
        plain, digits = _compacted(texts)
        self.plain: NDArray[np.str_] = np.asarray(plain, dtype=str)
        self.digits: NDArray[np.str_] = np.asarray(digits, dtype=str)
        self._whole: str | None = None

    def rows(self, word: str) -> list[int]:
        """The titles whose name may hold ``word`` (a normalised query word), spaces aside and
        in digits ("walle" is WALL-E, "10" Ten), in catalog order: its Roman numerals read in
        digits too, and a number word of a name only for a word holding a digit."""
        forms = {word, numerals_as_digits(word)}
        with_digits = any(c.isdigit() for w in forms for c in w)
        plain = np.zeros(len(self.plain), bool)
        for w in forms:
            plain |= np.strings.find(self.plain, w) >= 0
        found = plain.copy()
        for w in forms if with_digits else ():
            found |= np.strings.find(self.digits, w) >= 0
        # a name holding it as written is in the whole text too; one holding it only in digits
        # is not looked for when the whole text, normalised, holds it in neither form ("ten's"
        # is "tens" there, no number word)
        if not found.any() or (not plain.any() and not any(w in self._whole_text()
                                                           for w in forms)):
            return []
        return np.flatnonzero(found).tolist()

    def _whole_text(self) -> str:
        """Every title normalised, without spaces, then again with its number words in digits
        (read on the first word found in a name only in digits)."""
        if self._whole is None:
            text = normalise(" ".join(self.titles))
            self._whole = (text.replace(" ", "") + " " + in_digits(text).replace(" ", ""))
        return self._whole


def _compacted(texts: list[str]) -> tuple[list[str], list[str]]:
    """``texts`` without spaces or punctuation, as written and with their number words in
    digits: one pass over them all, joined by line breaks (each alone when one holds a line
    break)."""
    if not texts:
        return [], []
    if any("\n" in t for t in texts):
        return ([_NOT_WORD.sub("", t) for t in texts],
                [_NOT_WORD.sub("", in_digits(t)) for t in texts])
    joined = "\n".join(texts)
    return (_NOT_WORD_NOR_BREAK.sub("", joined).split("\n"),
            _NOT_WORD_NOR_BREAK.sub("", in_digits(joined)).split("\n"))
