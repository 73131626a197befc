"""A filtered page of one ring that lists nobody says so of the ring: the filter may match
candidates outside it (a cold-start or lookalike page has no ``empty``; its header says why).

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
    outside the ring (lookalike and cold-start pages carry no ``empty``: the header says it)."""
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
            assert page.total == 0 and page.empty is None
            assert page.shown_text(True) == f"no candidate of the {tier} ring matches the filter"
            return
    pytest.fail("no segment is missing from a ring: the log no longer shows the case")
