"""Which cells of a summary's segment splits to hide: both rankings' splits as one system.

A summary exists with the film's viewers ranked out and ranked in (``--include-seen``); each
publishes every tier's segment split, their sum, the tiers' sizes and (film details) the
viewers by segment. Hidden one version at a time, a reader who set both side by side still
worked out small groups: on the demo, a segment shown 0 in every ring with viewers ranked in,
and a core user ranking at most the core's size plus the viewers with them, left segment 7's
9 users in one core (5 groups of 2-9 users on 40 films, by linear programmes with counts not
negative). Here every user's pair of rings (one per ranking) is a ring of one table, each
tier of each ranking a scope of it, and ``portrait.scope_suppression`` hides them together,
as a portrait's scopes are hidden with the other ranking's.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from recommender.model.model import Model
from recommender.query.catalog import viewer_segments
from recommender.query.portrait import scope_suppression
from recommender.query.privacy import (
    few,
    few_rest,
    known_zeros,
    outside_pairs,
    table_suppression,
)
from recommender.query.summary_rings import met_rings


def hidden_splits(model: Model, rings: NDArray[np.int64], other: NDArray[np.int64],
                  n_tiers: int, exclude_seen: bool, min_cell: int) -> NDArray[np.bool_]:
    """The cells (segments x (tiers, then their sum)) of the summary's segment splits to
    hide. ``rings``: each user's ring in this summary's ranking, ``other``: in the ranking
    with viewers the other way (``summary_rings.SummaryRanking.rings``: the tiers, then the
    other candidates, then the viewers ranked out). The same cells whichever version asks:
    the system is always set up viewers-out first, so the two answers are one solution."""
    out, into = (rings, other) if exclude_seen else (other, rings)
    width = n_tiers + 2
    labels = np.asarray(model.segments.labels, np.int64)
    n_segments = int(model.segments.n)
    met, joint = met_rings(out, into, width)
    table = np.bincount(labels * len(met) + joint, minlength=n_segments * len(met)
                        ).reshape(n_segments, len(met)).astype(np.int64)
    by = (met // width, met % width)  # each met pair's ring in either ranking
    scopes: list[tuple[int, ...]] = []
    for own in by:  # each tier's split, then their sum (the overall split)
        scopes += [tuple(np.flatnonzero(own == t).tolist()) for t in range(n_tiers)]
        scopes.append(tuple(np.flatnonzero(own < n_tiers).tolist()))
    scopes.append(tuple(np.flatnonzero(by[0] == width - 1).tolist()))  # the viewers
    # film details show the viewers by segment (hidden by their own rule): decided there
    shown = np.zeros(n_segments, bool)
    viewers = np.flatnonzero(out == width - 1)
    shown[[r["segment"] for r in viewer_segments(model, viewers, min_cell)]] = True
    # each version's table alone first (``one_version``): then what is left to the joint
    # system is what crossing the versions gives away (fewer cells hidden, fewer steps)
    sizes = np.bincount(labels, minlength=n_segments)
    counts = [np.stack([table[:, own == t].sum(axis=1) for t in range(n_tiers)], axis=1)
              for own in by]
    viewers_shown = np.where(shown, table[:, by[0] == width - 1].sum(axis=1), -1)
    alone = np.vstack([one_version(counts[0], sizes, min_cell, viewers_shown).T,
                       one_version(counts[1], sizes, min_cell).T, ~shown[None]])
    decided = np.ones((len(scopes), n_segments), bool)
    decided[:-1] = alone[:-1]  # the shown cells are still the joint system's to hide
    published = np.array([own == r for own in by for r in range(width)])
    # no segment's users in any union of one ranking's rings may be worked out when some
    # but fewer than min_cell (outside a tier, outside two tiers, outside a tier and the
    # viewers: a segment's size less the cells shown)
    guard = [m for own in by for k in range(1, width)
             for subset in itertools.combinations(range(width), k)
             if (m := np.isin(own, subset)).any() and not m.all()]
    guard = list(np.unique(np.array(guard, bool), axis=0)) if guard else []
    hide = scope_suppression(table, scopes, min_cell, (), guard, published,
                             (decided, alone))
    first = 0 if exclude_seen else n_tiers + 1
    version = 0 if exclude_seen else 1
    mine = hide[first:first + n_tiers + 1].T.copy()
    # a hidden cell this version's own numbers make 0 (its row's sum or its tier's size less
    # the shown cells) is no hidden count: shown as the 0 anyone works out
    own = np.column_stack([counts[version], counts[version].sum(axis=1)])
    return mine & ~known_zeros(own, mine)


def one_version(counts: NDArray[np.int64], sizes: NDArray[np.int64], min_cell: int,
                viewers: NDArray[np.int64] | None = None) -> NDArray[np.bool_]:
    """The cells (segments x (tiers, then their sum)) one version's table hides alone
    (``privacy.table_suppression``): the small ones, those whose segment's size less them is
    small (less the viewers shown too: ``viewers``, -1 where not shown), those leaving a
    small group outside two tiers, and then whatever the table's sums would give away."""
    counts = np.column_stack([counts, counts.sum(axis=1)])
    also = few(sizes[:, None] - counts, min_cell)
    lefts = [sizes]
    if viewers is not None:
        seen = viewers >= 0
        also[seen] |= few((sizes - viewers)[seen, None] - counts[seen], min_cell)
        lefts.append(np.where(seen, sizes - viewers, sizes))
    also |= outside_pairs(counts, lefts, min_cell)
    hidden = table_suppression(counts, min_cell, also=also)
    while (rest := few_rest(counts, hidden, min_cell)).any():  # nor the sum of hidden cells
        also[rest, -1] = True
        hidden = table_suppression(counts, min_cell, also=also)
    return hidden
