"""Why a plan has nobody to plan: the causes that hold, each with its count.

A slate's films with budget but no candidate left (``controls.refuse_nobody``) were refused
with every possible cause listed ("every user watched them or is opted out, or 0 pairs are
other plans' contacts or controls, or 3,000 users are at the cap across the store's plans")
when every user was at the cap: a person read a list of guesses, one with a count of 0. The
causes are counted (the plan's summary, ``blocked_pairs``'s ``held_out_elsewhere``, the
model's viewers of the films) and only those that hold are said.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.campaigns.slate import STORE_SCOPE, SlateFilm
from recommender.model.model import Model


def _and(parts: list[str]) -> str:
    """``parts`` joined as a sentence lists them ("a, b and c")."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def viewers(model: Model, slate: list[SlateFilm]) -> int:
    """Distinct users of ``model`` who watched a film of ``slate`` that has budget."""
    films = [f.film_id for f in slate if f.budget > 0]
    idx = np.asarray(model.films.to_index(films, strict=False), np.int64) if films else \
        np.zeros(0, np.int64)
    idx = idx[idx >= 0]
    return int(np.unique(model.seen_by_film[idx].indices).size) if idx.size else 0


def nobody_causes(summary: dict[str, Any], slate: list[SlateFilm],
                  info: dict[str, Any] | None = None, model: Model | None = None) -> str:
    """The causes of a plan of nobody that hold, with their counts, as one clause: users at
    the cap across the store's plans (``summary``'s ``cap_scope.users_excluded``; "all" when
    every model user is), users who watched the slate's films (``model``'s, when given),
    users opted out (the opt-outs the model knows: ``parameters``) and (film, user) pairs
    other plans select (``info``: ``blocked_pairs``'s). A count of 0 is not said; with none
    to say (no model given), the clause names what leaves nobody."""
    users = model.n_users if model is not None else None
    at_cap = int((summary.get("cap_scope") or {}).get("users_excluded", 0) or 0)
    params = summary.get("parameters") or {}
    opted = int(params.get("excluded_users", 0) or 0) - \
        int(params.get("excluded_unknown_users", 0) or 0)
    watched = viewers(model, slate) if model is not None else 0
    pairs = int((info or {}).get("pairs", 0) or 0)
    several = sum(1 for f in slate if f.budget > 0) > 1
    causes = [
        *([f"{'all ' if at_cap == users else ''}{at_cap:,} users are at the cap across the "
           f"store's plans (cap scope {STORE_SCOPE!r})"] if at_cap else []),
        *([f"{watched:,} users watched {'one of them or more' if several else 'it'}"]
          if watched else []),
        *([f"{opted:,} users are opted out"] if opted > 0 else []),
        *([f"{pairs:,} (film, user) pairs are other plans' contacts or controls"]
          if pairs else [])]
    if not causes:  # nothing counted (no model to count the viewers with)
        return "every user watched them or is opted out"
    of = f"of the model's {users:,} users, " if users is not None else ""
    return of + _and(causes)
