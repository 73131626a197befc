"""A new user's segment (the live overlay) is the nearest centre over the taste columns, as
training clusters them: LMF's and BPR's bias columns (a constant 1, a user bias) left out."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.model.model import Segments
from recommender.serving.overlay import Overlay
from tests.service_fixtures import family_model


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_a_new_user_with_a_trained_users_vector_joins_that_users_segment(family: str) -> None:
    model = family_model(family, segments=4)
    uf = np.asarray(model.user_factors)
    labels = np.asarray(model.segments.labels)
    # every trained user again, as a new user with the very same vector
    seg: Segments = Overlay(model)._segments(np.r_[uf, uf])
    clones = np.asarray(seg.labels)[len(labels):]
    # with the bias columns in the cosine, LMF put 2 of its 80 users' clones elsewhere
    assert np.array_equal(clones, labels)


def test_segment_sizes_agree_with_the_summarys_once_a_new_user_joins() -> None:
    """A new user from campaign events joins a segment: GET /segments (``segments_table``)
    gave the sizes recorded at training while a summary's rows and the film detail's
    base_share counted the users served, so the two sizes told which segment the one new
    user joined (the demo with one new user: 408 and 409)."""
    from recommender.query.audience import audience_summary
    from recommender.query.catalog import segments_table

    model = family_model("als", segments=4)
    films = np.asarray(model.films.ids).astype(str)
    overlay = Overlay(model)
    overlay.apply(np.array(["newcomer"] * 3), films[:3], np.ones(3), 1)
    served = overlay.model()
    assert served.n_users == model.n_users + 1
    table = {r["segment"]: r for r in segments_table(served)}
    sizes = np.bincount(np.asarray(served.segments.labels, np.int64), minlength=len(table))
    assert [table[s]["size"] for s in sorted(table)] == sizes.tolist()
    assert sum(r["size"] for r in table.values()) == served.n_users
    summary = audience_summary(served, str(films[5]), min_cell=1)
    for row in summary["segments"]:
        assert row["size"] == table[row["segment"]]["size"]
        assert row["base_share"] == table[row["segment"]]["share"]
