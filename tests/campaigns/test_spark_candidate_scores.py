"""The Spark planner's executors score candidates as the audience settles them
(``spark_kernels.candidate_scores``), a block of users at a time, checked without a Spark
session against ``ranking.exact_dots`` user by user (the oracle), viewers left out."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.campaigns import spark_kernels as kern
from recommender.kernels.ranking import exact_dots


@pytest.mark.parametrize("cells", [1, 7, 1 << 21])
def test_candidate_scores_are_exact_dots_in_any_block(cells: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kern, "CELLS_A_BLOCK", cells)
    rng = np.random.default_rng(3)
    uf = rng.normal(size=(40, 16)).astype(np.float32)
    # users whose float64 sums depend on the order: 4 and -4 with a term of 2**-52 that
    # survives only when added after they cancel, beside a float32 midpoint
    for i in range(0, 40, 3):
        uf[i] = 0.0
        uf[i, rng.permutation(16)[:5]] = [4.0, -4.0, 2.0**-52, 1 + 2.0**-11, 2.0**-24]
    ff = np.concatenate([np.ones((1, 16)), rng.normal(size=(2, 16))]).astype(np.float32)
    seen_rows = np.array([0, 5, 5, 39])  # task rows and the slate positions they watched
    seen_pos = np.array([0, 1, 2, 0])
    uidx = np.arange(100, 140)
    norm = float(np.linalg.norm(uf.astype(np.float64), axis=1).max())
    f, u, s = kern.candidate_scores(uidx, uf.astype(np.float64), seen_rows, seen_pos,
                                    ff.astype(np.float64), norm)
    watched = set(zip(seen_pos.tolist(), (seen_rows + 100).tolist(), strict=True))
    want = [(i, 100 + r) for i in range(3) for r in range(40) if (i, 100 + r) not in watched]
    assert list(zip(f.tolist(), u.tolist(), strict=True)) == want
    assert s.dtype == np.float32
    for i in range(3):
        mine = f == i
        assert np.array_equal(s[mine], exact_dots(uf, u[mine] - 100, ff[i]))
