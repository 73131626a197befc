"""The trailing-year pattern starts a search once per run of blanks, not at each of its
blanks: a catalog title with 20,000 blanks inside took 0.5 s to read (n^2 steps: each start
in the run read the rest of it), once per model as the title index is built. The matches are
the old pattern's, on every short title of a few pieces."""

from __future__ import annotations

import itertools
import re

from recommender.query import titles
from recommender.query.titles import title_names

OLD = re.compile(r"\s*\(\s*(\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\s*\)\s*$")


def test_a_run_of_blanks_is_a_start_once() -> None:
    run = 500
    text = "Film" + " " * run + "(1999)"
    old = [i for i in range(len(text)) if OLD.match(text, i)]
    new = [i for i in range(len(text)) if titles._YEAR_AT_END.match(text, i)]
    assert len(old) == run + 1  # every blank of the run began a match (each reading the run)
    assert new == [4]  # its first blank only
    assert title_names(text) == ([("Film", "Film")], 1999)


def test_the_matches_are_the_old_ones() -> None:
    pieces = [" ", "\t", "(", ")", "1999", "2001", "-", "\u2013", "a", ""]
    for n in range(1, 6):
        for parts in itertools.product(pieces, repeat=n):
            text = "".join(parts)
            old, new = OLD.search(text), titles._YEAR_AT_END.search(text)
            assert (old and (old.span(), old.groups())) == (new and (new.span(), new.groups())), \
                text
            assert OLD.sub("", text) == titles._YEAR_AT_END.sub("", text), text
