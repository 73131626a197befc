"""EASE (Steck 2019) in factorised form: user and film factors whose dot products are its scores.

EASE's item-item weights are ``B = I - P / diag(P)`` with ``P = (X^T X + lam I)^-1`` (X the
users x films confidence, binary by default), and the score of a film f a user has not watched
is ``-(x_u P)_f / P_ff``. With the singular value decomposition ``X = U S V^T``,
``P = (1/lam) (I - V diag(w) V^T)`` with ``w = s^2 / (s^2 + lam)``, so that score is

    (x_u V diag(w)) . (V_f / d_f),    d_f = lam P_ff = 1 - sum_k V_fk^2 w_k

i.e. ``user_factors = X V diag(w)`` and ``film_factors = V / d[:, None]``: exactly EASE when
every direction with s > 0 is kept, an approximation of it when only the ``rank`` strongest are
(the same shape as ALS's factors, so every query of the engine answers unchanged; scores of
films a user has already watched are not EASE's, and the engine excludes those films). Folding
a user in is the linear map ``x_u -> x_u @ projection`` with ``projection = V diag(w)`` (films x
rank): exact, no solve.

Decomposition: catalogs of up to ``MAX_DENSE_FILMS`` films, or a rank of at least half the
catalog, use the exact eigendecomposition of the films x films Gram matrix ``X^T X`` (1.6 s at
2,048 films, 13 s at 4,096 on one core of this VM); logs with fewer users than films, and up to
``MAX_DENSE_FILMS`` of them, that of the users x users ``X X^T`` (exact too); otherwise a
seeded randomised subspace iteration on it (``POWER_ITERATIONS`` passes over X with rank +
oversampling vectors: 7 s at rank 64 on 4.6M interactions x 27k films, one core). Memory: the
dense path holds about 3 films x films float64 matrices (0.4 GB at 4,096 films), the users' one
3 users x users and 4 films x rank float64 matrices, the randomised one about 3 (users + films)
x (rank + oversampling) float64 matrices (1.4 GiB at rank 256 on the ML-20M shape), besides two
float64 copies of X (12 bytes per interaction each); a fit whose dense arrays would need more
than ``MAX_WORK_BYTES`` (2 GiB) is refused with ``InvalidParameterError`` before anything is
allocated (use ALS, or a lower rank): every direction of more than about 9,000 films, rank 64
above about 930k users + films, rank 256 above about 230k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError

MAX_DENSE_FILMS = 2048      # exact eigendecomposition up to this many films
MAX_WORK_BYTES = 2 << 30    # working memory a fit may take (its main float64 arrays)
POWER_ITERATIONS = 6        # subspace-iteration passes of the randomised path
MIN_OVERSAMPLING = 16       # extra vectors the randomised path carries (at least; rank / 2)
SIGN_TIE = 1e-9            # magnitudes this close (relatively) are a tie in ``_signed``
RELATIVE_TOLERANCE = 1e-10  # directions with s^2 below this share of the largest are dropped


@dataclass(frozen=True)
class EaseFactors:
    """A factorised EASE fit: ``user_factors @ film_factors.T`` are its scores; a user's
    confidence row ``x`` folds in as ``x @ projection``. ``singular_values`` are X's."""

    user_factors: NDArray[np.float32]
    film_factors: NDArray[np.float32]
    projection: NDArray[np.float32]
    singular_values: NDArray[np.float64]
    method: str


def work_bytes(n_users: int, n_films: int, rank: int) -> tuple[str, int]:
    """The decomposition ``fit`` would use for this shape and its working memory in bytes:
    ``dense`` (the films x films Gram matrix), ``dense-users`` (the users x users one, when
    there are fewer users than films and few enough of them) or ``randomised``."""
    if n_users < n_films and n_users <= MAX_DENSE_FILMS:
        # the Gram matrix and its eigenvectors, then up to four films x rank float64 arrays
        # at once (X^T U and its scaling, V's copy, then factorise's V^2, projection, V / d)
        return "dense-users", 3 * 8 * n_users * n_users + 4 * 8 * n_films * min(rank, n_users)
    if n_films <= MAX_DENSE_FILMS or 2 * rank >= n_films:
        return "dense", 3 * 8 * n_films * n_films + 8 * n_users * min(rank, n_films)
    width = rank + max(MIN_OVERSAMPLING, rank // 2)
    return "randomised", 3 * 8 * (n_users + n_films) * width


def exact(n_users: int, n_films: int, rank: int) -> bool:
    """Whether a fit of this shape decomposes exactly (not by the randomised iteration)."""
    return work_bytes(n_users, n_films, rank)[0] != "randomised"


def check_size(n_users: int, n_films: int, rank: int) -> None:
    """Raise ``InvalidParameterError`` when a fit of this shape would need more than
    ``MAX_WORK_BYTES``."""
    method, need = work_bytes(n_users, n_films, rank)
    if need > MAX_WORK_BYTES:
        what = (f"every direction of {n_films:,} films" if method == "dense"
                else f"rank {rank} on {n_users:,} users x {n_films:,} films")
        raise InvalidParameterError(
            f"EASE with {what} needs about {need / 2**30:.1f} GiB of working memory, over the "
            f"{MAX_WORK_BYTES / 2**30:.0f} GiB limit; use a lower rank (--factors) or ALS")


def fit(matrix: sp.spmatrix, rank: int, lam: float, seed: int = 0) -> EaseFactors:
    """Factorised EASE of the users x films confidence ``matrix`` at ``rank`` and
    regularisation ``lam`` (> 0). Deterministic for a given ``seed``. Factors are float32;
    the rank may come out lower than asked when X has fewer non-zero singular values."""
    if lam <= 0:
        raise InvalidParameterError(f"EASE lambda must be > 0, got {lam}")
    if rank < 1:
        raise InvalidParameterError(f"EASE rank must be >= 1, got {rank}")
    x = sp.csr_matrix(matrix, dtype=np.float64)
    n_users, n_films = x.shape
    check_size(n_users, n_films, rank)
    s2, v = spectrum(x, rank, seed)
    return factorise(x, s2, v, lam, work_bytes(n_users, n_films, rank)[0])


def factorise(x: sp.csr_matrix, s2: NDArray[np.float64], v: NDArray[np.float64], lam: float,
              method: str = "given") -> EaseFactors:
    """The factors of EASE at ``lam`` from ``spectrum(x, ...)`` (one decomposition serves
    every lambda, which is how tuning tries several)."""
    if lam <= 0:
        raise InvalidParameterError(f"EASE lambda must be > 0, got {lam}")
    # a film with no interaction has B's row and column at 0 in exact EASE; the decomposition
    # leaves rounding noise there (norms ~1e-17), which unit-length cosines and tie checks
    # would read as a direction
    empty = np.bincount(x.indices, weights=x.data != 0, minlength=x.shape[1]) == 0
    if empty.any():
        v = np.where(empty[:, None], 0.0, v)
    w = s2 / (s2 + lam)
    d = 1.0 - (v * v) @ w
    # d > 0: lam P_ff >= lam / (s_max^2 + lam) in exact arithmetic; guard rounding only
    d = np.maximum(d, np.finfo(np.float64).eps)
    projection = v * w[None, :]
    users = np.asarray(x @ projection)
    return EaseFactors(
        user_factors=np.ascontiguousarray(users, np.float32),
        film_factors=np.ascontiguousarray(v / d[:, None], np.float32),
        projection=np.ascontiguousarray(projection, np.float32),
        singular_values=np.sqrt(s2), method=method)


def spectrum(x: sp.csr_matrix, rank: int, seed: int = 0
             ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(s^2, V): the squared singular values of ``x`` (descending) and its right singular
    vectors (films x r), the ``rank`` strongest with s^2 > 0 (at least one column)."""
    n_users, n_films = x.shape
    method = work_bytes(n_users, n_films, rank)[0]
    if method == "dense":
        gram = np.asarray((x.T @ x).toarray(), np.float64)
        vals, vecs = scipy.linalg.eigh(gram, overwrite_a=True, check_finite=False)
        order = np.argsort(-vals, kind="stable")[:min(rank, n_films)]
        s2, v = vals[order], vecs[:, order]
    elif method == "dense-users":
        s2, v = _user_gram(x, rank)
    else:
        s2, v = _subspace(x, rank, seed)
    keep = _kept(s2)
    return np.maximum(s2[keep], 0.0), _signed(np.ascontiguousarray(v[:, keep]))


def _signed(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """``v`` with each column's sign fixed: its entry of the largest magnitude positive. An
    eigenvector's sign is LAPACK's choice, which changed with the BLAS thread count (a model
    trained under OMP_NUM_THREADS=1 had columns of its factors negated against one trained on
    every core: the same scores, not the same arrays). Entries within ``SIGN_TIE`` of the
    largest magnitude are a tie, won by the first: an eigenvector such as (1, -1) / sqrt 2
    came out with either entry an ulp larger, and rounding noise chose its sign."""
    if not v.size:
        return v
    mag = np.abs(v)
    first = np.argmax(mag >= mag.max(axis=0) * (1.0 - SIGN_TIE), axis=0)
    top = v[first, np.arange(v.shape[1])]
    return np.where(top < 0, -v, v)


def _kept(s2: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The directions kept: s^2 above ``RELATIVE_TOLERANCE`` of the largest (the first always)."""
    keep = np.maximum(s2, 0.0) > RELATIVE_TOLERANCE * max(float(s2.max(initial=0.0)), 1e-300)
    keep[0] = True
    return keep


def _user_gram(x: sp.csr_matrix, rank: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The top ``rank`` eigenpairs of ``X^T X`` from those of the users x users ``X X^T``
    (``X X^T u = s^2 u`` gives ``v = X^T u / s``): exact, and cheap when users are few."""
    gram = np.asarray((x @ x.T).toarray(), np.float64)
    vals, vecs = scipy.linalg.eigh(gram, overwrite_a=True, check_finite=False)
    order = np.argsort(-vals, kind="stable")[:min(rank, x.shape[0])]
    order = order[_kept(vals[order])]
    s2 = np.maximum(vals[order], 1e-300)
    return s2, np.asarray(x.T @ vecs[:, order]) / np.sqrt(s2)[None, :]


def _subspace(x: sp.csr_matrix, rank: int, seed: int
              ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The top ``rank`` eigenpairs of ``X^T X`` by seeded subspace iteration (Halko et al.
    2011, algorithm 4.4) and a Rayleigh-Ritz step."""
    n_films = x.shape[1]
    width = min(n_films, rank + max(MIN_OVERSAMPLING, rank // 2))
    q = np.random.default_rng(seed).standard_normal((n_films, width))
    xt = x.T.tocsr()
    for _ in range(POWER_ITERATIONS):
        q, _r = np.linalg.qr(np.asarray(xt @ np.asarray(x @ q)))
    xq = np.asarray(x @ q)
    vals, vecs = np.linalg.eigh(xq.T @ xq)
    order = np.argsort(-vals, kind="stable")[:rank]
    return vals[order], q @ vecs[:, order]
