"""A summary's rows from a ranking: each tier's row, the segment splits and the portrait.

One code path for a known film's summary (``audience.audience_summary``) and a new film's
(``distribution.cold_summary``): the rings come from a ``SummaryRanking`` whatever scored it,
and the minimum cell rule hides the same cells by the same functions (``portrait_of``,
``hidden_splits``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.model.model import Model
from recommender.model.probability_digits import round_probability
from recommender.query.catalog import segment_split
from recommender.query.pages import Tiers
from recommender.query.portrait import portrait_of
from recommender.query.portrait_scope import portrait_scope
from recommender.query.segment_cells import hidden_splits
from recommender.query.summary_rings import SummaryRanking


def tier_row(ranking: SummaryRanking, t: int, share: float, conv: float | None,
             base: float | None, span: list[float] | None = None,
             span_lift: list[float] | None = None) -> dict[str, Any]:
    """The summary's row of tier ``t`` of ``ranking`` (its ``share`` in percent): size, rank
    and score range, ``conv`` its expected conversion over ``base`` (None: none given) with
    their intervals; ``segments`` left empty, for ``summary_cells``."""
    name, start, end = ranking.bounds[t]
    size = int(len(ranking.order[start - 1:end]))
    part = ranking.exact[start - 1:end]
    return {
        "tier": name,
        "share_pct": share,
        "size": size,
        "rank_range": [int(start), int(end)] if size else None,
        "score_range": ([round(float(part.min()), 6), round(float(part.max()), 6)]
                        if size else None),
        "expected_conversion": None if conv is None else round_probability(conv),
        "expected_conversion_interval": None if conv is None else span,
        "conversion_lift": None if conv is None or not base else round(conv / base, 3),
        "conversion_lift_interval": None if conv is None or not base else span_lift,
        "segments": [],  # filled by summary_cells, with small cells suppressed
    }


def summary_cells(model: Model, ranking: SummaryRanking, other: NDArray[np.int64] | None,
                  tier_rows: list[dict[str, Any]], tiers: Tiers, tier: str | None,
                  min_cell: int, exclude_seen: bool = True) -> dict[str, Any]:
    """The segment splits (each row of ``tier_rows`` gets its own) and the portrait of the
    ranks ``tier`` names (``portrait_scope``), hidden by the minimum cell rule: ``segments``,
    ``portrait``, ``portrait_scope``, ``min_cell`` and ``suppressed_cells``. ``other``: each
    user's ring with the film's viewers ranked the other way (hidden together with these),
    None for a ranking with no viewers (a new film's: both ways are this one)."""
    rings, order, bounds = ranking.rings, ranking.order, ranking.bounds
    scope = portrait_scope(tier, ranking.n_cand, tiers)
    scopes = [tuple(range(a, b + 1)) for a in range(len(bounds)) for b in range(a, len(bounds))]
    scopes.append(tuple(range(len(bounds) + 1)))
    names = [name for name, _, _ in bounds]
    chosen = (len(scopes) - 1 if scope["tiers"] == ["all"] else
              scopes.index(tuple(names.index(t) for t in scope["tiers"])))
    portrait, suppressed = portrait_of(model, rings, scopes, chosen, min_cell, other,
                                       other_first=not exclude_seen)  # one order, one answer
    if not scope["users"]:  # nobody pictured: no share or lift to give (each read 0)
        portrait, suppressed = {name: [] for name in portrait}, 0
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64), minlength=model.segments.n)
    splits = [segment_split(model, order[r["rank_range"][0] - 1:r["rank_range"][1]]
                            if r["rank_range"] else order[:0]) for r in tier_rows]
    splits.append(segment_split(model, order))
    # the tiers' splits and their sum (the overall split), hidden with the other version's
    # (compared, they gave small groups) and the viewers by segment, as one system
    hidden = hidden_splits(model, rings, rings if other is None else other, len(bounds),
                           exclude_seen, min_cell)
    # an empty ring's split has no rows: each share and lift of nobody read 0
    held = np.asarray([r["size"] for r in tier_rows] + [len(order)]) > 0
    suppressed += int(hidden[:, held].sum())
    shown = [[{**r, "size": int(sizes[r["segment"]])} for r in rows
              if not hidden[r["segment"], j]] if held[j] else []
             for j, rows in enumerate(splits)]
    for row, rows in zip(tier_rows, shown, strict=False):
        row["segments"] = rows
    return {"segments": shown[-1], "portrait": portrait, "portrait_scope": scope,
            "min_cell": min_cell, "suppressed_cells": suppressed}
