"""Regular expressions the OpenAPI schema's vocabulary patterns are built from (``schema_limits``).

Each matches exactly what the server reads: a text in any case, one of several texts, a genre
as ``catalog.resolve_genres`` reads it, a segment label's unique part, adjacent tiers.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from recommender.query.catalog import GENRE_SEPARATORS, genre_key

_SYNTAX = set("\\^$.|?*+()[]{}/")


def any_case(text: str) -> str:
    """A regular expression matching ``text`` exactly, each letter in either case."""
    out = []
    for ch in text:
        lo, up = ch.lower(), ch.upper()
        if lo != up and len(lo) == len(up) == 1:
            out.append(f"[{lo}{up}]")
        else:
            out.append("\\" + ch if ch in _SYNTAX else ch)
    return "".join(out)


def one_of(texts: Sequence[str]) -> str:
    return "(?:" + "|".join(any_case(t) for t in sorted(set(texts))) + ")"


def char_class(chars: Iterable[str]) -> str:
    """A regular expression class of exactly ``chars``, each as its ``\\uXXXX`` escape (runs
    as ranges): the same set in Python's ``re`` and in ECMA-262, where ``\\s`` and ``\\W``
    differ (a schema client generating "\\W" took a non-ASCII letter for punctuation)."""
    points = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for p in points:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return "[" + "".join(f"\\u{a:04x}" + (f"-\\u{b:04x}" if b > a else "")
                         for a, b in runs) + "]"


def genre_pattern(genres: Sequence[str]) -> str:
    """What names one of ``genres`` as ``catalog.resolve_genres`` reads it: a genre in any case
    with whitespace around (``str.strip``'s; only as written when another genre differs from
    it only by case), or a text whose characters other than ASCII whitespace and punctuation
    (``GENRE_SEPARATORS``, anywhere) are one genre's alone, in any case."""
    keys: dict[str, int] = {}
    lowered: dict[str, int] = {}
    for g in genres:
        keys[genre_key(g)] = keys.get(genre_key(g), 0) + 1
        lowered[g.lower()] = lowered.get(g.lower(), 0) + 1
    space = char_class(chr(c) for c in range(0x3001) if chr(c).isspace()) + "*"
    gap = char_class(GENRE_SEPARATORS) + "*"
    loose = [gap + "".join(any_case(ch) + gap for ch in key)
             for key, n in sorted(keys.items()) if key and n == 1]
    named = "(?:" + "|".join(any_case(g) if lowered[g.lower()] == 1 else _literal(g)
                             for g in sorted(set(genres))) + ")"
    return "^(?:" + "|".join([f"{space}{named}{space}", *loose]) + ")$"


def _literal(text: str) -> str:
    """A regular expression matching ``text`` exactly, case included."""
    return "".join("\\" + ch if ch in _SYNTAX else ch for ch in text)


def unique_substrings(labels: Sequence[str], limit: int = 5000) -> list[str]:
    """What names exactly one of ``labels`` as ``filters.resolve_segment`` matches them: a
    label itself, or a text without surrounding blanks that exactly one label contains
    (ignoring case); just the labels past ``limit`` texts."""
    folded = [label.casefold() for label in labels]
    texts = set(labels)
    for label in folded:
        for i in range(len(label)):
            for j in range(i + 1, len(label) + 1):
                part = label[i:j]
                if (part == part.strip() and not part.lstrip("-").isdigit()
                        and sum(part in f for f in folded) == 1):
                    texts.add(part)
                    if len(texts) > limit:
                        return list(labels)
    return sorted(texts)


def _numbers_below(n: int) -> str:
    """Decimal texts ``int()`` reads as 0 .. n-1 (leading zeros, ``-0`` included)."""
    positive = [str(i) for i in range(1, n)]
    return "(?:-?0+" + ("|0*(?:" + "|".join(positive) + ")" if positive else "") + ")"


def adjacent_tiers(names: Sequence[str]) -> str:
    """A pattern of what ``portrait_scope.portrait_scope`` accepts: ``all``, or tier names joined by
    ``,`` or ``+`` (any case, blanks around them ignored, no empty part) that name adjacent
    tiers."""
    def around(token: str) -> str:
        return f"\\s*{token}\\s*"

    options = []
    for i in range(len(names)):
        for j in range(i, len(names)):
            tok = one_of(names[i:j + 1])
            pre = f"(?:{around(tok)}[,+])*"
            post = f"(?:[,+]{around(tok)})*"
            # every tier of the interval, in any order (each at least once)
            for order in itertools.permutations(names[i:j + 1]):
                options.append(pre + f"{post}[,+]".join(around(one_of([n])) for n in order)
                               + post)
    return "^(?:" + "|".join([around(any_case("all"))] + options) + ")$"
