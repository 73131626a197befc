"""A filtered page of one ring that lists nobody says so of the ring: the filter may match
candidates outside it (a cold-start page says it in ``empty``, as a film's audience does).

Oracle: the unfiltered page's own tiers and segments, which show a segment missing from a ring.
"""

from __future__ import annotations

import numpy as np
import pytest

from recommender.model.config import TrainConfig
from recommender.model.training import train
from recommender.query.audience import cold_start_audience
from tests.service_fixtures import build_interactions

CONFIG = TrainConfig(factors=6, iterations=4, segments=2, holdout=0.0, tune=False, seed=2)


def test_a_filter_that_matches_nobody_in_a_ring_does_not_say_it_matches_no_candidate() -> None:
    """A cold-start page of one ring and one segment with nobody of that segment in the ring:
    its header said "no candidate matches the filter" while the segment's users were there,
    outside the ring; then "no candidate of the core ring matches the filter", naming neither
    the segment nor the count outside, and ``empty`` null: now a film's audience's words."""
    model = train(build_interactions(n_users=80, n_films=30, per_user=8, seed=3), CONFIG,
                  progress=False)
    film = str(model.films.ids[0])
    labels = np.asarray(model.segments.labels)
    full = cold_start_audience(model, [film], k=80)
    for tier in ("core", "extended"):
        ring = {int(labels[u]) for u, t in zip(full.user_idx, full.tier, strict=True)
                if t == tier}
        for segment in sorted(set(labels.tolist()) - ring):
            page = cold_start_audience(model, [film], k=5, segment=segment, tier=tier)
            outside = int((labels == segment).sum())  # nobody has watched a new film
            assert page.total == 0 and page.empty is not None
            assert page.empty.startswith(f"the filter (segment {segment}")
            assert page.empty.endswith(
                f"matches nobody in the {tier} ring ({outside} candidate"
                f"{'s' if outside > 1 else ''} outside it {'do' if outside > 1 else 'does'})")
            assert page.shown_text(True) == page.empty  # the header says it in those words
            return
    pytest.fail("no segment is missing from a ring: the log no longer shows the case")
