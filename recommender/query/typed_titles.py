"""Whether a title a person typed names a given catalog film, as search reads titles.

A slate's ``title`` column (``cli/checks.slate_films_known``) and the films of the training
catalog left out of the model that a query names (``hints.left_out_matches``) compare a typed
title with a film's names this way: accents, case, punctuation, a leading article and the year
aside, and spaces ignored and a sequel's numeral or number word read in digits, as the search
index keys titles (``titles._title_keys``, ``TitleIndex``): "Rocky 2" names Rocky II (1979),
where it was refused as another film. As search reads a query, only the typed title's Roman
numerals are read in digits (``titles.numerals_as_digits``), not its number words: "Nine"
does not name 9 (2009), another film of that year, which search does not find for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from recommender.model.kept import Kept
from recommender.query import titles
from recommender.query.titles import (
    _AS_DIGITS,
    _DIGIT_WORD,
    ONLY_YEAR,
    normalise,
    numerals_as_digits,
)

if TYPE_CHECKING:
    from recommender.model.model import Model


def _spellings(name: str) -> set[str]:
    """A catalog's normalised name as search also keys it: numerals and number words in digits
    ("rocky ii": "rocky 2", "oceans eleven": "oceans 11"), and each without spaces
    ("spiderman")."""
    forms = {name, _DIGIT_WORD.sub(lambda m: _AS_DIGITS[m.group(1)], name)}
    return forms | {f.replace(" ", "") for f in forms}


def _typed_spellings(name: str) -> set[str]:
    """A typed normalised name as search reads a query: its Roman numerals in digits ("rocky
    ii": "rocky 2"), its number words as words ("nine" is not "9"), with and without spaces."""
    forms = {name, numerals_as_digits(name)}
    return forms | {f.replace(" ", "") for f in forms}


def typed_names(typed: str) -> set[tuple[str, int]]:
    """The names a person's ``typed`` title may mean, each with the year it asks for (0: any):
    as a catalog writes it ("Innocents, The (1961)") or as people type it ("the innocents",
    "the innocents 1961"), in each ``_typed_spellings``; for ``names_title``."""
    names, year = titles.title_names(typed)
    wanted: set[tuple[str, int]] = set()
    for name in {normalise(n) for pair in names for n in pair}:
        wanted |= {(s, year) for s in _typed_spellings(name)}
        words = name.split()
        if not year and len(words) > 1 and ONLY_YEAR.match(words[-1]):
            wanted |= {(s, int(words[-1])) for s in _typed_spellings(" ".join(words[:-1]))}
    return wanted


def name_keys(title: str) -> frozenset[str]:
    """The normalised names of a catalog ``title`` that ``names_title`` compares with."""
    return frozenset(s for pair in titles.title_names(title)[0] for k in pair
                     for s in _spellings(normalise(k)))


def names_title(wanted: set[tuple[str, int]], title: str, year: int,
                keys: frozenset[str] | None = None) -> bool:
    """Whether one of ``wanted`` (``typed_names``) is a name of the catalog ``title`` (the
    article in front or not; accents, case and punctuation aside) of the film of ``year``,
    its year matching when one was typed (``keys``: ``name_keys(title)`` when kept)."""
    keys = name_keys(title) if keys is None else keys
    return any(name in keys and asked in (0, year) for name, asked in wanted)


_COLON = re.compile(":")
# a subtitle after a colon or a spaced dash ("Sherlock - A Study in Pink (2010)")
_COLON_OR_DASH = re.compile(r":|\s[-\u2013\u2014]\s")


def _main_titles(title: str, at: re.Pattern[str] = _COLON) -> frozenset[str]:
    """The spellings of each name of a catalog ``title`` cut at its first colon (``at``), its
    main title ("terminator 2" of "Terminator 2: Judgment Day (1991)")."""
    heads = {at.split(n, maxsplit=1)[0] for pair in titles.title_names(title)[0] for n in pair
             if at.search(n)}
    return frozenset(s for h in heads if normalise(h) for s in _spellings(normalise(h)))


class NameIndex:
    """For each spelling of a whole name of a catalog title (``name_keys``) or of its main
    title cut at a colon or a spaced dash (``_main_titles``), the films (rows) that have it:
    read once per catalog, so that a slate's title is a lookup (each row read every title
    holding its first word: 0.75 s for "The Hobbit" on ml-latest-small, ~40 s a 50-row
    slate)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.rows: dict[str, list[int]] = {}
        for i, title in enumerate(names):
            for key in name_keys(title) | _main_titles(title, _COLON_OR_DASH):
                self.rows.setdefault(key, []).append(i)


_NAME_INDEX: Kept[NameIndex] = Kept()  # per catalog, see name_index


def name_index(model: Model) -> NameIndex:
    """The ``NameIndex`` of the model's titles, built once per catalog and kept while it lives
    (lazily: a slate whose titles are whole names never builds it)."""
    kept = _NAME_INDEX.get(model.catalog)
    if kept is not None:
        return kept
    return _NAME_INDEX.put(model.catalog, NameIndex(model.film_labels[1]))


def names_alone(typed: str, names: Sequence[str], years: Sequence[int], film: int,
                index: NameIndex | Callable[[], NameIndex] | None = None) -> bool:
    """Whether ``typed`` is the main title of catalog film ``film`` (``_main_titles``, its
    year matching when one was typed) and names no other film of the catalog (``names``,
    ``years``), whole or as its main title, cut at a spaced dash too: "Terminator 2" names
    Terminator 2: Judgment Day; "Star Wars" names none of its episodes, nor "Alien" Alien:
    Resurrection (Alien is a film), nor "Sherlock" Sherlock: The Abominable Bride (2016)
    (Sherlock - A Study in Pink (2010) is a film of that main title). ``index``: the
    ``NameIndex`` of ``names`` when kept, or what gives it (called only for a main title of
    ``film``); one is built otherwise."""
    wanted = typed_names(typed)
    if not any(n in _main_titles(names[film]) and y in (0, years[film]) for n, y in wanted):
        return False
    index = NameIndex(names) if index is None else index
    rows = (index if isinstance(index, NameIndex) else index()).rows
    return not any(i != film and y in (0, years[i]) for n, y in wanted for i in rows.get(n, ()))


def other_films_titled(names: Sequence[str], years: Sequence[int], typed: Sequence[str],
                       films: Sequence[int]) -> list[tuple[int, int]]:
    """(position in ``typed``, catalog row) for each typed title that is exactly another
    film's title (``names[row]``, or it with its year: "Café (2001)"), byte for byte or once
    both are in Unicode form NFC, and not ``films[position]``'s own (the row a slate line's id
    names): "Café" typed for film "Cafe" named it (accents aside) while another film is titled
    "Café" exactly, so a wrong id passed its check. Vectorised over the catalog."""
    import unicodedata

    import pyarrow as pa
    import pyarrow.compute as pc

    keys = [unicodedata.normalize("NFC", t.strip()) for t in typed]
    wanted = pa.array([k for k in keys if k], pa.string())
    if not len(wanted):
        return []
    whole = pc.utf8_normalize(pa.array(list(names), pa.string()), "NFC")
    dated = pc.binary_join_element_wise(
        whole, " (", pc.cast(pa.array(list(years), pa.int64()), pa.string()), ")", "")
    hit = pc.or_(pc.is_in(whole, value_set=wanted), pc.is_in(dated, value_set=wanted))
    rows = [int(r) for r in pc.indices_nonzero(hit).to_pylist()]  # the few so titled
    forms = {r: (whole[r].as_py(), dated[r].as_py()) for r in rows}
    out: list[tuple[int, int]] = []
    for p, (key, film) in enumerate(zip(keys, films, strict=True)):
        own = (unicodedata.normalize("NFC", str(names[film])),
               unicodedata.normalize("NFC", f"{names[film]} ({years[film]})"))
        if key and key not in own:
            out += [(p, r) for r in rows if r != film and key in forms[r]]
    return out
