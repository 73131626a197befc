"""Typos in title words, found by edit distance: the words of the titles one (or two) edits away.

Trigram similarity (``titles.FUZZY``) forgives typos in long titles, but one edit inside a
short word breaks most of its trigrams: "batamn", "titnaic" and "matirx" found nothing or
other films. ``typo_levels`` reads each query word that no title has (the last one may also
be the start of a title word) as every title word at Damerau-Levenshtein distance 1 (one
letter inserted, deleted, replaced, or two neighbours swapped; optimal string alignment), at
most ``MAX_CANDIDATES`` per word in alphabetical order and ``MAX_QUERIES`` corrected queries,
for at most ``MAX_TYPO_WORDS`` such words of ``MIN_LENGTH`` to ``MAX_LENGTH`` letters. A word
of ``LONG_WORD`` letters or more that no title word is one edit away from is read as the title
words two edits away ("shwashenk" as "shawshank": trigram similarity found nothing). A title
that a corrected query matches as words, a prefix or whole (``titles.WORDS`` and up) scores
``TYPO`` plus a tenth of that level (2.4 to 2.6), or ``TYPO_2`` plus a tenth when a word needed
two edits (2.1 to 2.3): above every trigram match (at most 2.0), below a match of the query as
typed, and a two-edit reading below every one-edit one.

The words one edit away come from a deletion index (each title word and its one-letter
deletions), built on the first query that needs it and kept with the title index; the words
two edits away from it and a second one (the two-letter deletions of the words of
``LONG_WORD`` - 2 letters or more), built on the first query that needs that (0.2 to 0.4 s
for the 9,505 distinct words of the MovieLens latest-small and 100K titles on a shared 2-core
VM; concurrent first queries wait for that one build). Two words within two edits share a
deletion of up to two letters each (a replacement or a swap is one deletion on each side), so
no word two edits away is missed.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

MIN_LENGTH = 3
MAX_LENGTH = 40
MAX_TYPO_WORDS = 2
MAX_CANDIDATES = 8
MAX_QUERIES = 16
TYPO = 2.0  # titles.FUZZY + 1: above any trigram match (at most 2.0), below INSIDE (3.0)
LONG_WORD = 8  # a query word this long may hold two typos
TYPO_2 = 1.7  # two edits in a word: TYPO_2 + a tenth of a level (at most 2.3) < TYPO + 0.4
# one build of each deletion index at a time: the server answers searches in threads, and
# every request that came before the first build ended built its own (16 concurrent first
# searches of the 9,700 MovieLens titles took 4.5 s where one took 0.4 s)
_BUILD = threading.Lock()


def one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at Damerau-Levenshtein distance exactly 1."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):  # one letter inserted
        return a[i:] == b[i + 1:]
    if a[i + 1:] == b[i + 1:]:  # one letter replaced
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


def _deletions(word: str) -> set[str]:
    return {word} | {word[:j] + word[j + 1:] for j in range(len(word))}


def _deletions_2(word: str) -> set[str]:
    """``word`` and its deletions of one or two letters (every pair within OSA distance 2
    shares one: a replacement or a swap is one deletion on each side)."""
    return {d for once in _deletions(word) for d in _deletions(once)}


def edit_distance(a: str, b: str, most: int) -> int:
    """The optimal string alignment distance of ``a`` and ``b`` (insert, delete, replace, swap
    two neighbours), or ``most + 1`` when it is more than ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        two_before, before, row = before, row, [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(before[j] + 1, row[j - 1] + 1, before[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], two_before[j - 2] + 1)
        if min(row) > most:
            return most + 1
    return min(row[len(b)], most + 1)


def near_name(given: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` (column or attribute names) within one edit of ``given``: a
    letter added, left out, replaced, or two neighbours swapped (``cinmea`` for ``cinema``,
    ``cty`` for ``city``); None if none is, or ``given`` is one of them. Ties go to the first
    in ``names``. Two edits named other words: ``religion`` a ``region``, ``zip_code`` (a ZIP
    column) a ``zip_zone``."""
    given = given.strip().lower()
    best: tuple[int, str] | None = None
    for name in names:
        most = 1
        d = edit_distance(given, name, most)
        if d == 0:
            return None
        if d <= most and (best is None or d < best[0]):
            best = (d, name)
    return None if best is None else best[1]


def digits_only(text: str) -> bool:
    """Whether every word of the normalised ``text`` is digits: such a word is a number (an
    id, a year, "300"), never a title word mistyped, so neither edits nor trigram similarity
    read it as another ("2571" is no typo of U-571's "571", "999999" no "99 francs")."""
    words = text.split()
    return bool(words) and all(w.isdigit() for w in words)


def letter_words(text: str) -> str | None:
    """The words of the normalised ``text`` that are not numbers where it has both ("u 5711":
    "u"), else None. A title that such a query's trigrams find must share one of these
    words' trigrams: a number's trigrams alone are no likeness ("u 5711", a typo of U-571,
    listed Room 5711 and 5711 Nights, "k 9" the film 9), as a number is no typo of another
    (``digits_only``); U-571 and Unit 571 share the "u" and are still found."""
    words = text.split()
    letters = [w for w in words if not w.isdigit()]
    return " ".join(letters) if letters and len(letters) < len(words) else None


class Neighbours:
    """The deletion index of a sorted word list: ``near(word)`` lists the words one edit
    away, alphabetically; ``near(word, 2)`` those two edits away (of a word of ``LONG_WORD``
    letters or more)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        index: dict[str, list[int]] = {}
        for i, w in enumerate(self.words):
            for d in _deletions(w):
                index.setdefault(d, []).append(i)
        self.index = index
        self._two: dict[str, list[int]] | None = None

    def _two_deletions(self) -> dict[str, list[int]]:
        """Each word that can be two edits from a long word (``LONG_WORD`` - 2 letters or
        more) under its deletions of two letters; its deletions of none or one are in
        ``index`` (built once, on first use)."""
        if self._two is not None:
            return self._two
        with _BUILD:
            if self._two is not None:
                return self._two
            two: dict[str, list[int]] = {}
            for i, w in enumerate(self.words):
                n = len(w)
                if LONG_WORD - 2 <= n <= MAX_LENGTH + 2:
                    for d in {w[:a] + w[a + 1:b] + w[b + 1:] for a in range(n)
                              for b in range(a + 1, n)}:
                        found = two.get(d)
                        if found is None:
                            two[d] = [i]
                        else:
                            found.append(i)
            self._two = two
            return two

    def near(self, word: str, edits: int = 1) -> list[str]:
        if edits == 1:
            found = {i for d in _deletions(word) for i in self.index.get(d, ())}
            return sorted(w for w in (self.words[i] for i in found) if one_edit(word, w))
        two = self._two_deletions()
        found = {i for d in _deletions_2(word) for i in (*self.index.get(d, ()),
                                                          *two.get(d, ()))}
        return sorted(w for w in (self.words[i] for i in found)
                      if edit_distance(word, w, 2) == 2)


def typo_levels(index: Any, text: str) -> NDArray[np.float64]:
    """Each title's score for ``text`` read with one typo per unknown word, two in a long word
    that no title word is one edit from (see the module doc); 0 where no corrected query
    matches. ``index`` is a ``titles.TitleIndex``."""
    from recommender.query.titles import WORDS

    out = np.zeros(index.n, np.float64)
    words = text.split()
    vocab: list[str] = index.words

    def known(i: int) -> bool:
        w = words[i]
        at = bisect_left(vocab, w)
        if at < len(vocab) and vocab[at] == w:
            return True
        return i == len(words) - 1 and at < len(vocab) and vocab[at].startswith(w)
    unknown = [i for i in range(len(words)) if not known(i)]
    if not unknown or len(unknown) > MAX_TYPO_WORDS or \
            any(not MIN_LENGTH <= len(words[i]) <= MAX_LENGTH or words[i].isdigit()
                for i in unknown):
        return out  # a word past MAX_LENGTH is no title word mistyped (and costs its square),
        # a number no other number with a digit more or less (``digits_only``)
    near: Neighbours | None = getattr(index, "_neighbours", None)
    if near is None:
        with _BUILD:  # built once per index
            near = getattr(index, "_neighbours", None)
            if near is None:
                near = Neighbours(vocab)
                index._neighbours = near
    options = []
    base = TYPO
    for i in unknown:
        found = near.near(words[i])
        if not found and len(words[i]) >= LONG_WORD:
            found, base = near.near(words[i], 2), TYPO_2
        options.append(found[:MAX_CANDIDATES])
    if not all(options):
        return out
    for combo in itertools.islice(itertools.product(*options), MAX_QUERIES):
        fixed = list(words)
        for i, w in zip(unknown, combo, strict=True):
            fixed[i] = w
        level = index._levels(" ".join(fixed), typos=False)
        out = np.maximum(out, np.where(level >= WORDS, base + level / 10, 0.0))
    return out
