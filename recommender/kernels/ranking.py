"""Vectorised top-k kernels shared by every ranking in the engine.

Order is score descending, ties broken by the lower index, so results are exact and
reproducible (a brute-force ``lexsort`` gives the same order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # numpy only at run time: the module is shipped to Spark executors
    import scipy.sparse as sp

# below this length a plain argpartition is as fast as pre-filtering
_PREFILTER_MIN_N = 20_000


# rows per block of score_block: the block's (rows x vectors) product stays in the L2 cache
SCORE_CHUNK = 4096


def score_block(rows: NDArray[np.float32], vectors: NDArray[np.float32]
                ) -> NDArray[np.float32]:
    """``vectors @ rows.T`` (vectors x rows), computed block by block of rows: the scores of
    several films over all users, or of several users over all films.

    For a few vectors OpenBLAS's ``sgemm`` on the wide (vectors x f) @ (f x 138k) shape was
    1.5-2x slower than a (rows x f) @ (f x vectors) product per block of rows, transposed into
    place while the block is in cache (``benchmarks/README.md``), and a whole-matrix transpose
    afterwards costs more than the product. The values are the same float32 dot products.
    """
    matrix = np.asarray(rows)
    vecs = np.ascontiguousarray(vectors, dtype=np.float32)
    n, b = matrix.shape[0], vecs.shape[0]
    if b == 1:
        return np.asarray(matrix @ vecs[0], np.float32)[None, :]
    out = np.empty((b, n), np.float32)
    vt = np.ascontiguousarray(vecs.T)
    tmp = np.empty((min(SCORE_CHUNK, n), b), np.float32)
    for start in range(0, n, SCORE_CHUNK):
        stop = min(n, start + SCORE_CHUNK)
        block = tmp[: stop - start]
        np.matmul(matrix[start:stop], vt, out=block)
        out[:, start:stop] = block.T
    return out


def exclude_rows(scores: NDArray[np.floating], structure: sp.csr_matrix,
                 keys: NDArray[np.integer], rows: NDArray[np.integer]) -> None:
    """Set ``scores[r, structure[keys[r]].indices]`` to ``-inf`` for each row ``r`` in
    ``rows``, in place and with a few numpy calls for the whole block: each score row belongs
    to one row of ``structure`` (a film's viewers, a user's films) whose entries it excludes.
    """
    rows = np.asarray(rows, np.int64)
    indptr = np.asarray(structure.indptr, np.int64)
    picked = np.asarray(keys, np.int64)[rows]
    lo, hi = indptr[picked], indptr[picked + 1]
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return
    spans = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    scores[np.repeat(rows, lengths),
           np.asarray(structure.indices)[np.arange(total) + spans]] = -np.inf


def _candidates(scores: NDArray[np.floating], k: int) -> NDArray[np.intp] | None:
    """Ascending indices of a subset of ``scores`` that surely holds its ``k`` best entries
    (and every entry tied with the k-th), or None when no small such subset was found.

    A strided sample estimates a value ``est`` with a few times ``k`` entries above it; when
    at least ``k`` entries are ``>= est``, the k-th best is ``>= est`` too, so every entry
    that can be in the top ``k`` (ties included) is in the subset. One comparison pass over
    ``scores`` then replaces the full ``argpartition``.
    """
    n = scores.shape[0]
    sample = scores[:: max(1, n // 4096)]
    m = sample.shape[0]
    j = 4 * k * m // n + 16  # the sample rank that should leave ~4k entries above it
    if j >= m:
        return None
    est = np.partition(sample, m - j)[m - j]
    if not np.isfinite(est):  # -inf (excluded entries) or NaN in the sample's tail
        return None
    cand = np.flatnonzero(scores >= est)
    if len(cand) < k or len(cand) > n // 2:
        return None
    return cand


def top_k(scores: NDArray[np.floating], k: int) -> NDArray[np.int64]:
    """Indices of the ``k`` best finite scores of a 1-D array, best first.

    Entries set to ``-inf`` are never returned. Cost: one ``argpartition`` over ``scores``
    plus a sort of the ``k`` winners; on long arrays, one comparison pass that keeps a few
    times ``k`` candidates (exactly the same result, see ``_candidates``) and the same work
    on those.
    """
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, np.int64)
    if k < n and n >= _PREFILTER_MIN_N:
        cand = _candidates(scores, k)
        if cand is not None:
            # candidates are in ascending index order and all finite (or +inf): a stable
            # sort keeps ties in ascending index order
            return cand[np.argsort(-scores[cand], kind="stable")[:k]].astype(np.int64)
    if k < n:
        part = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[part].min()
        # argpartition breaks ties at the threshold arbitrarily: re-pick them by index
        if np.count_nonzero(scores == threshold) > np.count_nonzero(scores[part] == threshold):
            above = np.flatnonzero(scores > threshold)
            ties = np.flatnonzero(scores == threshold)[: k - len(above)]
            part = np.concatenate([above, ties])
    else:
        part = np.arange(n)
    part = part[scores[part] > -np.inf]
    order = np.lexsort((part, -scores[part]))
    return part[order].astype(np.int64)


# (row, index) pairs sorted by row, then index, and the scores there
Pairs = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.floating]]


def _candidate_rows(scores: NDArray[np.floating], k: int
                    ) -> tuple[NDArray[np.int64], NDArray[np.int64], Pairs] | None:
    """``top_k_rows`` of a long block through per-row candidate sets (see ``_candidates``),
    with a few numpy calls for the whole block rather than per row; None when a row's sample
    gives no usable estimate (the caller then runs the exact full path). Also returns the
    candidates, as (row, index) pairs sorted by row, then index, with their scores: each
    row's set holds every entry at or above some value below its k-th best.

    The candidates of each row are packed, in ascending index order, into a narrow
    ``-inf``-padded block, and the plain path selects within it: ties at the cut-off go to
    the lower position, which is the lower index.
    """
    rows, n = scores.shape
    sample = scores[:, :: max(1, n // 4096)]
    m = sample.shape[1]
    j = 4 * k * m // n + 16
    if j >= m:
        return None
    est = np.partition(sample, m - j, axis=1)[:, m - j]
    if not np.isfinite(est).all():
        return None
    # flat positions of a C-order block (2-D np.nonzero is several times slower): row-major,
    # so indices ascend within a row
    r, c = np.divmod(np.flatnonzero(scores >= est[:, None]), n)
    counts = np.bincount(r, minlength=rows)
    if counts.min() < k or counts.max() > n // 2:
        return None
    starts = np.zeros(rows, np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    pos = np.arange(len(r), dtype=np.int64) - starts[r]
    width = int(counts.max())
    packed = np.full((rows, width), -np.inf, dtype=scores.dtype)
    values = scores[r, c]
    packed[r, pos] = values
    where = np.zeros((rows, width), np.int64)
    where[r, pos] = c
    picked, _ = top_k_rows(packed, k)
    # every row holds >= k finite candidates, so all k picks are real
    return np.take_along_axis(where, picked, axis=1), np.full(rows, k, np.int64), (r, c, values)


EXACT_BLOCK_CELLS = 1 << 21  # float64 cells exact_dots holds at once (16 MiB a temporary)


def exact_dots(rows: NDArray[np.floating], idx: NDArray[np.integer],
               vector: NDArray[np.floating]) -> NDArray[np.float32]:
    """``rows[idx] @ vector`` computed the same way whatever produced a first estimate: the
    float32 products are exact in float64, numpy sums each row in a fixed order, and the sum
    is rounded to float32. BLAS results depend on the kernel, the batch shape and the thread
    count (a few units in the last place), so rankings are settled on these values."""
    idx = np.asarray(idx, np.int64)
    v = np.asarray(vector, np.float64)
    out = np.empty(len(idx), np.float32)
    step = max(1, EXACT_BLOCK_CELLS // max(len(v), 1))  # bounded float64 temporaries
    for start in range(0, len(idx), step):
        picked = np.asarray(rows[idx[start:start + step]], np.float64)
        out[start:start + step] = (picked * v).sum(axis=1)
    return out


def score_slack(n_factors: int, max_row_norm: float, vector_norm: float) -> float:
    """A bound on |BLAS float32 dot product - exact dot product| for rows of at most
    ``max_row_norm``: any summation order of ``n`` products errs by at most about
    ``n * 2**-24 * sum|x_i y_i|`` <= ``n * 2**-24 * |x| |y|``; twice that, for margin."""
    return 2.0 * max(n_factors, 1) * 2.0**-24 * max_row_norm * vector_norm


def settle_top_k(scores: NDArray[np.floating], k: int, rows: NDArray[np.floating],
                 vector: NDArray[np.floating], slack: float
                 ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The ``k`` best entries by ``exact_dots`` (ties to the lower index), and their exact
    scores, given BLAS ``scores`` of ``rows @ vector`` that are within ``slack`` of them
    (``-inf`` marks excluded entries).

    Every entry of the exact top ``k`` has a BLAS score within ``2 * slack`` of the BLAS
    k-th best, so only those few are scored exactly.
    """
    n = scores.shape[0]
    cand = _candidates(scores, k) if 0 < k < n and n >= _PREFILTER_MIN_N else None
    if cand is not None:  # every entry >= some value below the k-th best, ascending
        first = cand[np.argsort(-scores[cand], kind="stable")[:k]].astype(np.int64)
    else:
        first = top_k(scores, k)
    return settle_ranked(scores, first, k, rows, vector, slack, cand)


def settle_ranked(scores: NDArray[np.floating], first: NDArray[np.integer], k: int,
                  rows: NDArray[np.floating], vector: NDArray[np.floating], slack: float,
                  cand: NDArray[np.intp] | None = None
                  ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """``settle_top_k`` given ``first``, the ``k`` best entries by the BLAS ``scores`` (fewer
    when fewer are finite), and optionally a set ``cand`` known to hold every entry at or
    above some value, in ascending order (the prefilter's)."""
    if len(first) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    if len(first) < k:  # every candidate is already in
        pool = np.sort(first)
    else:
        floor = scores[first[-1]] - 2 * slack
        if cand is not None and scores[cand].min() <= floor:
            pool = cand[scores[cand] >= floor]  # the prefilter's set already holds them all
        else:
            pool = np.flatnonzero(scores >= floor)
    exact = exact_dots(rows, pool, vector)
    order = np.lexsort((pool, -exact))[:k]
    return pool[order].astype(np.int64), exact[order]


def settled_top_k_rows(scores: NDArray[np.floating], k: int, rows: NDArray[np.floating],
                       vectors: NDArray[np.floating], slacks: NDArray[np.floating]
                       ) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]:
    """``top_k_rows`` of BLAS estimates ``scores`` of ``vectors @ rows.T``, settled on exact
    dot products (``settle_rows``): per row the ``k`` best entries by exact score, their
    exact scores and how many are real. On a long block the prefilter's candidates are
    reused, so only a few entries per row are compared again."""
    n_rows, n = scores.shape
    width = min(k, n)
    found = (_candidate_rows(scores, width)
             if 0 < width < n and n >= _PREFILTER_MIN_N and n_rows > 0 else None)
    if found is None:
        first, counts = top_k_rows(scores, k)
        return settle_rows(scores, first, counts, k, rows, vectors, slacks)
    first, counts, cand = found
    return settle_rows(scores, first, counts, k, rows, vectors, slacks, cand)


def settle_rows(scores: NDArray[np.floating], first: NDArray[np.integer],
                counts: NDArray[np.integer], k: int, rows: NDArray[np.floating],
                vectors: NDArray[np.floating], slacks: NDArray[np.floating],
                cand: Pairs | None = None
                ) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]:
    """``settle_ranked`` for every row of a block at once, in a few numpy calls.

    ``scores`` (R x n) are BLAS estimates of ``vectors @ rows.T``, each row within
    ``slacks[r]`` of the exact values (``-inf`` marks excluded entries); ``first`` and
    ``counts`` are ``top_k_rows(scores, k)``. Returns ``(indices, exact, counts)``, each
    block ``min(k, n)`` wide: per row its ``k`` best entries by ``exact_dots`` (ties to the
    lower index), their exact scores, and how many are real; the rest of each row is
    padding. Row ``r`` is exactly
    ``settle_ranked(scores[r], first[r, :counts[r]], k, rows, vectors[r], slacks[r])``.
    ``cand``: (row, index) pairs sorted by row then index, and their scores, holding per row
    every entry at or above some value (``_candidate_rows``); when that value is below every
    row's cut-off, only the pairs are compared, not the whole block.
    """
    n_rows, n = scores.shape
    counts = np.asarray(counts, np.int64)
    # rows with k finite entries keep those within 2 * slack of their k-th estimate; shorter
    # rows keep every finite entry
    floor = np.full(n_rows, -np.inf, scores.dtype)
    full = np.flatnonzero(counts >= k) if k > 0 else np.zeros(0, np.int64)
    if len(full):
        kth = np.asarray(first)[full, k - 1]
        floor[full] = scores[full, kth] - (2 * np.asarray(slacks, np.float64)[full]).astype(
            scores.dtype)
    r = c = None
    if cand is not None and len(full) == n_rows and len(cand[0]):
        cr, cc, values = cand
        starts = np.searchsorted(cr, np.arange(n_rows))
        # each row's set holds every entry >= its smallest member: enough when that is at or
        # below the row's cut-off (every row has candidates: _candidate_rows checks)
        if (np.minimum.reduceat(values, starts) <= floor).all():
            inside = values >= floor[cr]
            r, c = cr[inside], cc[inside]
    if r is None or c is None:
        keep = scores >= floor[:, None]
        keep &= scores > -np.inf
        r, c = np.divmod(np.flatnonzero(keep), n)  # row-major: ascending index within a row
    # exact_dots, pair by pair: the same float64 products and per-row sums, as many pairs at
    # once as its bounded temporaries hold (all at once, a Spark export task of k=3,000 on
    # the demo held 400 x 3,000 pairs x 64 factors: 600 MB of float64 per temporary)
    vectors = np.asarray(vectors)
    exact = np.empty(len(r), np.float32)
    step = max(1, EXACT_BLOCK_CELLS // max(vectors.shape[-1], 1))
    for at in range(0, len(r), step):
        exact[at:at + step] = (np.asarray(rows[c[at:at + step]], np.float64)
                               * np.asarray(vectors[r[at:at + step]], np.float64)).sum(axis=1)
    # stable: within a row, ties keep the pool's ascending index order
    order = np.lexsort((-exact, r))
    r, c, exact = r[order], c[order], exact[order]
    starts = np.searchsorted(r, np.arange(n_rows))
    pos = np.arange(len(r)) - starts[r]
    take = pos < k
    width = max(min(k, n), 0)
    out = np.zeros((n_rows, width), np.int64)
    out_exact = np.full((n_rows, width), -np.inf, np.float32)
    out[r[take], pos[take]] = c[take]
    out_exact[r[take], pos[take]] = exact[take]
    return out, out_exact, np.minimum(np.bincount(r, minlength=n_rows), width).astype(np.int64)


def settled_rank_of(scores: NDArray[np.floating], idx: NDArray[np.integer],
                    exact: NDArray[np.float32], rows: NDArray[np.floating],
                    vector: NDArray[np.floating], slack: float) -> NDArray[np.int64]:
    """``rank_of`` by exact dot products: the 1-based rank of each entry ``idx`` (whose exact
    scores are ``exact``) among all finite entries ordered by exact score, ties to the lower
    index. ``scores`` are the BLAS estimates (within ``slack``); only entries whose estimate
    is within ``slack`` of a ranked entry's exact score are scored exactly."""
    idx = np.asarray(idx, np.int64)
    if len(idx) == 0:
        return np.zeros(0, np.int64)
    e = np.asarray(exact, np.float32)
    valid = np.flatnonzero(scores > -np.inf)
    by_score = valid[np.argsort(scores[valid], kind="stable")]
    sorted_scores = scores[by_score]
    lo = np.searchsorted(sorted_scores, e - slack, side="left")
    hi = np.searchsorted(sorted_scores, e + slack, side="right")
    surely_higher = len(sorted_scores) - hi
    lengths = hi - lo
    band = by_score[np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
                    + np.arange(int(lengths.sum()))]
    owner = np.repeat(np.arange(len(idx)), lengths)
    band_exact = exact_dots(rows, band, vector)
    higher = (band_exact > e[owner]) | ((band_exact == e[owner]) & (band < idx[owner]))
    return (surely_higher + np.bincount(owner, weights=higher, minlength=len(idx)) + 1
            ).astype(np.int64)


def top_k_rows(scores: NDArray[np.floating], k: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row-wise top-k of a 2-D score block, best first per row.

    Returns ``(indices, counts)``: ``indices`` is ``(rows, k)``; ``counts[r]`` is how many of row
    ``r``'s entries are real (finite) candidates, the rest are padding to ignore.
    Ties at the cut-off go to the lower index, as in ``top_k``, so each row equals ``top_k``
    of that row.
    """
    rows, n = scores.shape
    k = min(k, n)
    if k <= 0:
        return np.zeros((rows, 0), np.int64), np.zeros(rows, np.int64)
    if k < n and n >= _PREFILTER_MIN_N and rows > 0:
        found = _candidate_rows(scores, k)
        if found is not None:
            return found[0], found[1]
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        threshold = np.take_along_axis(scores, part, axis=1).min(axis=1)
        # argpartition breaks ties at the threshold arbitrarily: re-pick those rows by index
        tied_all = (scores == threshold[:, None]).sum(axis=1)
        tied_in = (np.take_along_axis(scores, part, axis=1) == threshold[:, None]).sum(axis=1)
        for r in np.flatnonzero((tied_all > tied_in) & (threshold > -np.inf)):
            above = np.flatnonzero(scores[r] > threshold[r])
            ties = np.flatnonzero(scores[r] == threshold[r])[: k - len(above)]
            part[r] = np.concatenate([above, ties])
    else:
        part = np.broadcast_to(np.arange(n), (rows, n)).copy()
    vals = np.take_along_axis(scores, part, axis=1)
    # sort by score desc, then index asc
    order = np.lexsort((part, -vals), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    counts = np.minimum((scores > -np.inf).sum(axis=1), k)
    return idx.astype(np.int64), counts.astype(np.int64)


def rank_of(scores: NDArray[np.floating], idx: NDArray[np.integer]) -> NDArray[np.int64]:
    """1-based rank of each entry ``idx`` in the full order (score desc, index asc)."""
    idx = np.asarray(idx, np.int64)
    n = scores.shape[0]
    if len(idx) * n > 4_000_000:
        # many entries: one full sort instead of a len(idx) x n comparison block
        order = np.lexsort((np.arange(n), -scores))
        position = np.empty(n, np.int64)
        position[order] = np.arange(n)
        return (position[idx] + 1).astype(np.int64)
    s = scores[idx]
    higher = (scores[None, :] > s[:, None]).sum(axis=1)
    position = np.arange(len(scores))[None, :]
    tied_before = ((scores[None, :] == s[:, None]) & (position < idx[:, None])).sum(axis=1)
    return (higher + tied_before + 1).astype(np.int64)


def tied_rows(scores: NDArray[np.floating]) -> NDArray[np.bool_]:
    """Whether every candidate of each row (of a 1-D or 2-D array's last axis: its scores
    above -inf; NaN is no candidate) scores the same, with two candidates or more: such a
    ranking is in index order, not by score. A scalar ``bool_`` for one row.

    A ranked row is told apart by its first ``TIE_HEAD`` scores (two candidates that differ);
    only the others (tied there, or with fewer candidates there) are read whole."""
    rows = np.atleast_2d(np.asarray(scores))
    if not np.issubdtype(rows.dtype, np.floating):
        rows = rows.astype(np.float64)
    out = np.zeros(len(rows), bool)
    if rows.shape[-1]:
        head = rows[:, :TIE_HEAD]
        live = head > -np.inf
        open_ = ~(np.max(head, axis=1, where=live, initial=-np.inf)
                  > np.min(head, axis=1, where=live, initial=np.inf))
        for r in np.flatnonzero(open_).tolist():  # rare: a tied head (or few candidates in it)
            row = rows[r]
            live_r = row > -np.inf
            out[r] = (np.count_nonzero(live_r) > 1
                      and np.max(row, where=live_r, initial=-np.inf)
                      == np.min(row, where=live_r, initial=np.inf))
    return out if np.ndim(scores) > 1 else out[0]


TIE_HEAD = 64  # scores read first by ``tied_rows``
