"""The local trainer: fit the factorisation, measure tier conversion, cluster users into segments.

The factorisation is ``config.family``'s: ALS (``implicit``, ``fit_factors``) or the
factorised EASE (``recommender.model.ease``, ``fit_ease``), whose factors answer every query
the same way and whose fold-in projection the model keeps. A fit whose taste vectors would
overflow 32-bit scores is refused, and one that predicts next to nothing noted (``fit_scale``).

``train(interactions, config) -> Model``; :class:`LocalTrainer` is the same behind the
``Trainer`` interface.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from recommender.errors import DataError, InvalidParameterError
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.io.progress import show_progress
from recommender.kernels.cpus import fit_threads
from recommender.model import (
    calibration,
    calibration_inputs,
    catalog_only,
    ease,
    fit_scale,
    prior,
    segments,
)
from recommender.model import fitted as fitted_pairs
from recommender.model.calibration_horizon import latest, ordering
from recommender.model.config import FRESH_REFIT_INTERACTIONS, TrainConfig
from recommender.model.fit_scale import check_scale, huge_advice
from recommender.model.meta import build_meta, data_facts
from recommender.model.min_cell import min_cell_from_env
from recommender.model.model import Model, Segments, bias_columns_of, without_noise
from recommender.model.side_work import SideWork, done
from recommender.model.weighting import confidence, filter_min_rating

# the final fit after the calibration fit (``warm_sweeps``): afresh on logs of up to
# ``FRESH_REFIT_INTERACTIONS`` fitted interactions (config.py), else warm-started for this many
WARM_ITERATIONS = 2


def make_backend(config: TrainConfig, iterations: int | None = None,
                 threads: int | None = None) -> Any:
    """The ``implicit`` model object for ``config`` (CPU backend); ``threads``: ALS's OpenMP
    threads (default: OpenMP's count for the calling thread, which a thread other than the
    main one does not inherit from ``threadpool_limits``, at most a cgroup CPU quota's:
    ``kernels.cpus.fit_threads``)."""
    iters = config.iterations if iterations is None else iterations
    if config.model == "als":
        from implicit.cpu.als import AlternatingLeastSquares

        als = AlternatingLeastSquares(
            factors=config.factors, regularization=config.regularization, alpha=config.alpha,
            iterations=iters, random_state=config.seed, calculate_training_loss=False,
            num_threads=threads or fit_threads(),
        )
        als.cg_steps = config.cg_steps  # an attribute, not a constructor argument, in implicit
        return als
    if config.model == "bpr":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        # one thread: implicit's BPR samples in parallel, so its fit is reproducible under a
        # seed only on one (two fits with --seed 0 differed by up to 0.16 in a factor)
        return BayesianPersonalizedRanking(
            factors=config.factors, learning_rate=config.learning_rate,
            regularization=config.regularization, iterations=iters, random_state=config.seed,
            num_threads=1,
        )
    from implicit.cpu.lmf import LogisticMatrixFactorization

    return LogisticMatrixFactorization(
        factors=config.factors, learning_rate=config.learning_rate,
        regularization=config.regularization, iterations=iters, random_state=config.seed,
    )


def fit_factors(
    matrix: sp.csr_matrix,
    config: TrainConfig,
    progress: bool = False,
    init: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None,
    iterations: int | None = None,
    threads: int | None = None,
    callback: Callable[..., None] | None = None,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Fit on a users x films confidence CSR; returns (user_factors, film_factors) float32.

    ``init`` warm-starts from existing factors (then ``iterations`` more sweeps run);
    ``threads``: ALS's own (``make_backend``); ``callback``: called after each sweep
    (implicit's ``fit`` callback: iteration, seconds, loss).
    """
    assert matrix.shape[0] >= 1 and matrix.format == "csr", "expected users x films CSR"
    # import the backend (and the BLAS it links) first: threadpool_limits only limits the
    # libraries already loaded when it is entered
    import implicit.cpu.als  # noqa: F401
    from implicit.recommender_base import ModelFitError

    with threadpool_limits(1, "blas"):
        backend = make_backend(config, iterations, threads)
        if init is not None:
            backend.user_factors = np.array(init[0], dtype=np.float32)
            backend.item_factors = np.array(init[1], dtype=np.float32)
        try:
            backend.fit(matrix, show_progress=progress,
                        **({} if callback is None else {"callback": callback}))
        except ModelFitError as e:  # implicit's check for NaN factors: a diverged fit
            raise InvalidParameterError(
                f"the {config.model} fit diverged ({e}): "
                + (huge_advice(matrix, config) or "lower --learning-rate (BPR, LMF) or raise "
                   "--regularization")) from None
    # a pair fitted on nothing but each other is shrunk towards zero, not to it: stored as the
    # zero it stands for (Model.nothing_fitted judges models trained before by the same rule)
    bias = bias_columns_of(config.model)
    return (without_noise(np.ascontiguousarray(backend.user_factors, dtype=np.float32), bias),
            without_noise(np.ascontiguousarray(backend.item_factors, dtype=np.float32), bias))


def fit_ease(matrix: sp.csr_matrix, config: TrainConfig, progress: bool = False
             ) -> ease.EaseFactors:
    """The factorised EASE of a users x films confidence CSR at rank ``config.factors`` and
    regularisation ``config.ease_lambda`` (``recommender.model.ease.fit``)."""
    if progress:
        print(f"fitting EASE (rank {config.factors}, lambda {config.ease_lambda:g}) on "
              f"{matrix.shape[0]:,} users x {matrix.shape[1]:,} films ...", file=sys.stderr)
    return ease.fit(matrix, config.factors, config.ease_lambda, seed=config.seed)


def _fit(matrix: sp.csr_matrix, config: TrainConfig, progress: bool
         ) -> tuple[NDArray[np.float32], NDArray[np.float32], ease.EaseFactors | None]:
    """(user factors, film factors, the EASE fit or None) of ``config``'s family."""
    fitted = fit_ease(matrix, config, progress) if config.family == "ease" else None
    uf, ff = (fitted.user_factors, fitted.film_factors) if fitted is not None else \
        fit_factors(matrix, config, progress)
    check_scale(uf, ff, matrix, config)
    return uf, ff, fitted


def warm_sweeps(config: TrainConfig, n_fitted: int) -> int | None:
    """The sweeps of the warm refit that follows the calibration fit, or None when the final
    model is fitted afresh on all interactions: EASE always; ALS and the other ``implicit``
    models with ``warm_iterations`` None (automatic) on logs of up to
    ``FRESH_REFIT_INTERACTIONS`` fitted interactions, where the fit costs seconds. The warm
    refit saves a fit on large logs, but its model is not the fit that tuning validated, and
    on the random splits of ML-latest-small and a MovieTweetings log it scored below a fresh
    fit in both directions for each of 4 seeds (the note on issue 13 has the figures)."""
    if config.family == "ease":
        return None
    if config.warm_iterations is not None:
        return config.warm_iterations
    # afresh too where --iterations leaves no sweep to split (at most WARM_ITERATIONS: the
    # calibration fit's one sweep and the refit's two gave 3 sweeps for --iterations 2)
    return None if n_fitted <= FRESH_REFIT_INTERACTIONS or \
        config.iterations <= WARM_ITERATIONS else WARM_ITERATIONS


def calibration_fit_config(config: TrainConfig, n_fitted: int) -> TrainConfig:
    """The configuration of the fit on the calibration split of a log of ``n_fitted`` fitted
    interactions. Before a warm refit it runs ``iterations`` less the refit's sweeps (at least
    one), so that the final model gets ``iterations`` sweeps in all, as a single fit would;
    before a fresh refit (``warm_sweeps`` None) its configuration is unchanged."""
    warm = warm_sweeps(config, n_fitted)
    if warm is None or warm <= 0:
        return config
    return replace(config, iterations=max(1, config.iterations - warm))


def holdout_mask(data: Interactions, share: float, seed: int) -> NDArray[np.bool_]:
    """True for the interactions held out for calibration: the latest ``share`` by timestamp,
    or a seeded random ``share`` when the data has no timestamps or they are all equal."""
    n = len(data)
    k = int(round(n * share))
    if k == 0:
        return np.zeros(n, bool)
    if (ts := ordering(data.timestamp)) is not None:
        return latest(ts, k, seed=seed)
    mask = np.zeros(n, bool)
    mask[np.random.default_rng(seed).permutation(n)[n - k:]] = True
    return mask


def _seen_matrices(data: Interactions) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(users x films, films x users) CSR of every interaction: what the model marks seen."""
    seen = data.to_csr()
    return seen, seen.T.tocsr()


def _segments(uf: NDArray[np.float32], seen: sp.csr_matrix, catalog: Catalog,
              config: TrainConfig, min_size: int) -> Segments:
    """The users' segments (``segments.kmeans``, described), none of fewer than ``min_size``.
    Users cluster by taste: BPR's and LMF's bias columns (a constant 1, LMF's user bias) are
    left out, as lookalikes leave them (under EASE ``model`` is unused: every column is
    taste)."""
    taste = uf[:, :uf.shape[1] - bias_columns_of(config.fitted_model)]
    labels = segments.kmeans(taste, config.segments, seed=config.seed, min_size=min_size)
    return Segments(labels, segments.describe(labels, seen, catalog))


def _calibrated(prepared: Future[calibration_inputs.Prepared] | None, uf: NDArray[np.float32],
                ff: NDArray[np.float32], data: Interactions, ts: NDArray[np.integer] | None,
                held: NDArray[np.bool_], seed: int) -> dict[str, Any]:
    """``calibration.from_arrays`` of the calibration fit's factors, with the inputs
    ``prepared`` built before it in the same thread (None: built now)."""
    return calibration.from_arrays(uf, ff, data.user_idx, data.film_idx, ts, held,
                                   data.n_users, data.n_films, seed=seed,
                                   prepared=None if prepared is None else prepared.result())


# the final fit's account when the calibration holdout leaves the fit before it nothing
NOTHING_BEFORE_HOLDOUT = ("none: the calibration holdout left no interaction rated at or above "
                          "min_rating to fit before it, so no tier conversion was measured; "
                          "one fit on all interactions")


def train(data: Interactions, config: TrainConfig | None = None, progress: bool | None = None
          ) -> Model:
    """Train a model on ``data``. ``progress`` defaults to whether stderr is a terminal."""
    config = (config or TrainConfig()).validate()
    show = show_progress(progress)
    # no segment describes fewer users than an answer may: read (and a misconfigured value
    # refused) before any fit, where it was read after the whole fit and search
    min_size = min_cell_from_env()
    t0 = time.perf_counter()
    # --min-rating keeps low ratings out of the fit only: a film a user rated low is still a
    # film they watched (never in its audience), and watching is what conversion counts
    if config.min_rating is not None and data.rating is None:
        raise DataError(data.source, f"--min-rating {config.min_rating:g} needs ratings, and "
                                     "this log has none (no rating column)")
    liked = filter_min_rating(data, config.min_rating)
    if len(liked) == 0:
        raise DataError(data.source, "no interactions left to train on"
                        + (f" after --min-rating {config.min_rating:g}"  # 0 too: not falsy
                           if config.min_rating is not None else ""))
    held = holdout_mask(data, config.holdout, config.seed)
    watched_fit = data.subset(~held)  # every watch of the calibration fit's part
    fit_part = filter_min_rating(watched_fit, config.min_rating)
    catalog = (data.catalog.aligned_to(data.films) if data.catalog is not None
               else Catalog(data.films.ids.copy(), np.full(data.n_films, "", dtype=str),
                            np.zeros(data.n_films, np.int32), np.full(data.n_films, "", dtype=str)))
    with SideWork() as side:  # what the fits do not need runs beside them (side_work.py)
        seen_f = side.submit(_seen_matrices, data)
        facts_f = side.submit(data_facts, data, config.min_rating)
        tuning: dict[str, Any] | None = None
        if config.tune:
            from recommender.model.tuning import tune

            # the search sees the calibration fit's part only, never the calibration holdout
            # every watch: the search fits on the liked ones only, as below
            config, tuning = tune(watched_fit if len(fit_part) else data, config, show)
        conf_f = side.submit(confidence, liked, config.weighting, config.bm25_k1,
                             config.bm25_b)
        calib: dict[str, Any] = {}
        final = liked
        # ALS fits run with one BLAS thread (fit_factors): held for the whole stretch, so that
        # the count never changes while the side thread's calibration is in a BLAS call (not
        # safe); EASE's decomposition wants every BLAS thread, so its calibration runs inline
        beside = config.family != "ease"
        with contextlib.ExitStack() as held_limit:
            if beside:
                held_limit.enter_context(threadpool_limits(1, "blas"))
                # left on an error (a diverged fit, Ctrl-C) while the calibration runs beside:
                # it ends before the limit is lifted (callbacks run last in, first out)
                held_limit.callback(side.close)
            if held.any() and len(fit_part):
                ts = ordering(data.timestamp)
                # what the calibration measures without the factors, built beside this fit
                prep_f = side.submit(calibration_inputs.prepare, data.user_idx, data.film_idx,
                                     ts, held, data.n_users, data.n_films, seed=config.seed
                                     ) if beside else None
                if show:
                    print("fitting on the calibration split ...", file=sys.stderr)
                conf_fit = confidence(fit_part, config.weighting, config.bm25_k1, config.bm25_b)
                uf, ff, fitted = _fit(conf_fit, calibration_fit_config(config, len(liked)), show)
                del conf_fit
                calib_f = (side.submit if beside else done)(
                    _calibrated, prep_f, uf, ff, data, ts, held, config.seed)
                warm = warm_sweeps(config, len(liked))
                if warm is None:  # EASE's one decomposition, or ALS afresh: every sweep
                    if show:
                        print("fitting on all interactions ...", file=sys.stderr)
                    uf, ff, fitted = _fit(conf_f.result(), config, show)
                    refit = f"fresh: a second fit on all {len(liked):,} interactions" + (
                        f" rated {config.min_rating:g} or more (of {len(data):,})"
                        if len(liked) < len(data) else "")
                else:
                    if warm > 0:
                        if show:
                            print("refining on all interactions ...", file=sys.stderr)
                        # fit_factors copies init: the calibration reads the arrays unchanged
                        uf, ff = fit_factors(conf_f.result(), config, show, init=(uf, ff),
                                             iterations=warm)
                    refit = (f"warm: {warm} sweep(s) on all interactions from the calibration "
                             "fit" if warm > 0 else "none: the calibration fit is the model")
                    final = liked if warm > 0 else fit_part  # what the factors were fitted on
            else:
                calib_f = None
                uf, ff, fitted = _fit(conf_f.result(), config, show)
                refit = ("none: no calibration holdout, one fit on all interactions"
                         if not held.any() else NOTHING_BEFORE_HOLDOUT)
            del conf_f
            seen, seen_by_film = seen_f.result()
            # the segments while the calibration may still run beside (on many cores it ends
            # after the final fit): the same labels, BLAS still at one thread
            seg = _segments(uf, seen, catalog, config, min_size)
            if calib_f is not None:
                calib = calib_f.result()
                calib["holdout"] = ("latest" if ts is not None else "random") + \
                    f" {config.holdout:.0%} of training interactions"
        facts = facts_f.result()
    user_table = (data.user_table.aligned_to(data.users) if data.user_table is not None
                  else UserTable(data.users.ids.copy(), {}))
    elapsed = time.perf_counter() - t0
    meta = build_meta(data, config, elapsed, tuning, fitted=len(liked), facts=facts)
    meta["refit"] = refit
    # the seen pairs the factors were not fitted on: a recommendation's reasons skip them
    unfitted = fitted_pairs.record(meta, seen, final.user_idx, final.film_idx)
    unliked = unliked_films(data.film_idx, final.film_idx, data.n_films)
    if unliked:  # --min-rating (or the holdout) left them nothing to fit
        meta["films_without_liked"] = unliked_meta(unliked, config.min_rating)
    catalog_only.write(meta, data.catalog, data.films)
    if seg.n != config.segments:  # fewer users (or distinct tastes) than segments asked for
        meta["segments"] = {"asked": config.segments, "found": int(seg.n), "min_size": min_size}
    fit_scale.record(meta, uf, ff, config, seen)  # learned_nothing or collapsed, as Spark's
    if fitted is not None:
        meta["ease"] = {"rank": int(uf.shape[1]), "lambda": config.ease_lambda,
                        "decomposition": fitted.method,
                        "confidence": f"{config.weighting} weighting, no alpha"}
    return Model(
        users=data.users, films=data.films, user_factors=uf, film_factors=ff,
        seen=seen, seen_by_film=seen_by_film, catalog=catalog, user_table=user_table,
        segments=seg, meta=meta, calibration=calib,
        fold_in_projection=None if fitted is None else fitted.projection,
        film_prior=prior.of_fit(final.film_idx, final.timestamp, data.n_films, uf, ff, config),
        unfitted=unfitted,
    )


def unliked_films(films: NDArray[np.integer], fitted: NDArray[np.integer], n_films: int
                  ) -> int:
    """How many of the films of the log's interactions (``films``, film indices) have none
    in ``fitted`` (the film indices of what the model's factors were fitted on:
    ``--min-rating``, and with ``warm_iterations`` 0 the calibration holdout too, took every
    one of theirs out)."""
    if len(fitted) == len(films):
        return 0
    watched = np.bincount(films, minlength=n_films) > 0
    kept = np.bincount(fitted, minlength=n_films) > 0
    return int((watched & ~kept).sum())


def unliked_meta(count: int, min_rating: float | None) -> dict[str, Any]:
    """``meta.json``'s ``films_without_liked`` for ``count`` such films (both trainers)."""
    return {"count": count, "min_rating": min_rating,
            "note": "no interaction of these films (none rated at or above min_rating, or "
                    "with warm_iterations 0 only held-out ones) reached the fit, so their taste "
                    "vectors hold nothing learned of them: their audiences and comparable "
                    "films are in no meaningful order (a cold-start audience by genre ranks "
                    "them)"}


class LocalTrainer:
    """The in-process trainer (``implicit``): :func:`train` behind the ``Trainer`` interface."""

    name = "local"

    def __init__(self, progress: bool | None = False) -> None:
        self.progress = progress

    def fit(self, source: Interactions, config: TrainConfig | None = None) -> Model:
        return train(source, config, progress=self.progress)
