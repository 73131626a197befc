"""The pairs of rings a summary's users meet in (one ring per ranking) are counted, not
sorted: ``np.unique`` of every user's pair code was 0.44 of the 0.58 s of CPU that hiding
a summary's segment splits took beside 2M users (``segment_cells.hidden_splits``), once
per version asked; ``portrait_of`` set up its joint system alike."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from recommender.io.dataset import UserTable
from recommender.query import portrait, segment_cells
from recommender.query.summary_rings import met_rings


def test_met_rings_is_np_unique_to_the_last_bit() -> None:
    rng = np.random.default_rng(5)
    for n, width in ((0, 5), (1, 5), (40, 3), (5000, 5), (5000, 6)):
        first = rng.integers(0, width, n).astype(np.int64)
        second = rng.integers(0, width - 1, n).astype(np.int64)
        met, joint = met_rings(first, second, width)
        want, inverse = np.unique(first * width + second, return_inverse=True)
        assert met.dtype == want.dtype and met.tobytes() == want.tobytes()
        assert joint.dtype == np.int64 and (joint == inverse.ravel()).all()
        assert joint.shape == (n,)


def rankings(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segment labels and each user's ring with viewers ranked out and in (3 tiers, the
    other candidates, the viewers ranked out)."""
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 6, n).astype(np.int64)
    out = rng.choice(5, n, p=[0.05, 0.1, 0.25, 0.5, 0.1]).astype(np.int64)
    into = np.where(out == 4, rng.integers(0, 4, n), np.minimum(out + rng.integers(0, 2, n), 3))
    return labels, out, into.astype(np.int64)


def users_sorted(monkeypatch: pytest.MonkeyPatch, n_users: int) -> list[int]:
    """Spy on ``np.unique``: the sizes of the integer arrays of one entry per user it sorts."""
    sizes: list[int] = []
    real = np.unique

    def spy(a: Any, *args: Any, **kwargs: Any) -> Any:
        arr = np.asarray(a)
        if arr.dtype.kind in "iu" and arr.size == n_users:
            sizes.append(arr.size)
        return real(a, *args, **kwargs)

    monkeypatch.setattr(np, "unique", spy)
    return sizes


def test_hiding_segment_splits_sorts_no_user(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 4000
    labels, out, into = rankings(n)
    model = SimpleNamespace(segments=SimpleNamespace(labels=labels, n=6, info=[{}] * 6))
    want = {ex: segment_cells.hidden_splits(model, *((out, into) if ex else (into, out)), 3,
                                            ex, 10) for ex in (True, False)}
    # the film detail's viewers by segment sort the labels (a lift table): not this
    monkeypatch.setattr(segment_cells, "viewer_segments", lambda *a: [])
    sorted_ = users_sorted(monkeypatch, n)
    segment_cells.hidden_splits(model, out, into, 3, True, 10)
    assert sorted_ == []
    monkeypatch.undo()
    for ex in (True, False):  # the same cells as before
        assert (segment_cells.hidden_splits(model, *((out, into) if ex else (into, out)), 3,
                                            ex, 10) == want[ex]).all()


def test_a_portrait_of_both_rankings_sorts_no_ring_pair(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    n = 4000
    _, out, into = rankings(n)
    gender = np.random.default_rng(7).choice(np.array(["F", "M", "X"]), n, p=[.5, .45, .05])
    model = SimpleNamespace(user_table=UserTable(np.arange(n).astype(str), {"gender": gender}))
    scopes = [(0,), (0, 1), (0, 1, 2), (1,), (1, 2), (2,), (0, 1, 2, 3)]
    sorted_ = users_sorted(monkeypatch, n)
    body, _ = portrait.portrait_of(model, out, scopes, 1, 10, into)
    assert sorted_ == [] and {r["value"] for r in body["gender"]} <= {"F", "M", "X"}
