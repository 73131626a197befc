"""A catalog title's names: its year, each alternative title in parentheses, the article in front.

MovieLens writes "Seven (a.k.a. Se7en) (1995)" for a film called "Seven" and "Se7en", and
"Godfather, The (1972)" for "The Godfather". One parser reads both for every surface: search
(``titles.title_names``, ``TitleIndex``) and the exact title a film argument is
(``hints.titled_exactly``); they differ only on the trailing year, which search drops from
every title while the exact title drops it only where it is the film's (``own_year_only``:
in a catalog without years "Brazil (1985)" is no film called "brazil").
"""

from __future__ import annotations

import re

# articles MovieLens moves to the end ("Godfather, The", "Haine, La", "Vitelloni, I", "Passion, En")
_ARTICLES = ("the", "a", "an", "le", "la", "les", "l'", "il", "i", "el", "der", "die", "das", "det",
             "den", "en", "de", "lo", "los", "las", "un", "une", "una", "uno", "ein", "eine", "gli")
_TRAILING_ARTICLE = re.compile(
    r"^(?P<body>.*\S)\s*,\s*(?P<article>" + "|".join(re.escape(a) for a in _ARTICLES)
    + r")\s*$", re.IGNORECASE)
_LEADING_ENGLISH = re.compile(r"^(the|a|an)\s+(?=\S)", re.IGNORECASE)
# (?<!\s): a search starts at a run of blanks once, not at each of its blanks (n^2 steps)
_YEAR_AT_END = re.compile(r"(?<!\s)\s*\(\s*(\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\s*\)\s*$")
_PARENTHESES_AT_END = re.compile(r"^(?P<rest>.*\S)\s*\((?P<alt>[^()]*)\)\s*$")
_AKA = re.compile(r"^\s*(a\.?k\.?a\.?)\s+", re.IGNORECASE)
_YEAR_ALONE = re.compile(r"\s*[0-9]{4}\s*")  # "(1985)" left in a title: no alternative title


def article_in_front(name: str) -> tuple[str, str]:
    """A name with its article in front and without it: "Godfather, The" gives ("The
    Godfather", "Godfather"), "Auberge espagnole, L'" ("L'Auberge espagnole", "Auberge
    espagnole"), "The Matrix" ("The Matrix", "Matrix"; only an English article is dropped
    from the front), "Brazil" ("Brazil", "Brazil")."""
    m = _TRAILING_ARTICLE.match(name)
    if m is None:
        return name, _LEADING_ENGLISH.sub("", name)
    article, body = m.group("article"), m.group("body")
    return article + ("" if article.endswith("'") else " ") + body, body


def names_of(rest: str, own_year_only: bool = False) -> list[tuple[str, str]]:
    """The names of a title whose year is taken off already (``rest``), each as
    ``article_in_front`` gives it: the name, then each alternative title in its trailing
    parentheses, in order, an "a.k.a." and surrounding blanks dropped ("Seven (a.k.a.
    Se7en)": [("Seven", "Seven"), ("Se7en", "Se7en")]). ``own_year_only``: ``rest`` kept any
    year that is not the film's, and parentheses holding a year (four digits) end the
    alternatives there, part of the name ("brazil (1985)" is one name)."""
    parts: list[str] = []
    while (m := _PARENTHESES_AT_END.match(rest)) is not None:
        if own_year_only and _YEAR_ALONE.fullmatch(m.group("alt")):
            break
        parts.insert(0, _AKA.sub("", m.group("alt")).strip())
        rest = m.group("rest")
    return [article_in_front(name) for name in (rest, *parts)]


def title_names(title: str) -> tuple[list[tuple[str, str]], int]:
    """The names of a catalog title as (with the article in front, without it), and the year
    in its trailing parentheses (0 if none), as search reads every title: "Seven (a.k.a.
    Se7en) (1995)" gives ([("Seven", "Seven"), ("Se7en", "Se7en")], 1995); "Godfather, The
    (1972)" gives ([("The Godfather", "Godfather")], 1972)."""
    rest, year = title.strip(), 0
    m = _YEAR_AT_END.search(rest)
    if m and m.start() > 0:
        rest, year = rest[:m.start()], int(m.group(1))
    return names_of(rest), year
