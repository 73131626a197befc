"""A search query's numbers written otherwise: number words in digits, digit ordinals in words.

``readings`` gives a normalised query's other readings, each with the words a title must hold
whole for it to count (``titles.TitleIndex.scored`` scores them ``NUMBER_WORD_PENALTY`` below
the words as typed):

- its number words in digits: a lone number word from two to twenty or a ten ("toy story
  two": "toy story 2"; "one" alone stays a word), a compound number ("catch twenty two":
  "catch 22", "one hundred and one dalmatians": "101 dalmatians", "two thousand one": "2001"),
  a year as people say it, two numbers of two digits ("nineteen eighty four": "1984",
  "twenty twelve": "2012"; also the two numbers, "eleven fourteen": "11 14", 11:14), and
  ordinals ("friday the thirteenth": "friday the 13th", "twenty first": "21st");
- its ordinals in digits spelt in words ("13th floor": "thirteenth floor", "21st":
  "twenty first");

in every choice of them (``MAX_SPANS`` numbers at most).

Each number stands for all its words ("twenty two" is "22", not "20 2") and must be a whole
word of the title: "twelve" is no start of "127".
"""

from __future__ import annotations

import re
from itertools import combinations

_UNITS = {w: n for n, w in enumerate(
    "one two three four five six seven eight nine".split(), start=1)}
_TEENS = {w: n for n, w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(),
    start=10)}
_TENS = {w: n * 10 for n, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_ORDINALS = {
    "first": "one", "second": "two", "third": "three", "fourth": "four", "fifth": "five",
    "sixth": "six", "seventh": "seven", "eighth": "eight", "ninth": "nine", "tenth": "ten",
    "eleventh": "eleven", "twelfth": "twelve", "thirteenth": "thirteen",
    "fourteenth": "fourteen", "fifteenth": "fifteen", "sixteenth": "sixteen",
    "seventeenth": "seventeen", "eighteenth": "eighteen", "nineteenth": "nineteen",
    "twentieth": "twenty", "thirtieth": "thirty", "fortieth": "forty", "fiftieth": "fifty",
    "sixtieth": "sixty", "seventieth": "seventy", "eightieth": "eighty",
    "ninetieth": "ninety", "hundredth": "hundred", "thousandth": "thousand"}
_CARDINAL_ORDINAL = {c: o for o, c in _ORDINALS.items()}
# number words read in digits on their own (as before compounds: "one" is a word of too many
# titles, "hundred" and "thousand" need a number before them)
_ALONE = set(_UNITS) - {"one"} | set(_TEENS) | set(_TENS) | set(_ORDINALS) - {
    "hundredth", "thousandth"}
MAX_SPANS = 3  # numbers of a query read in every choice of them (7 readings at most)
_DIGIT_ORDINAL = re.compile(r"^(\d{1,2})(st|nd|rd|th)$")


def _cardinal(word: str) -> tuple[str, bool]:
    """``word`` as a cardinal number word, and whether it was an ordinal."""
    base = _ORDINALS.get(word)
    return (word, False) if base is None else (base, True)


def _small(words: list[str], i: int) -> tuple[int, int, bool] | None:
    """The number from 1 to 99 that ``words[i:]`` begins with: (value, end, ordinal)."""
    if i >= len(words):
        return None
    word, ordinal = _cardinal(words[i])
    if word in _TENS:
        if not ordinal and i + 1 < len(words):
            unit, unit_ordinal = _cardinal(words[i + 1])
            if unit in _UNITS:
                return _TENS[word] + _UNITS[unit], i + 2, unit_ordinal
        return _TENS[word], i + 1, ordinal
    value = _TEENS.get(word) or _UNITS.get(word)
    return None if value is None else (value, i + 1, ordinal)


def _times(words: list[str], value: int, j: int, word: str, factor: int,
           rest: int) -> tuple[int, int, bool] | None:
    """``value`` times ``factor`` when ``words[j]`` is ``word`` (or its ordinal), plus the
    number below ``rest`` after it ("and" may come between)."""
    if j >= len(words) or _cardinal(words[j])[0] != word:
        return None
    if _cardinal(words[j])[1]:
        return value * factor, j + 1, True
    k = j + 2 if j + 2 < len(words) and words[j + 1] == "and" else j + 1
    after = _below_thousand(words, k) if rest == 1000 else _small(words, k)
    if after is None or after[0] >= rest:
        return value * factor, j + 1, False
    return value * factor + after[0], after[1], after[2]


def _below_thousand(words: list[str], i: int) -> tuple[int, int, bool] | None:
    """The number below 10,000 without "thousand" that ``words[i:]`` begins with ("nineteen
    hundred" is 1900)."""
    small = _small(words, i)
    if small is None or small[2]:
        return small
    return _times(words, small[0], small[1], "hundred", 100, 100) or small


def _number(words: list[str], i: int) -> tuple[int, int, bool] | None:
    """The longest number that ``words[i:]`` begins with: (value, end, ordinal)."""
    first = _below_thousand(words, i)
    if first is None or first[2]:
        return first
    value, end, _ = first
    thousands = _times(words, value, end, "thousand", 1000, 1000)
    if thousands is not None:
        return thousands
    pair = _pair(words, i)
    return first if pair is None else (value * 100 + pair[0], pair[1], pair[2])


def _pair(words: list[str], i: int) -> tuple[int, int, bool] | None:
    """The second of two numbers of two digits that ``words[i:]`` begins with, a year as said
    ("nineteen eighty four"; "eleven fourteen" is also 11:14): (value, end, ordinal)."""
    first = _below_thousand(words, i)
    if first is None or first[2] or not 10 <= first[0] <= 99 or first[1] - i > 2:
        return None
    pair = _small(words, first[1])
    return pair if pair is not None and pair[0] >= 10 else None


def _suffix(n: int) -> str:
    if 11 <= n % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _spelt_ordinal(n: int) -> str:
    """An ordinal from 1 to 99 in words ("twenty first")."""
    by_value = {v: w for w, v in (_UNITS | _TEENS | _TENS).items()}
    if n < 20 or n % 10 == 0:
        return _CARDINAL_ORDINAL[by_value[n]]
    return f"{by_value[n - n % 10]} {_CARDINAL_ORDINAL[by_value[n % 10]]}"


def number_spans(words: list[str]) -> list[tuple[int, int, str]]:
    """The numbers of a normalised query's ``words`` read otherwise, as (start, end, reading):
    number words in digits ("22"; a round thousand also as a title's "20,000" is normalised,
    "20 000", a second span of the same words) or a digit ordinal in words ("thirteenth")."""
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        found = _number(words, i)
        if found is not None and (found[1] - i > 1 or words[i] in _ALONE):
            value, end, ordinal = found
            if (pair := _pair(words, i)) is not None:  # also as two numbers: 11:14, 50/50
                spans.append((i, end, f"{value // 100} {pair[0]}"
                                      f"{_suffix(pair[0]) if ordinal else ''}"))
            spans.append((i, end, f"{value}{_suffix(value) if ordinal else ''}"))
            if not ordinal and value >= 1000 and value % 1000 == 0:  # "20,000 leagues"
                spans.append((i, end, f"{value // 1000} 000"))
            i = end
            continue
        m = _DIGIT_ORDINAL.match(words[i])
        if m is not None and int(m.group(1)) > 0:
            spans.append((i, i + 1, _spelt_ordinal(int(m.group(1)))))
        i += 1
    return spans


def readings(text: str) -> list[tuple[str, list[str]]]:
    """A normalised query's other readings (see the module doc), each with the words a title
    must hold whole: every choice of its numbers to read otherwise ("first blood part two" is
    also "first blood part 2": Rambo's title has no "1st"), the fewest first; of more than
    ``MAX_SPANS`` numbers, all of them or one of the first ``MAX_SPANS`` (each reading is a
    search of the whole query: one per number made a query of 250 "two" 60 times a plain one's
    cost)."""
    words = text.split()
    spans = number_spans(words)
    if len(spans) <= MAX_SPANS:
        choices = [c for n in range(1, len(spans) + 1) for c in combinations(spans, n)
                   if len({s[0] for s in c}) == n]  # one reading of each number
    else:
        firsts = sorted({s[0] for s in spans})[:MAX_SPANS]
        choices = [(s,) for s in spans if s[0] in firsts] + [
            tuple(dict((s[0], s) for s in spans).values())]
    out = []
    for chosen in choices:
        at = {start: (end, reading) for start, end, reading in chosen}
        read: list[str] = []
        i = 0
        while i < len(words):
            end, reading = at.get(i, (i + 1, words[i]))
            read.append(reading)
            i = end
        out.append((" ".join(read), [w for s in chosen for w in s[2].split()]))
    return out
