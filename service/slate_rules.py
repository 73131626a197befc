"""The slate rules the planner checks before planning: every budget 0, a film named twice.

A slate whose every budget is 0 is a bad request body, not a clash with the store's state:
``POST /campaigns/plan`` answers 422 with each budget in ``errors`` (``["body", "films", 0,
"budget"]``), and its schema states the rule. A film named twice stays a 409: JSON Schema
cannot say "each film_id once", so a body valid by the schema (Schemathesis' valid bodies,
tests/service/test_schema_contract.py) must not be a 422. The CLI exits 2 for both
(``recommender.campaigns.slate.check_slate``, whose words these are).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException

from service.errors import Invalid


def refuse_bad_slate(films: Sequence[Any]) -> None:
    """A 409 for ``films`` (each with ``film_id`` and ``budget``) naming a film twice, an
    ``Invalid`` (422) at each ``budget`` for budgets all 0; nothing for a slate the planner
    can take."""
    first: dict[str, int] = {}
    again: list[tuple[int, str]] = []
    for i, f in enumerate(films):  # a slate is at most MAX_SLATE_FILMS films
        if f.film_id in first:
            again.append((i, f.film_id))
        else:
            first[f.film_id] = i
    if again:  # 409 (a rule the schema cannot state: Schemathesis' valid bodies hold it)
        i, film = again[0]
        raise HTTPException(409, f"film_id {film!r} appears twice in the slate "
                                 f"(films[{first[film]}] and films[{i}]): name each film once")
    if films and all(f.budget == 0 for f in films):
        raise Invalid("every film's budget is 0 contacts: nothing to plan (give a film a "
                      "budget)", ("body", "films", 0, "budget"), "nothing_to_plan",
                      [("body", "films", j, "budget") for j in range(1, len(films))])
