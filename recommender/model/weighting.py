"""Turn interactions into the confidence matrix the factorisation learns from.

Schemes (values before the model's ``alpha`` scaling):

- ``binary``: 1 for every (user, film) pair.
- ``rating``: the rating when the source has one (else the merged weight / view count).
- ``log``: ``1 + log1p(weight)``, which damps heavy re-watchers.
- ``bm25``: BM25 term weighting of the binary matrix (Okapi, ``K1``/``B``), which discounts
  blockbuster films and heavy users.

The tuned default is ``binary`` (see ``config.py`` and ``benchmarks/results/tuning.md``).

``min_rating`` drops interactions rated below it before weighting (films a user disliked are
then not evidence that they are its audience). Only the fit reads the filtered interactions:
``training.train`` keeps every watch in the model's seen matrix and its calibration holdout.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io import blank_ratings
from recommender.io.dataset import Interactions

Scheme = Literal["binary", "rating", "log", "bm25"]
SCHEMES: tuple[str, ...] = get_args(Scheme)


def check_scheme(scheme: str) -> Scheme:
    if scheme not in SCHEMES:
        raise InvalidParameterError(
            f"weighting must be one of {', '.join(SCHEMES)}, got {scheme!r}"
        )
    return scheme  # type: ignore[return-value]


def filter_min_rating(data: Interactions, min_rating: float | None) -> Interactions:
    """Drop interactions rated below ``min_rating`` (rows without ratings are kept)."""
    if min_rating is None or data.rating is None:
        return data
    keep = ~(data.rating < min_rating)
    return data.subset(keep)


def event_rating(rating: NDArray[np.floating] | None, min_rating: float | None
                 ) -> float | None:
    """The rating a recorded event (a view with no rating) stands for, in a log of ``rating``:
    the log's median, raised to ``min_rating`` when that is higher, so that a view of a film
    the user never rated is never left out of the fit as disliked; None when the log has no
    ratings. ``train --events`` gives it to each stored event on a (user, film) pair the log
    does not rate, and ``meta["data"]["event_rating"]`` records it for the live overlay,
    which values new pairs the same way under the ``rating`` scheme. The rule is
    ``io.blank_ratings.implied_rating``'s, which a blank rating read as a view is given."""
    return None if rating is None else blank_ratings.implied_rating(rating, min_rating)


def event_ratings(data: Interactions, user_ids: NDArray[np.str_], film_ids: NDArray[np.str_],
                  min_rating: float | None) -> NDArray[np.float64] | None:
    """The rating of each recorded event (aligned ``user_ids``, ``film_ids``) merged into
    ``data``: its pair's own rating where ``data`` rates the pair (merging keeps the latest
    event's rating, which must not replace the user's own), else ``event_rating``; None when
    ``data`` has no ratings."""
    fill = event_rating(data.rating, min_rating)
    if fill is None or data.rating is None:
        return None
    u = np.asarray(data.users.to_index(pa.array(np.asarray(user_ids, str)), strict=False),
                   np.int64)
    f = np.asarray(data.films.to_index(pa.array(np.asarray(film_ids, str)), strict=False),
                   np.int64)
    out = np.full(len(u), fill, np.float64)
    known = np.flatnonzero((u >= 0) & (f >= 0))
    if not len(known) or not len(data):
        return out
    keys = np.asarray(data.user_idx, np.int64) * data.n_films + np.asarray(data.film_idx)
    order = np.argsort(keys, kind="stable")
    want = u[known] * data.n_films + f[known]
    pos = np.minimum(np.searchsorted(keys[order], want), len(keys) - 1)
    hit = keys[order][pos] == want
    out[known[hit]] = np.asarray(data.rating, np.float64)[order[pos[hit]]]
    return out


def raw_values(data: Interactions, scheme: str) -> NDArray[np.float32]:
    """Per-interaction values for ``scheme`` before any matrix-level normalisation."""
    scheme = check_scheme(scheme)
    if scheme == "rating":
        src = data.rating if data.rating is not None else data.weight
        return np.maximum(np.asarray(src, np.float32), np.float32(1e-3))
    if scheme == "log":
        return (1.0 + np.log1p(data.weight)).astype(np.float32)
    return np.ones(len(data), np.float32)


def bm25(matrix: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """BM25-weight a users x films CSR (users are the documents' terms, films the documents).

    Same formula as ``implicit.nearest_neighbours.bm25_weight`` applied to the films x users
    view; kept here to stay in float32 CSR without a transpose round trip.
    """
    canonical = sp.isspmatrix_csr(matrix) and matrix.has_canonical_format
    m = matrix if canonical else matrix.tocoo()
    n_users = m.shape[0]
    # canonical CSR (sorted, no duplicates) keeps its structure: no COO round trip
    rows = (np.repeat(np.arange(n_users), np.diff(m.indptr)) if canonical else m.row)
    cols = m.indices if canonical else m.col
    # idf over films: how many users watched each film
    df = np.bincount(cols, minlength=m.shape[1]).astype(np.float64)
    idf = np.log(n_users) - np.log1p(df)
    # document length: the number of films per user relative to the mean
    row_sums = np.bincount(rows, weights=m.data, minlength=n_users)
    avg = row_sums.mean() if n_users else 1.0
    length_norm = (1.0 - b) + b * row_sums / max(avg, 1e-12)
    data = m.data * (k1 + 1.0) / (k1 * length_norm[rows] + m.data) * idf[cols]
    if canonical:
        return sp.csr_matrix((data.astype(np.float32), m.indices.copy(), m.indptr.copy()),
                             shape=m.shape, dtype=np.float32)
    out = sp.csr_matrix((data.astype(np.float32), (rows, cols)), shape=m.shape, dtype=np.float32)
    out.sort_indices()
    return out


def confidence(
    data: Interactions,
    scheme: str = "binary",
    k1: float = 1.2,
    b: float = 0.75,
) -> sp.csr_matrix:
    """users x films float32 CSR of confidence values under ``scheme`` (no alpha applied)."""
    values = raw_values(data, scheme)
    matrix = data.to_csr(values)
    if scheme == "bm25":
        matrix = bm25(matrix, k1=k1, b=b)
        # a film watched by every user gets idf <= 0: keep it a (weak) positive
        np.maximum(matrix.data, np.float32(1e-3), out=matrix.data)
    return matrix
