"""A slate's title column reads one index of the catalog's names, built once per catalog
(``typed_titles.NameIndex``): each row naming a film by its main title read every title
holding its first word (0.75 s for "The Hobbit" on ml-latest-small, ~40 s a 50-row slate).
The answers are the same.

Oracle: the function as it was (``_old_names_alone``, kept here, and ``old_names_holding``
it read, in tests/title_oracles.py), on a hand-written catalog and on ml-latest-small's titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from title_oracles import movielens_titles, old_names_holding

from recommender.query.titles import (
    normalise,
)
from recommender.query.typed_titles import (
    _COLON_OR_DASH,
    NameIndex,
    _main_titles,
    names_alone,
    names_title,
    typed_names,
)


def _old_names_alone(typed: str, names: Sequence[str], years: Sequence[int], film: int) -> bool:
    """``typed_titles.names_alone`` as it was: each title holding the first word read."""
    wanted = typed_names(typed)
    if not any(n in _main_titles(names[film]) and y in (0, years[film]) for n, y in wanted):
        return False
    words = normalise(typed).split()
    for i in old_names_holding(names, words[0]) if words else []:
        if i != film and (names_title(wanted, names[i], years[i]) or any(
                n in _main_titles(names[i], _COLON_OR_DASH) and y in (0, years[i])
                for n, y in wanted)):
            return False
    return True


CATALOG = [("Terminator 2: Judgment Day (1991)", 1991), ("Terminator, The (1984)", 1984),
           ("Star Wars: Episode IV - A New Hope (1977)", 1977),
           ("Star Wars: Episode V - The Empire Strikes Back (1980)", 1980),
           ("Alien (1979)", 1979), ("Alien: Resurrection (1997)", 1997),
           ("Amélie: The Musical (2019)", 2019), ("Rocky II: The Return (1979)", 1979),
           ("Sherlock: The Abominable Bride (2016)", 2016),
           ("Sherlock - A Study in Pink (2010)", 2010), ("Ten: The Count (2001)", 2001),
           ("Se7en: Director's Cut (a.k.a. Seven: Cut) (1995)", 1995),
           ("Hobbit: An Unexpected Journey, The (2012)", 2012), ("Hobbit, The (1977)", 1977),
           ("WALL·E: Shorts (2008)", 2008), ("Ocean's Eleven: Heist (2001)", 2001),
           ("Line\nBreak: Odd (2000)", 2000), ("(1995)", 0), ("", 0)]
TYPED = ["Terminator 2", "terminator ii", "Terminator 2 (1991)", "terminator 2 1990", "Star Wars",
         "Alien", "amelie", "Rocky 2", "The Terminator", "Judgment Day", "Sherlock",
         "Sherlock (2016)", "Ten", "10", "Se7en", "Seven", "The Hobbit", "Hobbit 2012",
         "wall e", "Oceans 11", "Ocean's Eleven", "Line Break", "", "1995", "x"]


def test_the_index_answers_as_the_old_scan_on_a_hand_written_catalog() -> None:
    names, years = [t for t, _ in CATALOG], [y for _, y in CATALOG]
    index = NameIndex(names)
    for film in range(len(names)):
        for typed in TYPED + [names[film], names[film].split(":")[0]]:
            assert names_alone(typed, names, years, film, index) is _old_names_alone(
                typed, names, years, film), (typed, names[film])


def test_the_index_answers_as_the_old_scan_on_movielens(shared_datasets: Path) -> None:
    """Every 40th title with a colon (the old scan takes up to 0.75 s a title), typed by its
    main title, with its year, and in lower case."""
    names, years = movielens_titles(shared_datasets)
    index = NameIndex(names)
    colon = [i for i, t in enumerate(names) if ":" in t][::40]
    colon += [names.index("Terminator 2: Judgment Day (1991)"),
              names.index("Sherlock: The Abominable Bride (2016)")]
    for i in colon:
        main = names[i].split(":")[0]
        for typed in (main, f"{main} ({years[i]})", main.lower()):
            assert names_alone(typed, names, years, i, index) is _old_names_alone(
                typed, names, years, i), (typed, names[i])
