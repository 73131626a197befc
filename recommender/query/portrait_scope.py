"""Which ranks of a film's ranking a portrait pictures: a tier, adjacent tiers or all."""

from __future__ import annotations

from typing import Any

from recommender.errors import InvalidParameterError
from recommender.io.text import plural
from recommender.model.config import DEFAULT_TIERS
from recommender.query.pages import Tiers, resolve_tier, tier_bounds


def portrait_scope(tier: str | None, n_cand: int, tiers: Tiers = DEFAULT_TIERS
                   ) -> dict[str, Any]:
    """Which ranks a portrait describes: ``tier`` is one tier name, several joined by ``,``
    or ``+`` (adjacent), ``all`` (the whole ranking) or None (the default: the first two
    tiers, core + extended). ``{"tiers", "rank_range", "users", "default", "note"}``."""
    names = [name for name, _ in tiers]
    bounds = {name: (start, end) for name, start, end in tier_bounds(n_cand, tiers)}
    if tier is not None and tier.strip().casefold() == "all":
        chosen, lo, hi = ["all"], 1, n_cand
    else:
        parts = [] if tier is None else [t.strip() for t in tier.replace("+", ",").split(",")]
        if "" in parts:  # "core," is a slip, not "core"
            raise InvalidParameterError(f"tier {tier!r} has an empty name; give a tier, "
                                        "adjacent tiers joined by ',' or 'all'; the tiers "
                                        f"are: {', '.join(names)}")
        if len(parts) > 1 and "all" in (t.casefold() for t in parts):  # all covers them
            raise InvalidParameterError(f"tier {tier!r}: 'all' (the whole ranking) is given "
                                        "alone, not with tier names; the tiers are: "
                                        f"{', '.join(names)}")
        folded = {n.casefold() for n in names}
        if any(len(t.split()) > 1 and {w.casefold() for w in t.split()} <= folded
               for t in parts):  # "core+extended" in a URL's query string reads "core extended"
            raise InvalidParameterError(f"tier {tier!r}: join tier names with ',' (a '+' in a "
                                        "URL's query string reads as a space: write ',' or "
                                        f"%2B); the tiers are: {', '.join(names)}")
        try:
            given = names[:2] if tier is None else [resolve_tier(t, tiers) for t in parts]
        except InvalidParameterError as e:  # it listed the ring names alone, as if no more
            raise InvalidParameterError(f"{e}; a summary also takes adjacent tiers joined by "
                                        "',' (core,extended) or 'all' (the whole "
                                        "ranking)") from None
        chosen = [n for n in names if n in given]
        pos = [names.index(n) for n in chosen]
        if pos != list(range(pos[0], pos[-1] + 1)):
            raise InvalidParameterError(f"portrait tiers must be adjacent rings, got "
                                        f"{'+'.join(chosen)}; the tiers are: {', '.join(names)}",
                                        param="tier")
        lo, hi = bounds[chosen[0]][0], bounds[chosen[-1]][1]
    users = max(0, hi - lo + 1)
    what = "the whole ranking" if chosen == ["all"] else " + ".join(chosen) + (
        " tiers" if len(chosen) > 1 else " tier")
    note = (f"portrait of {what} ({plural(users, 'user', sep=',')}"
            + (f", ranks {lo}-{hi}" if users else "") + ")"
            + ("; the default, ?tier= (--tier) chooses a ring or all" if tier is None else ""))
    return {"tiers": chosen, "rank_range": [lo, hi] if users else None, "users": users,
            "default": tier is None, "note": note}
