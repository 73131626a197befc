"""Lookalikes rank by taste alone: BPR's and LMF's bias columns (a constant 1, a user's own
bias) are not taste, and left in the cosine they ranked users by activity or vector length.

Oracle: a brute-force mean cosine over the model's taste columns, and, for LMF, two users of
the same taste planted with opposite biases.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from recommender.model.model import Model
from recommender.query.audience import lookalikes
from tests.service_fixtures import family_model


def taste_order(model: Model, seeds: list[int]) -> tuple[list[int], np.ndarray]:
    """Users by mean cosine of their taste columns to the seeds', seeds left out."""
    uf = np.asarray(model.user_factors, np.float64)
    taste = uf[:, :uf.shape[1] - model.bias_columns]
    norms = np.linalg.norm(taste, axis=1)
    norms[norms == 0] = 1.0
    scores = taste @ (taste[seeds] / norms[seeds, None]).mean(axis=0) / norms
    scores[seeds] = -np.inf
    order = np.lexsort((np.arange(len(scores)), -scores))
    return order[:len(scores) - len(seeds)].tolist(), scores


@pytest.mark.parametrize("family", ["als", "bpr", "lmf"])
def test_lookalikes_are_the_taste_cosine(family: str) -> None:
    model = family_model(family, iterations=4 if family == "als" else 3)
    assert model.bias_columns == {"als": 0, "bpr": 1, "lmf": 2}[family]
    seeds = [0, 5, 11]
    page, unknown = lookalikes(model, [str(model.users.ids[i]) for i in seeds], k=20)
    want, scores = taste_order(model, seeds)
    assert unknown == []
    assert np.allclose(page.score, scores[page.user_idx], atol=1e-5)
    # the top 20 by the oracle's scores (exact ties aside, none here)
    assert page.user_idx.tolist() == want[:20]


def test_an_lmf_users_bias_does_not_make_a_lookalike() -> None:
    """Two users of one taste as the seed: the copy with the seed's bias and the copy with
    the opposite bias are both perfect lookalikes (cosine 1)."""
    model = family_model("lmf")
    uf = np.array(model.user_factors, np.float32)
    uf[1] = uf[0]
    uf[2] = uf[0]
    uf[2, -1] = -5.0 * uf[0, -1] if uf[0, -1] else 5.0  # LMF's user bias, last column
    model = replace(model, user_factors=uf, _user_norms=None, _max_user_norm=None)
    page, _ = lookalikes(model, [str(model.users.ids[0])], k=2)
    assert sorted(page.user_idx.tolist()) == [1, 2]
    assert np.allclose(page.score, 1.0, atol=1e-5)
