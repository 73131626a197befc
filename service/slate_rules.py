"""The slate rules a request's JSON Schema cannot state, refused as invalid parameters (422).

A slate naming a film twice, or one whose every budget is 0, is a bad request body, not a
clash with the store's state: ``POST /campaigns/plan`` answers 422 with each place at fault in
``errors`` (``["body", "films", 1, "film_id"]``), as the CLI exits 2 for the same slate file
(``recommender.campaigns.slate.check_slate``, whose words these are).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.errors import Invalid


def refuse_bad_slate(films: Sequence[Any]) -> None:
    """``Invalid`` (422) for ``films`` (each with ``film_id`` and ``budget``) naming a film
    twice, at each later occurrence's ``film_id``, or whose budgets are all 0, at each
    ``budget``; nothing for a slate the planner can take."""
    first: dict[str, int] = {}
    again: list[tuple[int, str]] = []
    for i, f in enumerate(films):  # a slate is at most MAX_SLATE_FILMS films
        if f.film_id in first:
            again.append((i, f.film_id))
        else:
            first[f.film_id] = i
    if again:
        i, film = again[0]
        raise Invalid(f"film_id {film!r} appears twice in the slate (films[{first[film]}] and "
                      f"films[{i}]): name each film once", ("body", "films", i, "film_id"),
                      "duplicate_film", [("body", "films", j, "film_id") for j, _ in again[1:]])
    if films and all(f.budget == 0 for f in films):
        raise Invalid("every film's budget is 0 contacts: nothing to plan (give a film a "
                      "budget)", ("body", "films", 0, "budget"), "nothing_to_plan",
                      [("body", "films", j, "budget") for j in range(1, len(films))])
