"""One typo in a title word, found by edit distance: the words of the titles one edit away.

Trigram similarity (``titles.FUZZY``) forgives typos in long titles, but one edit inside a
short word breaks most of its trigrams: "batamn", "titnaic" and "matirx" found nothing or
other films. ``typo_levels`` reads each query word that no title has (the last one may also
be the start of a title word) as every title word at Damerau-Levenshtein distance 1 (one
letter inserted, deleted, replaced, or two neighbours swapped), at most ``MAX_CANDIDATES``
per word in alphabetical order and ``MAX_QUERIES`` corrected queries, for at most
``MAX_TYPO_WORDS`` such words of ``MIN_LENGTH`` to ``MAX_LENGTH`` letters. A title that a corrected
query matches as words, a prefix or whole (``titles.WORDS`` and up) scores ``TYPO`` plus a
tenth of that level: above every trigram match, below a match of the query as typed.

The words one edit away come from a deletion index (each title word and its one-letter
deletions), built on the first query that needs it and kept with the title index.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

MIN_LENGTH = 3
MAX_LENGTH = 40
MAX_TYPO_WORDS = 2
MAX_CANDIDATES = 8
MAX_QUERIES = 16
TYPO = 2.0  # titles.FUZZY + 1: above any trigram match (at most 2.0), below INSIDE (3.0)


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


class Neighbours:
    """The deletion index of a sorted word list: ``near(word)`` lists the words one edit
    away, alphabetically."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        index: dict[str, list[int]] = {}
        for i, w in enumerate(self.words):
            for d in _deletions(w):
                index.setdefault(d, []).append(i)
        self.index = index

    def near(self, word: str) -> list[str]:
        found = {i for d in _deletions(word) for i in self.index.get(d, ())}
        return sorted(w for w in (self.words[i] for i in found) if one_edit(word, w))


def typo_levels(index: Any, text: str) -> NDArray[np.float64]:
    """Each title's score for ``text`` read with one typo per unknown word (see the module
    doc); 0 where no corrected query matches. ``index`` is a ``titles.TitleIndex``."""
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
            any(not MIN_LENGTH <= len(words[i]) <= MAX_LENGTH for i in unknown):
        return out  # a word past MAX_LENGTH is no title word mistyped (and costs its square)
    near: Neighbours | None = getattr(index, "_neighbours", None)
    if near is None:
        near = Neighbours(vocab)
        index._neighbours = near  # built once per index (two threads may both build it)
    options = [near.near(words[i])[:MAX_CANDIDATES] for i in unknown]
    if not all(options):
        return out
    for combo in itertools.islice(itertools.product(*options), MAX_QUERIES):
        fixed = list(words)
        for i, w in zip(unknown, combo, strict=True):
            fixed[i] = w
        level = index._levels(" ".join(fixed), typos=False)
        out = np.maximum(out, np.where(level >= WORDS, TYPO + level / 10, 0.0))
    return out
