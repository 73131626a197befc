"""A film audience's demographic portrait: the ranks it pictures and its cells' privacy rule.

The minimum cell rule is ``recommender.query.privacy``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.columns import AGE_BAND, GENDER, OCCUPATION, REGION
from recommender.io.text import plural
from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.model.segments import lift_table
from recommender.query.pages import Tiers, resolve_tier, tier_bounds
from recommender.query.privacy import few

PORTRAIT_ATTRIBUTES = (AGE_BAND, GENDER, OCCUPATION, REGION)


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
        given = names[:2] if tier is None else [resolve_tier(t, tiers) for t in parts]
        chosen = [n for n in names if n in given]
        pos = [names.index(n) for n in chosen]
        if pos != list(range(pos[0], pos[-1] + 1)):
            raise InvalidParameterError(f"portrait tiers must be adjacent rings, got "
                                        f"{'+'.join(chosen)}; the tiers are: {', '.join(names)}")
        lo, hi = bounds[chosen[0]][0], bounds[chosen[-1]][1]
    users = max(0, hi - lo + 1)
    what = "the whole ranking" if chosen == ["all"] else " + ".join(chosen) + (
        " tiers" if len(chosen) > 1 else " tier")
    note = (f"portrait of {what} ({plural(users, 'user', sep=',')}"
            + (f", ranks {lo}-{hi}" if users else "") + ")"
            + ("; the default, ?tier= (--tier) chooses a ring or all" if tier is None else ""))
    return {"tiers": chosen, "rank_range": [lo, hi] if users else None, "users": users,
            "default": tier is None, "note": note}


def suppress_small(rows: list[dict[str, Any]], min_cell: int,
                   base: Mapping[str, int] | None = None) -> tuple[list[dict[str, Any]], int]:
    """``rows`` (lift-table cells with a ``count``) without those holding some users but
    fewer than ``min_cell`` (``privacy.few``; an empty cell names nobody and stays),
    and how many were left out. When that leaves out one cell only, the smallest other
    non-empty cell goes too: the group's total is published, so a single hidden cell would
    be that total less the shown ones. When the group itself holds fewer than ``min_cell``
    users, every cell goes, empty ones included: with one value shared by all, the others'
    zeros would give it away (the group's size is published).

    ``base`` (value -> users of the whole base with it) says what each row's ``base_share``
    publishes: a row's base count less its count is the users with that value *outside* the
    group (with the whole ranking pictured, the film's viewers), so a row whose complement
    holds some users but fewer than ``min_cell`` is left out too, and every row goes when the
    complement as a whole is that small."""
    counts = np.array([r["count"] for r in rows], np.int64)
    rest = (None if base is None else
            np.array([int(base.get(r["value"], r["count"])) for r in rows], np.int64) - counts)
    if 0 < int(counts.sum()) < min_cell or (rest is not None and 0 < int(rest.sum()) < min_cell):
        return [], len(rows)
    small = few(counts, min_cell)
    if rest is not None:
        small |= few(rest, min_cell)
    others = np.flatnonzero(~small & (counts > 0))
    if not len(others) and rest is not None:  # only empty rows left: one with users outside
        others = np.flatnonzero(~small & (rest > 0))
    if int(small.sum()) == 1 and len(others):
        small[others[np.argmin(counts[others])]] = True
    return [r for r, s in zip(rows, small.tolist(), strict=True) if not s], int(small.sum())


def portrait_of(model: Model, pictured: NDArray[np.integer], min_cell: int
                ) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The portrait of the users ``pictured`` (indices): each portrait attribute's lift
    table against all users under ``suppress_small``, and how many cells it left out."""
    portrait: dict[str, list[dict[str, Any]]] = {}
    suppressed = 0
    for name, values in sorted(model.user_table.attributes.items()):
        if name in PORTRAIT_ATTRIBUTES:
            # one coding of the values gives both the table and each value's users in all
            uniq, inverse = np.unique(np.asarray(values), return_inverse=True)
            sizes_of = np.bincount(inverse, minlength=len(uniq))
            portrait[name], n = suppress_small(
                lift_table(values, pictured, coded=(uniq, inverse)), min_cell,
                base={str(v): int(c) for v, c in zip(uniq.tolist(), sizes_of, strict=True)})
            suppressed += n
    return portrait, suppressed
