"""Both versions of a summary (viewers ranked out, and in) hide their portraits as one
solution of one system, whichever version is asked.

Before, ``portrait_of`` set up the joint system with the asked version's scopes first: the
order broke ties, so the version ranked out hid some cells on the assumption that the
other version hid cells its own answer showed (a demo film's gender counts, copied below,
by ring of each ranking; 29 of 160 attribute tables on 40 demo films). What the two answers
publish together was then no solution the rule had checked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from recommender.io.dataset import UserTable
from recommender.query import portrait

SCOPES = [(0,), (0, 1), (0, 1, 2), (1,), (1, 2), (2,), (0, 1, 2, 3)]  # audience_summary's
# (ring with viewers ranked out, ring with them ranked in): 0-2 the tiers, 3 the other
# candidates, 4 the viewers (ranked out only)
PAIRS = [(0, 2), (1, 2), (1, 3), (2, 3), (3, 3), (4, 0), (4, 1), (4, 2), (4, 3)]
COUNTS = {"F": [12, 4, 24, 116, 743, 13, 56, 194, 238],
          "M": [7, 4, 41, 160, 720, 16, 61, 218, 293],
          "X": [0, 0, 2, 6, 40, 1, 3, 11, 17]}


def test_both_versions_answer_with_one_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    values, out, into = [], [], []
    for value, row in COUNTS.items():
        for (a, b), n in zip(PAIRS, row, strict=True):
            values += [value] * n
            out += [a] * n
            into += [b] * n
    model = SimpleNamespace(user_table=UserTable(np.arange(len(values)).astype(str),
                                                 {"gender": np.array(values)}))
    rings = {True: np.array(out, np.int64), False: np.array(into, np.int64)}
    solved: list[np.ndarray] = []
    real = portrait.scope_suppression

    def spy(*args: Any, **kwargs: Any) -> np.ndarray:
        solved.append(real(*args, **kwargs))
        return solved[-1]

    monkeypatch.setattr(portrait, "scope_suppression", spy)
    hidden = {ex: np.zeros((len(SCOPES), len(COUNTS)), bool) for ex in (True, False)}
    for ex in (True, False):  # every portrait, as audience_summary asks for it
        for chosen in range(len(SCOPES)):
            body, _ = portrait.portrait_of(model, rings[ex], SCOPES, chosen, 10, rings[not ex],
                                           other_first=not ex)
            shown = {r["value"] for r in body["gender"]}
            hidden[ex][chosen] = [v not in shown for v in COUNTS]
    n = len(SCOPES)  # each solution checked is what both versions publish (either order)
    for h in solved:
        assert ((h[:n] == hidden[True]).all() and (h[n:] == hidden[False]).all()) or (
            (h[:n] == hidden[False]).all() and (h[n:] == hidden[True]).all())
