"""A recommendation's reasons are worked out block by block of recommended films: the
(recommended x watched) cosine arrays are bounded, and the answer is the one-block answer.

A long list for a heavy viewer (``k`` 10,000 beside 2,698 watched films, ml-latest-small user
414) held about 240 MB of temporaries at once per request, growing with ``k`` x watched.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.model.model import Model
from recommender.query import recommend
from recommender.query.recommend import explain


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=50, n_films=2500, seed=5)


def test_blocks_give_the_one_block_answer(model: Model, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    rng = np.random.default_rng(0)
    watched = np.sort(rng.choice(model.n_films, 300, replace=False))
    films = rng.permutation(model.n_films)[:700]  # watched films among them too
    whole = explain(model, watched, films, 3)
    for cells in (1, 299, 301, 3000, 70_000):
        monkeypatch.setattr(recommend, "EXPLAIN_CELLS", cells)
        assert explain(model, watched, films, 3) == whole, cells
    assert sum(map(len, whole)) > 1000


def test_memory_is_bounded_by_the_block(model: Model) -> None:
    everything = np.arange(model.n_films)
    explain(model, everything[:10], everything[:10], 3)  # lazy unit vectors built first
    tracemalloc.start()
    try:
        explain(model, everything, everything, 3)  # 6.25M cells: ~150 MB in one block
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 48 * 2**20, peak
