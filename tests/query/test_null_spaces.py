"""The portrait's batched null spaces give the one-by-one answers to the last bit, and its
cache of suppressions hands out copies."""

from __future__ import annotations

import numpy as np

from recommender.query.null_spaces import (
    free_bases,
    free_basis,
    null_space,
    null_space_each,
)


def test_batched_null_spaces_are_the_single_ones_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    mats = [rng.normal(size=(r, 8)) for r in (3, 5, 3, 8, 0, 5)]
    mats.append(np.outer(rng.normal(size=8), rng.normal(size=8)))  # rank 1
    mats.append(np.zeros((4, 8)))
    for one, each in zip(map(null_space, mats), null_space_each(mats), strict=True):
        assert one.shape == each.shape and one.tobytes() == each.tobytes()


def test_batched_free_bases_are_the_single_ones_bit_for_bit() -> None:
    rng = np.random.default_rng(4)
    owns = [null_space(rng.normal(size=(r, 8))) for r in (2, 4, 2, 7, 8)]
    others = []
    for k in (3, 5, 3, 1, 6):
        n = null_space(rng.normal(size=(8 - k, 8)))
        others.append(n @ n.T)
    tied = null_space(null_space(rng.normal(size=(6, 8))).T)
    for t in (None, tied):
        pairs = list(zip(owns, others, strict=True))
        got = free_bases(pairs + pairs[:2], t, {})
        for (own, other), g in zip(pairs + pairs[:2], got, strict=True):
            want = free_basis(own, other, t)
            assert want.shape == g.shape and want.tobytes() == g.tobytes()


def test_a_suppression_kept_is_handed_out_as_a_copy() -> None:
    from recommender.query.portrait import scope_suppression

    table = np.array([[8, 7, 6, 12, 5], [6, 0, 0, 14, 3]], np.int64)
    scopes = [(0,), (0, 1), (0, 1, 2), (1,), (1, 2), (2,), (0, 1, 2, 3)]
    first = scope_suppression(table, scopes, 10, keep=(6, 1))
    want = first.copy()
    first[:] = ~first  # a caller's own array
    again = scope_suppression(table, scopes, 10, keep=(6, 1))
    assert again.flags.writeable and (again == want).all()
    assert (scope_suppression(table + 0, list(scopes), 10, (6, 1)) == want).all()
