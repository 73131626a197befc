"""Top-k lists of many queries at once, a block of queries per matrix product.

The batch exports of both directions share it: films -> users (``audience.batch_audiences``)
and users -> films (``recommend.batch_recommendations``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.kernels.ranking import exclude_rows, settled_top_k_rows

Block = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]


def top_k_blocks(
    queries: NDArray[np.integer],
    query_factors: NDArray[np.float32],
    target_factors: NDArray[np.float32],
    seen: sp.csr_matrix,
    k: int,
    exclude_seen: bool,
    batch: int,
    slacks: Callable[[NDArray[np.float32]], NDArray[np.float64]],
    as_query: Callable[[NDArray[np.float32]], NDArray[np.float32]] | None = None,
) -> Iterator[Block]:
    """The ``k`` best targets of each query (rows of ``query_factors``), ``batch`` queries per
    ``(batch x f) @ (f x targets)`` product.

    ``seen`` is queries x targets: with ``exclude_seen`` a query's seen targets are left out.
    ``as_query`` maps a block's rows of ``query_factors`` to the vectors scored (the model's
    ``rec_tastes``, which adds the popularity prior's column); as they are by default.
    ``slacks(vectors)`` bounds the float rounding of each query vector's scores. Yields
    ``(queries, targets, scores, counts)`` per block: ``targets`` and ``scores`` are
    (len(queries), min(k, n_targets)), best first; row r's first ``counts[r]`` entries are
    real. Lists are settled on exact dot products (``ranking.settled_top_k_rows``), so they
    are a single query's list to the last digit.
    """
    targets = np.asarray(target_factors)
    targets_t = np.ascontiguousarray(targets.T)
    every: NDArray[np.int64] = np.asarray(queries, np.int64)
    for start in range(0, len(every), batch):
        rows = every[start:start + batch]
        vectors = np.asarray(query_factors[rows], np.float32)
        if as_query is not None:
            vectors = as_query(vectors)
        scores = vectors @ targets_t
        if exclude_seen:
            exclude_rows(scores, seen, rows, np.arange(len(rows)))
        top, exact, counts = settled_top_k_rows(scores, k, targets, vectors, slacks(vectors))
        yield rows, top, exact, counts
