"""``Model``: everything a trained engine needs to answer queries, as plain arrays.

Factor matrices may be memory-mapped (read-only) when loaded from a model folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import UnknownFilmError, UnknownUserError
from recommender.io.dataset import Catalog, UserTable
from recommender.io.ids import IdMap, UsersAndFilms
from recommender.model.prior import with_column, with_ones

Side = Literal["users", "films"]

# "Nothing fitted": a taste vector (bias columns aside) whose norm is at most this share of the
# median nonzero taste norm of its side (users or films). ALS's regularization shrinks a pair
# fitted on nothing but each other (a user whose only film nobody else watched) towards zero
# without reaching it: FilmTrust's are ~1e-12 of the median, noise whose directions gave
# cosines of 0.39 and audiences "ranked" at 0.0000; its smallest fitted vectors are 1e-3
# (users) and 2e-2 (films) of the median. A millionth lies orders of magnitude from both, and
# below it a score is under float32's resolution (~1e-7) of a typical one. Relative, so a
# collapsed fit (every vector tiny, meta's ``collapsed``) still ranks by its differences.
NEGLIGIBLE_NORM = 1e-6
# "No score": the absolute floor beside that relative one, which cannot fire when every vector
# collapsed (one interaction per user: MovieLens 100K's first ratings left median norms of
# 1.4e-7 (users) and 5e-14 (films), so each is its side's "typical" one). ALS and EASE fit
# float32 scores to a target of 1 (a watched film), where float32's spacing is 1.2e-7 (eps); a
# score is a float32 sum of ``factors`` products, whose rounding alone is several eps at the
# target's scale (about eps x sqrt(64) = 1e-6 at 64 factors). A row whose every score (its norm
# times the other side's largest: Cauchy-Schwarz) is at most this is inside that rounding: no
# taste can be read from it, and the answers' 6 decimals print each of its scores as 0.000000.
# Applied only where the model learned nothing (``Model.learned_nothing``: the typical score is
# that small AND the median user has under ``RELATING_INTERACTIONS``): a fit shrunk as far by a
# heavy regularization on a log that relates films keeps the order of its tiny scores
# (``fit_scale.collapsed``), one on a log of single interactions has no film-to-film relation to
# keep. BPR's and LMF's logits have no fixed scale: the floor is not applied to them.
NO_SCORE = 1e-6
# a user relates two films (the co-occurrence ALS and EASE learn taste from) from 2 interactions
RELATING_INTERACTIONS = 2


def median_norm(norms: NDArray[np.floating]) -> float:
    """The median of the nonzero ``norms`` (one side's taste norms); 0 when none is."""
    live = norms[norms > 0]
    return float(np.median(live)) if len(live) else 0.0


def negligible(norms: NDArray[np.floating]) -> NDArray[np.bool_]:
    """Which of one side's taste ``norms`` have nothing fitted (``NEGLIGIBLE_NORM``)."""
    return np.asarray(norms <= NEGLIGIBLE_NORM * median_norm(norms))


def without_noise(factors: NDArray[np.float32], bias_columns: int) -> NDArray[np.float32]:
    """``factors`` (one side's) with the taste part of rows that have nothing fitted
    (``negligible``) set to exact zero, the bias columns kept; ``factors`` itself, untouched,
    when there is none (a fit of an ordinary log is written byte for byte as it came)."""
    taste = factors.shape[1] - bias_columns
    blank = negligible(np.linalg.norm(factors[:, :taste], axis=1).astype(np.float64))
    if not blank.any():
        return factors
    out = factors.copy()
    out[blank, :taste] = 0
    return out


@dataclass
class Segments:
    """Audience segments: ``labels[user_idx]`` is the user's segment (0..n-1)."""

    labels: NDArray[np.int16]
    info: list[dict[str, Any]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.info)


def bias_columns_of(model: str) -> int:
    """The trailing bias columns of ``model``'s factors (``Model.bias_columns``)."""
    return {"bpr": 1, "lmf": 2}.get(model, 0)


@dataclass
class Model(UsersAndFilms):
    """A trained audience engine.

    - ``user_factors``: (n_users, f) float32; ``film_factors``: (n_films, f) float32.
      The score of user u for film i is ``user_factors[u] @ film_factors[i]``.
    - ``seen``: users x films CSR of training interactions (structure only);
      ``seen_by_film``: its films x users transpose, for excluding a film's viewers.
    - ``calibration``: tier conversion measured on a held-out slice (see ``calibration.py``).
    - ``fold_in_projection``: (n_films, f) float32 for the EASE family (``ease.py``): a user's
      confidence row ``x`` has the vector ``x @ fold_in_projection``; ``None`` for ALS.
    - ``film_prior``: (n_films,) float32, the popularity prior (``prior.py``) added to every
      user's score of each film in the user -> films direction only (``rec_films``,
      ``rec_tastes``); ``None`` without one.
    - ``folder``: the version folder ``artifact.load`` read it from ("" for a model not read
      from disk): the files beside it (``cinemas.csv``) are this version's, whatever
      ``MODEL/current`` points at by the time they are read.
    - ``unfitted``: users x films CSR structure of the ``seen`` pairs the factors were not
      fitted on (``--min-rating``; ``fitted.py``), which reasons never cite; ``None`` if none.
    """

    users: IdMap
    films: IdMap
    user_factors: NDArray[np.float32]
    film_factors: NDArray[np.float32]
    seen: sp.csr_matrix
    seen_by_film: sp.csr_matrix
    catalog: Catalog
    user_table: UserTable
    segments: Segments
    meta: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    fold_in_projection: NDArray[np.float32] | None = None
    film_prior: NDArray[np.float32] | None = None
    folder: str = ""
    unfitted: sp.csr_matrix | None = None
    _rec_films: NDArray[np.float32] | None = field(default=None, repr=False)
    _max_rec_film_norm: float | None = field(default=None, repr=False)
    _film_norms: NDArray[np.float32] | None = field(default=None, repr=False)
    _user_norms: NDArray[np.float32] | None = field(default=None, repr=False)
    _film_units: NDArray[np.float32] | None = field(default=None, repr=False)
    _taste_units: NDArray[np.float32] | None = field(default=None, repr=False)
    _film_labels: tuple[list[str], list[str]] | None = field(default=None, repr=False)
    _max_user_norm: float | None = field(default=None, repr=False)
    _max_film_norm: float | None = field(default=None, repr=False)
    # per side: the median nonzero taste norm, and which rows have nothing fitted (not
    # init fields, so ``dataclasses.replace`` with new factors never carries them over)
    _taste_scales: dict[str, float] = field(default_factory=dict, repr=False, init=False)
    _unfitted_rows: dict[str, NDArray[np.bool_]] = field(default_factory=dict, repr=False,
                                                         init=False)
    _floors: dict[str, float] = field(default_factory=dict, repr=False, init=False)

    @property
    def version(self) -> str:
        return str(self.meta.get("model_version", ""))

    @property
    def family(self) -> str:
        """The model family (``config.FAMILIES``): ``meta["params"]["family"]``, "als" for
        models trained before families."""
        params = self.meta.get("params")
        return str(params.get("family", "als")) if isinstance(params, dict) else "als"

    @property
    def bias_columns(self) -> int:
        """Trailing factor columns that carry bias terms, not taste: ``implicit``'s BPR adds
        one (users 1, films their bias), LMF two (users [1, bias], films [bias, 1])."""
        return bias_columns_of(str(self.meta.get("model", "als")))

    def taste(self, rows: NDArray[Any]) -> NDArray[Any]:
        """The taste columns of ``rows`` (user or film factors, one row or many): a view
        without the trailing ``bias_columns``, ``rows`` itself where there are none."""
        return rows[..., :rows.shape[-1] - self.bias_columns] if self.bias_columns else rows

    def nothing_fitted(self, rows: NDArray[np.floating], side: Side) -> NDArray[np.bool_]:
        """For each row of ``side``'s factors (one row, or a matrix of them; or a vector made
        of them: a fold-in, a cold start): whether its taste part, the bias columns aside, is
        negligible, its norm at most ``NEGLIGIBLE_NORM`` of ``taste_scale(side)`` or, ALS and
        EASE, so small that none of its scores passes ``NO_SCORE`` (``norm_floor``): nothing
        of that user or film was fitted, so it ranks nothing (or only by bias, or the prior)."""
        taste = self.taste(np.asarray(rows, np.float64))
        return np.asarray(np.linalg.norm(taste, axis=-1) <= self.norm_floor(side))

    def norm_floor(self, side: Side) -> float:
        """The taste norm at or below which a row of ``side`` has nothing fitted: the larger
        of ``NEGLIGIBLE_NORM`` x ``taste_scale(side)`` (relative) and, for a model that
        learned nothing (``learned_nothing``), ``NO_SCORE`` over the other side's largest
        taste norm (absolute: every score the row takes part in is at most ``NO_SCORE``;
        every row when the other side is all zero)."""
        if side not in self._floors:
            floor = NEGLIGIBLE_NORM * self.taste_scale(side)
            if self.learned_nothing:
                other = _taste_norms(self, "films" if side == "users" else "users")
                top = float(other.max()) if len(other) else 0.0
                floor = max(floor, NO_SCORE / top if top > 0 else np.inf)
            self._floors[side] = float(floor)
        return self._floors[side]

    @property
    def learned_nothing(self) -> bool:
        """Whether this ALS or EASE model learned nothing usable: the typical pair's score
        bound (the product of the two sides' median taste norms) is at most ``NO_SCORE`` and
        the median user has fewer than ``RELATING_INTERACTIONS`` interactions, so most answers
        are tie-breaks (``fit_scale.learned_nothing`` says so at train; computed from the
        arrays, so a model trained before says it too)."""
        if "nothing" not in self._floors:
            counts = self.user_counts()
            self._floors["nothing"] = float(
                not self.bias_columns and len(counts) > 0
                and self.taste_scale("users") * self.taste_scale("films") <= NO_SCORE
                and float(np.median(counts)) < RELATING_INTERACTIONS)
        return bool(self._floors["nothing"])

    def taste_scale(self, side: Side) -> float:
        """The median norm of ``side``'s nonzero taste vectors (bias columns aside); 0 when
        every one is zero (then only exact zeros have nothing fitted)."""
        if side not in self._taste_scales:
            self._taste_scales[side] = median_norm(_taste_norms(self, side))
        return self._taste_scales[side]

    def unfitted_rows(self, side: Side) -> NDArray[np.bool_]:
        """``nothing_fitted`` of every row of ``side``'s factors, computed once."""
        if side not in self._unfitted_rows:
            self._unfitted_rows[side] = np.asarray(_taste_norms(self, side)
                                                   <= self.norm_floor(side))
        return self._unfitted_rows[side]

    def film_index(self, film_id: str) -> int:
        return self.films.index_of(film_id, UnknownFilmError)

    def user_index(self, user_id: str) -> int:
        return self.users.index_of(user_id, UnknownUserError)

    def film_viewers(self, film_idx: int) -> NDArray[np.int32]:
        s, e = self.seen_by_film.indptr[film_idx], self.seen_by_film.indptr[film_idx + 1]
        return np.asarray(self.seen_by_film.indices[s:e])

    def user_films(self, user_idx: int) -> NDArray[np.int32]:
        s, e = self.seen.indptr[user_idx], self.seen.indptr[user_idx + 1]
        return np.asarray(self.seen.indices[s:e])

    def film_counts(self) -> NDArray[np.int64]:
        return np.diff(self.seen_by_film.indptr).astype(np.int64)

    def user_counts(self) -> NDArray[np.int64]:
        return np.diff(self.seen.indptr).astype(np.int64)

    @property
    def film_norms(self) -> NDArray[np.float32]:
        if self._film_norms is None:
            self._film_norms = _row_norms(self.film_factors)
        return self._film_norms

    @property
    def film_units(self) -> NDArray[np.float32]:
        """Films' taste vectors at unit length (rows with nothing fitted are zero), so the cosine
        similarity of films i and j is ``film_units[i] @ film_units[j]``: the film factors for
        ALS; for EASE the rows of ``fold_in_projection`` (V diag(w): the film's direction in
        the users' space, weighted as EASE shrinks it), since its film factors V / d are
        orthogonal at full rank and their cosines say nothing about the films."""
        if self._film_units is None:
            if self.fold_in_projection is None:
                ff = np.asarray(self.film_factors, np.float32)
                self._film_units = _blanked(ff / self.film_norms[:, None],
                                            self.unfitted_rows("films"))
            else:
                pr = np.asarray(self.fold_in_projection, np.float32)
                self._film_units = _blanked(pr / _row_norms(pr)[:, None],
                                            self.unfitted_rows("films"))
        return self._film_units

    @property
    def taste_units(self) -> NDArray[np.float32]:
        """``film_units`` over the taste columns alone: BPR's and LMF's bias columns
        (``bias_columns``) left out before the rows are scaled to unit length, as comparable
        films and lookalikes leave them out (with them, a popular film's bias made it the
        nearest film to nearly every other); ``film_units`` itself for ALS and EASE."""
        if not self.bias_columns or self.fold_in_projection is not None:
            return self.film_units
        if self._taste_units is None:
            taste = self.taste(np.asarray(self.film_factors, np.float32))
            self._taste_units = _blanked(taste / _row_norms(taste)[:, None],
                                         self.unfitted_rows("films"))
        return self._taste_units

    @property
    def film_labels(self) -> tuple[list[str], list[str]]:
        """Every film's id and title (``films.ids``, ``catalog.titles``) as lists of ``str``:
        responses index these instead of converting numpy strings item by item."""
        if self._film_labels is None:
            self._film_labels = (list(map(str, self.films.ids.tolist())),
                                 list(map(str, self.catalog.titles.tolist())))
        return self._film_labels

    @property
    def user_norms(self) -> NDArray[np.float32]:
        if self._user_norms is None:
            self._user_norms = _row_norms(self.user_factors)
        return self._user_norms

    @property
    def max_user_norm(self) -> float:
        """The largest user-factor norm (bounds BLAS rounding in audience scores)."""
        if self._max_user_norm is None:
            self._max_user_norm = float(self.user_norms.max()) if self.n_users else 0.0
        return self._max_user_norm

    @property
    def max_film_norm(self) -> float:
        """The largest film-factor norm (bounds BLAS rounding in recommendation scores)."""
        if self._max_film_norm is None:
            self._max_film_norm = float(self.film_norms.max()) if self.n_films else 0.0
        return self._max_film_norm

    @property
    def rec_films(self) -> NDArray[np.float32]:
        """The film side of user -> films scores: ``film_factors``, with the prior as one more
        column when there is one (``rec_tastes`` adds the users' column of ones)."""
        if self.film_prior is None:
            return np.asarray(self.film_factors)
        if self._rec_films is None:
            self._rec_films = with_column(self.film_factors, self.film_prior)
        return self._rec_films

    def rec_tastes(self, tastes: NDArray[np.floating]) -> NDArray[np.float32]:
        """Taste vectors (one, or rows) as the user side of user -> films scores: with a
        trailing 1 when the model has a prior, so ``rec_films @ taste`` adds it."""
        if self.film_prior is None:
            return np.asarray(tastes, np.float32)
        return with_ones(tastes)

    @property
    def max_rec_film_norm(self) -> float:
        """The largest row norm of ``rec_films`` (bounds BLAS rounding in recommendations)."""
        if self.film_prior is None:
            return self.max_film_norm
        if self._max_rec_film_norm is None:
            self._max_rec_film_norm = (float(_row_norms(self.rec_films).max())
                                       if self.n_films else 0.0)
        return self._max_rec_film_norm

    def score_slack(self, vector: NDArray[np.floating]) -> float:
        """``ranking.score_slack`` for ``user_factors @ vector``."""
        from recommender.kernels.ranking import score_slack

        return score_slack(int(self.user_factors.shape[1]), self.max_user_norm,
                           float(np.linalg.norm(np.asarray(vector, np.float64))))

    def user_scores(self, vectors: NDArray[np.floating]) -> NDArray[np.float32]:
        """Every user's score of a vector (n_users,), or of each row of ``vectors`` (rows x
        n_users), as a film's audience settles them (``exact_scores.exact_scores``: the exact
        dot product rounded to float32): the planner and every distribution forecast rank
        users by these, so they and the audience order near-tied users alike."""
        from recommender.kernels.exact_scores import exact_scores

        vecs = np.asarray(vectors)
        out = exact_scores(self.user_factors, vecs, self.max_user_norm)
        return out[0] if vecs.ndim == 1 else out

    def score_slacks(self, vectors: NDArray[np.floating]) -> NDArray[np.float64]:
        """``score_slack`` of each row of ``vectors`` (the bound is linear in the vector's
        norm), in one vectorised step."""
        from recommender.kernels.ranking import score_slack

        norms = np.linalg.norm(np.asarray(vectors, np.float64), axis=1)
        return score_slack(int(self.user_factors.shape[1]), self.max_user_norm, 1.0) * norms


def _row_norms(factors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Euclidean norm of each row, with all-zero rows given norm 1 (safe to divide by)."""
    n = np.linalg.norm(factors, axis=1).astype(np.float32)
    return np.where(n > 0, n, 1).astype(np.float32)


def _taste_norms(model: Model, side: Side) -> NDArray[np.float64]:
    """The norm of each row's taste part (``Model.taste``) of ``side``'s factors."""
    rows = model.user_factors if side == "users" else model.film_factors
    return np.linalg.norm(model.taste(np.asarray(rows)), axis=1).astype(np.float64)


def _blanked(units: NDArray[np.floating], blank: NDArray[np.bool_]) -> NDArray[np.float32]:
    """``units`` as contiguous float32, the ``blank`` rows (nothing fitted) set to zero: a
    vector shrunk almost to zero has no direction to be like (its unit was noise)."""
    out = np.ascontiguousarray(units, np.float32)
    if blank.any():
        out[blank] = 0
    return out
