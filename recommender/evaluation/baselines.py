"""Baselines the engine is measured against, all behind one small interface.

A baseline is fitted on the training matrix (users x films, binary, float32 CSR) and then
gives a :class:`Scorer` for a *history* matrix of the same shape: the evaluated users' known
interactions. ``history=None`` means the training users themselves; a different history is
folded in (the user-held-out protocol).

``Scorer.score(users, films)`` returns the dense ``(len(users), len(films))`` float32 block of
scores; a film's audience is a column, a user's recommendations a row. Every scorer computes
blocks with matrix products, so evaluation never loops over users.

- :class:`Popularity`: films by popularity for a user, users by activity for a film
  (score = activity(user) x popularity(film), a rank-1 model ordering both directions).
- :class:`ItemKNN`: ``implicit``'s cosine item-item neighbours (score = history @ similarity).
- :class:`ImplicitALS`: ``implicit`` ALS with the library's defaults on binary confidence.
- :class:`EASE`: Steck (2019), closed form ``B = I - P / diag(P)``, ``P = (X^T X + lam I)^-1``,
  zero diagonal; score = history @ B. When there are fewer training users than films it uses
  the identical dual form through the users x users Gram matrix (Woodbury), which costs
  ``O(users^3)`` instead of ``O(films^3)``.
"""

from __future__ import annotations

import warnings
from typing import Any, Protocol

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from recommender.model.prior import with_prior

Index = NDArray[np.int64]


class Scorer(Protocol):
    def score(self, users: Index, films: Index) -> NDArray[np.float32]:
        """Dense ``(len(users), len(films))`` float32 scores."""
        ...


class FactorScorer:
    """score = user_factors @ film_factors.T (the engine's own scoring), plus ``film_prior``
    (the popularity prior, ``recommender.model.prior``) in the user direction only:
    ``audience_score`` ranks a film's users by the factors alone, as audiences do."""

    def __init__(self, user_factors: NDArray[np.float32], film_factors: NDArray[np.float32],
                 film_prior: NDArray[np.float32] | None = None) -> None:
        self.user_factors = np.ascontiguousarray(user_factors, np.float32)
        self.film_factors = np.ascontiguousarray(film_factors, np.float32)
        self.film_prior = None if film_prior is None else np.asarray(film_prior, np.float32)

    def audience_score(self, users: Index, films: Index) -> NDArray[np.float32]:
        out: NDArray[np.float32] = self.user_factors[users] @ self.film_factors[films].T
        return out

    def score(self, users: Index, films: Index) -> NDArray[np.float32]:
        if self.film_prior is None:
            return self.audience_score(users, films)
        # as recommendations score: a column of ones against the prior, one product
        uf, ff = with_prior(self.user_factors[users], self.film_factors[films],
                            self.film_prior[films])
        out: NDArray[np.float32] = uf @ ff.T
        return out


def binary(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Structure of ``matrix`` as a float32 CSR of ones."""
    out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
    out.data[:] = 1.0
    out.eliminate_zeros()
    return out


class Popularity:
    name = "popularity"

    def fit(self, train: sp.csr_matrix) -> Popularity:
        self.popularity_ = np.asarray(binary(train).sum(axis=0), np.float64).ravel()
        self.train_ = train
        return self

    def scorer(self, history: sp.csr_matrix | None = None) -> Scorer:
        h = self.train_ if history is None else history
        activity = np.asarray(binary(h).sum(axis=1), np.float64).ravel()
        return _OuterScorer(activity, self.popularity_)


class _OuterScorer:
    def __init__(self, row: NDArray[np.float64], col: NDArray[np.float64]) -> None:
        # +1 keeps an inactive user's (or unwatched film's) order defined by the other factor
        self.row = row + 1.0
        self.col = col + 1.0

    def score(self, users: Index, films: Index) -> NDArray[np.float32]:
        return np.outer(self.row[users], self.col[films]).astype(np.float32)


class ItemKNN:
    """Cosine item-item neighbours from ``implicit`` (``K`` neighbours per film)."""

    name = "itemknn"

    def __init__(self, K: int = 20) -> None:
        self.K = K

    def fit(self, train: sp.csr_matrix) -> ItemKNN:
        from implicit.nearest_neighbours import CosineRecommender

        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            # implicit transposes our CSR internally and then warns about its own COO
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            knn = CosineRecommender(K=self.K)
            knn.fit(binary(train), show_progress=False)
        # implicit recommends with user_items @ similarity: rows are the watched films
        self.similarity_ = sp.csc_matrix(knn.similarity, dtype=np.float32)
        self.train_ = binary(train)
        return self

    def scorer(self, history: sp.csr_matrix | None = None) -> Scorer:
        return _SparseProductScorer(self.train_ if history is None else binary(history),
                                    self.similarity_)


class _SparseProductScorer:
    def __init__(self, history: sp.csr_matrix, similarity: sp.csc_matrix) -> None:
        self.history = history
        self.similarity = similarity

    def score(self, users: Index, films: Index) -> NDArray[np.float32]:
        block = self.history[users] @ self.similarity[:, films]
        return np.asarray(block.toarray(), np.float32)


class ImplicitALS:
    """``implicit``'s ALS exactly as the library ships it (its defaults), on binary
    confidence: the "untuned matrix factorisation" a marketer would try first."""

    name = "als_defaults"

    def __init__(self, seed: int = 0, **params: Any) -> None:
        self.seed = seed
        self.params = params

    def _backend(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(random_state=self.seed, **self.params)

    def fit(self, train: sp.csr_matrix) -> ImplicitALS:
        with threadpool_limits(1, "blas"):
            self.backend_ = self._backend()
            self.backend_.fit(binary(train), show_progress=False)
        return self

    def scorer(self, history: sp.csr_matrix | None = None) -> Scorer:
        films = np.asarray(self.backend_.item_factors, np.float32)
        if history is None:
            return FactorScorer(np.asarray(self.backend_.user_factors, np.float32), films)
        return FactorScorer(fold_in_als(self.backend_, binary(history)), films)


def fold_in_als(backend: Any, confidence: sp.csr_matrix) -> NDArray[np.float32]:
    """User factors for the rows of ``confidence`` (users x films, before alpha) against a
    fitted ``implicit`` ALS backend's film factors: one exact ALS half-step per user."""
    with threadpool_limits(1, "blas"):
        n = confidence.shape[0]
        out = backend.recalculate_user(np.arange(n), sp.csr_matrix(confidence, dtype=np.float32))
    return np.asarray(out, np.float32)


class EASE:
    """Embarrassingly shallow autoencoder (Steck 2019) on the binary training matrix."""

    name = "ease"

    def __init__(self, lam: float = 100.0) -> None:
        if lam <= 0:
            raise ValueError(f"EASE lam must be > 0, got {lam}")
        self.lam = lam

    def fit(self, train: sp.csr_matrix) -> EASE:
        X = binary(train)
        self.n_films_ = X.shape[1]
        rows = np.flatnonzero(np.diff(X.indptr) > 0)
        cols = np.flatnonzero(np.bincount(X.indices, minlength=X.shape[1]) > 0)
        self.cols_ = cols
        Xk = X[rows][:, cols]
        lam = float(self.lam)
        self.dual_ = len(rows) < len(cols)
        if self.dual_:
            # P = (X^T X + lam I)^-1 = (I - X^T (X X^T + lam I)^-1 X) / lam
            Xd = Xk.toarray().astype(np.float64)
            K = Xd @ Xd.T
            K[np.diag_indices_from(K)] += lam
            W = scipy.linalg.solve(K, Xd, assume_a="pos")  # (X X^T + lam I)^-1 X
            diag_p = (1.0 - np.einsum("uf,uf->f", Xd, W)) / lam
            self.X_ = sp.csr_matrix(Xk, dtype=np.float64)
            self.W_ = W
            self.diag_p_ = diag_p
        else:
            G = np.asarray((Xk.T @ Xk).toarray(), np.float64)
            G[np.diag_indices_from(G)] += lam
            P = scipy.linalg.inv(G, overwrite_a=True, check_finite=False)
            B = -P / np.diag(P)[None, :]
            np.fill_diagonal(B, 0.0)
            self.B_ = B.astype(np.float32)
        self.train_ = X
        return self

    def scorer(self, history: sp.csr_matrix | None = None) -> Scorer:
        H = self.train_ if history is None else binary(history)
        Hk = sp.csr_matrix(H[:, self.cols_], dtype=np.float64)
        if not self.dual_:
            return _EASEPrimal(Hk, self.B_, self.cols_, self.n_films_)
        return _EASEDual(Hk, self.X_, self.W_, self.diag_p_, self.lam, self.cols_, self.n_films_)


class _EASEPrimal:
    def __init__(self, H: sp.csr_matrix, B: NDArray[np.float32], cols: Index, n_films: int
                 ) -> None:
        self.H = sp.csr_matrix(H, dtype=np.float32)
        self.B = B
        self.pos = _positions(cols, n_films)

    def score(self, users: Index, films: Index) -> NDArray[np.float32]:
        out = np.zeros((len(users), len(films)), np.float32)
        p = self.pos[films]
        ok = p >= 0
        out[:, ok] = np.asarray(self.H[users] @ self.B[:, p[ok]], np.float32)
        return out


class _EASEDual:
    """score = H B = H - H P / diag(P), with H P = (H - (H X^T) W) / lam."""

    def __init__(self, H: sp.csr_matrix, X: sp.csr_matrix, W: NDArray[np.float64],
                 diag_p: NDArray[np.float64], lam: float, cols: Index, n_films: int) -> None:
        self.H = H
        self.HXt = np.asarray((H @ X.T).toarray(), np.float64)  # (history users x train users)
        self.W = W
        self.scale = 1.0 / (lam * diag_p)
        self.pos = _positions(cols, n_films)

    def score(self, users: Index, films: Index) -> NDArray[np.float32]:
        out = np.zeros((len(users), len(films)), np.float32)
        p = self.pos[films]
        ok = p >= 0
        pk = p[ok]
        h = self.H[users][:, pk].toarray()
        hp_lam = h - self.HXt[users] @ self.W[:, pk]
        out[:, ok] = h - hp_lam * self.scale[pk][None, :]
        return out


def _positions(cols: Index, n: int) -> Index:
    pos = np.full(n, -1, np.int64)
    pos[cols] = np.arange(len(cols))
    return pos
