"""The quality report's ``sparse5`` variant leaves users' counts varying as a sparse log's do, so
a user's training count does not give away whether they have held-out rows."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from helpers import load_benchmark

from recommender.evaluation.splits import make_split
from recommender.io.dataset import Interactions


def _log(users: int, per_user: int) -> Interactions:
    """Every user watched ``per_user`` films of ``per_user * 2``."""
    rng = np.random.default_rng(7)
    u = np.repeat(np.arange(users), per_user)
    f = np.concatenate([rng.choice(per_user * 2, per_user, replace=False) for _ in range(users)])
    return Interactions.from_columns(pa.array([f"u{x}" for x in u]), pa.array([f"f{x}" for x in f]))


def test_sparse5_keeps_a_varying_count_of_about_5_per_user() -> None:
    """A cap of exactly 5 left nearly every user 5 interactions: under the random 80/20 split a
    user's training count was 5 less their test count, and the users with the most training
    rows had no test row at all (ml-100k: 308 such users, none held out; ranking users by
    fewest training interactions beat every model's audience recall)."""
    q = load_benchmark("quality")
    data = _log(4000, 40)
    sparse = q.variant(data, "sparse5", 0)
    split = make_split(sparse, "random", 0)
    train = np.bincount(split.train.user_idx, minlength=sparse.n_users)[split.users]
    held = np.bincount(split.test.user_idx, minlength=sparse.n_users)[split.users] > 0
    # more training rows, more likely a test row (as in a log of varying counts), never less
    assert np.corrcoef(train, held)[0, 1] > 0.1
    assert held[train >= 5].mean() > held[train <= 2].mean()
    kept = np.bincount(sparse.user_idx)
    assert abs(kept.mean() - 5) < 0.2
    # a geometric draw of mean 5 (capped at 40): P(1) = 1/5, P(k > 10) = (4/5)^10
    assert abs((kept == 1).mean() - 0.2) < 0.02
    assert abs((kept > 10).mean() - 0.8 ** 10) < 0.02


def test_the_script_says_what_sparse5_keeps() -> None:
    """The module doc (``quality.py --help`` prints its first paragraph; the page's readers
    read the rest) still called sparse5 'at most 5 interactions per user, a seeded random 5'."""
    doc = " ".join((load_benchmark("quality").__doc__ or "").split())
    assert "at most 5 interactions per user" not in doc
    assert "geometric distribution of mean 5" in doc
