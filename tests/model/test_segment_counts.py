"""``segments.describe``'s (segment, film) counts are the one-hot product's, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.model import segments


@pytest.mark.parametrize("k", [1, 3, 10])
def test_counts_match_the_one_hot_product(k: int) -> None:
    rng = np.random.default_rng(k)
    n_users, n_films = 400, 70
    seen = sp.random(n_users, n_films, density=0.1, format="csr", random_state=k,
                     dtype=np.float32)
    seen.data[::5] = 0.0  # stored zeros: not watched
    labels = rng.integers(0, k, n_users).astype(np.int16)
    member = sp.csr_matrix((np.ones(n_users, np.float32),
                            (labels.astype(np.int64), np.arange(n_users))), shape=(k, n_users))
    watched = (seen > 0).astype(np.float32)
    want = np.asarray((member @ watched).todense())
    got, per_user = segments.segment_film_counts(labels, seen, k)
    assert got.dtype == want.dtype == np.float32 and got.tobytes() == want.tobytes()
    assert np.array_equal(per_user, np.diff(sp.csr_matrix(watched).indptr))
