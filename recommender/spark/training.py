"""Training on Spark: weighting as column expressions, MLlib ALS, the Spark ``Trainer``."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import DataError, InvalidParameterError
from recommender.io.columns import FILM_ID, RATING, TIMESTAMP, USER_ID, WEIGHT
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.io.ids import IdMap
from recommender.io.progress import show_progress
from recommender.model import calibration, catalog_only, prior, segments
from recommender.model import fitted as fitted_pairs
from recommender.model.config import TrainConfig
from recommender.model.min_cell import min_cell_from_env
from recommender.model.model import Model, Segments, without_noise
from recommender.model.weighting import event_rating
from recommender.spark.checks import refuse_summed_past_float32
from recommender.spark.holdout import _holdout
from recommender.spark.reading import (
    Source,
    fingerprint,
    index_ids,
    merge_events,
    read_source,
    source_from_interactions,
)
from recommender.spark.session import say, session_scope

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

MODEL_NAME = "als-spark"
# the smallest MLlib rating we feed (confidence just above 1, see ``spark_params``)
_MIN_R = 1e-6


def spark_confidence(df: DataFrame, config: TrainConfig, n_users: int, has_rating: bool
                     ) -> DataFrame:
    """``(u, f, value)``: ``recommender.model.weighting.confidence`` as Spark column expressions
    (BM25 through per-film and per-user counts joined back), so the values are the local
    engine's to float rounding."""
    from pyspark.sql import functions as sf

    scheme = config.weighting
    if scheme == "rating":
        src = sf.coalesce(sf.col(RATING), sf.col(WEIGHT)) if has_rating else sf.col(WEIGHT)
        raw = sf.greatest(src, sf.lit(1e-3))
    elif scheme == "log":
        raw = sf.lit(1.0) + sf.log1p(sf.col(WEIGHT))
    else:
        raw = sf.lit(1.0)
    out = df.select("u", "f", raw.cast("double").alias("value"))
    if scheme != "bm25":
        return out
    k1, b = float(config.bm25_k1), float(config.bm25_b)
    film_df = out.groupBy("f").agg(sf.count(sf.lit(1)).alias("_df"))
    user_len = out.groupBy("u").agg(sf.sum("value").alias("_len"))
    total = out.agg(sf.sum("value")).collect()[0][0] or 0.0
    avg = max(float(total) / max(n_users, 1), 1e-12)
    idf = sf.lit(math.log(max(n_users, 1))) - sf.log1p(sf.col("_df"))
    length_norm = sf.lit(1.0 - b) + sf.lit(b) * sf.col("_len") / sf.lit(avg)
    value = sf.col("value") * sf.lit(k1 + 1.0) / (sf.lit(k1) * length_norm + sf.col("value")) * idf
    return (out.join(film_df, "f").join(user_len, "u")
            .select("u", "f", sf.greatest(value, sf.lit(1e-3)).alias("value")))


def spark_params(config: TrainConfig, n_users: int, n_films: int, nnz: int) -> dict[str, Any]:
    """MLlib ALS parameters corresponding to the local engine's ``config``.

    - **Confidence**: ``implicit`` uses ``c = alpha * value``; MLlib uses ``c = 1 + alpha * r``.
      ``_fit`` feeds MLlib ``r = value - 1/alpha``, which gives exactly ``alpha * value``
      (entries whose ``alpha * value`` is below 1 are clamped to a tiny positive ``r``, i.e.
      ``c`` just above 1).
    - **Regularisation**: MLlib scales ``regParam`` by each row's number of interactions
      (ALS-WR, ``lambda_u = regParam * n_u``), ``implicit`` does not (``lambda_u =
      regularization``). We pass ``regParam = regularization / mean interactions per user and
      film``, so an average row gets the local engine's penalty (heavy users a larger one,
      light users a smaller one).
    - ``factors`` -> ``rank``, ``iterations`` -> ``maxIter``, ``seed`` -> ``seed``,
      ``nonnegative=False``. Only ``--model als`` exists on Spark.
    """
    per_row = 2.0 * nnz / max(n_users + n_films, 1)
    return {
        "rank": int(config.factors),
        "maxIter": int(config.iterations),
        "regParam": float(config.regularization) / max(per_row, 1.0),
        "alpha": float(config.alpha),
        "implicitPrefs": True,
        "nonnegative": False,
        "seed": int(config.seed),
        # config.cg_steps is not mapped: MLlib ALS solves each row exactly (no CG steps)
    }


def _fit(conf: DataFrame, params: dict[str, Any], n_users: int, n_films: int
         ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """MLlib ALS on ``(u, f, value)``; returns (user_factors, film_factors) aligned to the
    indices (rows without interactions are zero, as in the local engine)."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as sf

    offset = 1.0 / params["alpha"]
    ratings = conf.select(sf.col("u").cast("int").alias("u"), sf.col("f").cast("int").alias("f"),
                          sf.greatest(sf.col("value") - sf.lit(offset), sf.lit(_MIN_R))
                          .cast("float").alias("r"))
    blocks = max(1, conf.sparkSession.sparkContext.defaultParallelism)
    als = ALS(userCol="u", itemCol="f", ratingCol="r", coldStartStrategy="nan",
              numUserBlocks=blocks, numItemBlocks=blocks, **params)
    fitted = als.fit(ratings)
    uf = _collect_factors(fitted.userFactors, n_users, params["rank"])
    ff = _collect_factors(fitted.itemFactors, n_films, params["rank"])
    # a pair fitted on nothing but each other: stored as zero, as the local engine does
    return without_noise(uf, 0), without_noise(ff, 0)


def _collect_factors(df: DataFrame, n: int, rank: int) -> NDArray[np.float32]:
    table = df.toArrow()
    out = np.zeros((n, rank), np.float32)
    if table.num_rows:
        ids = np.asarray(table.column("id").to_numpy(), np.int64)
        feats = table.column("features").combine_chunks().flatten()
        out[ids] = np.asarray(feats.to_numpy(zero_copy_only=False), np.float32).reshape(-1, rank)
    return out


def train_spark(
    data: str | os.PathLike[str],
    config: TrainConfig | None = None,
    films: str | os.PathLike[str] | None = None,
    users: str | os.PathLike[str] | None = None,
    master: str = "local[*]",
    *,
    spark: SparkSession | None = None,
    progress: bool | None = None,
) -> Model:
    """Train MLlib implicit ALS on ``data`` (a CSV/Parquet file or URI, or a dataset folder)
    and return a ``Model`` ready for ``artifact.save``, so ``serve``, ``audience`` and every
    other command use it unchanged.

    Reading, merging duplicated (user, film) events, indexing the string ids, weighting
    (``spark_confidence``) and the ALS sweeps (``spark_params``) run in Spark; the factors, id
    arrays and training interactions are then collected on the driver, which therefore needs
    the memory of the model folder itself (factors + the seen CSR, 8 bytes per interaction).
    Tier calibration: as locally, the latest ``holdout`` share (by timestamp, else a seeded
    random share) is held out and a first model fitted on the rest measures each tier's
    conversion (``recommender.model.calibration.from_arrays`` on the driver). MLlib cannot
    warm-start, so the final model is a second full fit on all interactions: training costs
    two fits. ``holdout=0`` skips it; the model then has no calibration.

    ``films``/``users`` are extra catalog / user-attribute CSVs (local files, read on the
    driver). ``spark`` reuses a session; otherwise the active one or a new one on ``master``
    (stopped at the end if this call started it). ``data`` ``-`` is standard input, copied
    once to a temporary file that a local master reads (``stdin_data``); a pipe given as a
    path is refused before Spark starts.
    """
    from recommender.io.stdin import is_stdin, shown, spooled
    from recommender.spark.stdin_data import check_spool_master, refuse_pipe_path

    config = _checked(config)  # before standard input is read, as before Spark starts
    refuse_pipe_path(str(data))
    extra = [None if f is None else str(f) for f in (films, users)]

    def source_of(read: str) -> Callable[[SparkSession, bool], Source]:
        def source(session: SparkSession, show: bool) -> Source:
            check_spool_master(read, session.sparkContext.master or "")
            say(show, f"spark {session.version}: reading {shown(read)} ...")
            src = read_source(session, read, *extra)
            src.source = shown(src.source)  # standard input's copy: <stdin>, as locally
            return src
        return source

    if not is_stdin(data):  # a path or URI as given (a Path would fold hdfs:// to hdfs:/)
        return _train_in_session(source_of(str(data)), config, master, spark, progress)
    with spooled(data) as path:  # copied once, removed after; its errors name <stdin>
        return _train_in_session(source_of(str(path)), config, master, spark, progress)


def train_spark_interactions(
    data: Interactions,
    config: TrainConfig | None = None,
    master: str = "local[*]",
    *,
    spark: SparkSession | None = None,
    progress: bool | None = None,
) -> Model:
    """``train_spark`` on interactions already in memory (e.g. an evaluation split's training
    part): they are handed to Spark as one Arrow table. The model's id order is Spark's."""
    return _train_in_session(lambda session, _show: source_from_interactions(session, data),
                             config, master, spark, progress)


def _train_in_session(
    source: Callable[[SparkSession, bool], Source],
    config: TrainConfig | None,
    master: str,
    spark: SparkSession | None,
    progress: bool | None,
) -> Model:
    """Validate ``config``, get a session (stopped at the end only if started here), build the
    source in it and train."""
    config = _checked(config)
    show = show_progress(progress)
    min_cell_from_env()  # a misconfigured RECOMMENDER_MIN_CELL: said before the session
    with session_scope(spark, master, show) as session:
        return _train(session, source(session, show), config, show, master)


def _checked(config: TrainConfig | None) -> TrainConfig:
    """``config`` (the defaults when None) validated, and refused where Spark's ALS cannot
    follow it (another model or family, a warm start, conjugate-gradient steps)."""
    config = (config or TrainConfig()).validate()
    if config.model != "als":
        raise InvalidParameterError(f"--engine spark trains ALS only (MLlib); got --model "
                                    f"{config.model}")
    if config.family != "als":
        raise InvalidParameterError(f"--engine spark trains the ALS family only (MLlib); got "
                                    f"--family {config.family}")
    if config.warm_iterations is not None:  # not silently ignored
        raise InvalidParameterError(
            f"--engine spark does not read warm_iterations ({config.warm_iterations}): MLlib "
            "cannot warm-start, so the final model is always a second fit on all interactions")
    if config.cg_steps != TrainConfig().cg_steps:  # not silently ignored either
        raise InvalidParameterError(
            f"--engine spark does not read cg_steps ({config.cg_steps}): MLlib's ALS solves "
            "each least-squares step exactly (--cg-steps is the local engine's)")
    return config


def _train(spark: SparkSession, src: Source, config: TrainConfig, show: bool, master: str
           ) -> Model:
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    t0 = time.perf_counter()
    merged = merge_events(src.events, src.has_rating, src.has_timestamp).persist(
        StorageLevel.MEMORY_AND_DISK)
    refuse_summed_past_float32(merged, src.source)
    say(show, "indexing ids ...")
    user_map, user_ids = index_ids(merged, USER_ID)
    film_map, film_ids = index_ids(merged, FILM_ID)
    n_users, n_films = len(user_ids), len(film_ids)
    rest = [c for c in (WEIGHT, RATING, TIMESTAMP) if c in merged.columns]
    if config.min_rating is not None and not src.has_rating:
        raise DataError(src.source, f"--min-rating {config.min_rating:g} needs ratings, and "
                                    "this log has none (no rating column)")
    # --min-rating keeps low ratings out of the fit only: a film a user rated low is still a
    # film they watched (never in its audience), and watching is what conversion counts
    liked = (sf.col(RATING).isNull() | sf.isnan(RATING)
             | (sf.col(RATING) >= sf.lit(float(config.min_rating)))) \
        if config.min_rating is not None and src.has_rating else sf.lit(True)
    kept = (merged
            .join(user_map.select(sf.col("id").alias(USER_ID), sf.col("idx").alias("u")), USER_ID)
            .join(film_map.select(sf.col("id").alias(FILM_ID), sf.col("idx").alias("f")), FILM_ID)
            .select("u", "f", *rest, liked.alias("liked")))
    kept, by_time = _holdout(kept, config.holdout, config.seed, src.has_timestamp)
    kept = kept.persist(StorageLevel.MEMORY_AND_DISK)
    with_ts = src.has_timestamp and TIMESTAMP in kept.columns
    pairs = kept.select("u", "f", "held", "liked",
                        *([sf.coalesce(sf.col(TIMESTAMP).cast("long"), sf.lit(0)).alias("ts")]
                          if with_ts else []),
                        # float, as the local reader holds ratings: the same median
                        *([sf.col(RATING).cast("float").alias("r")]
                          if src.has_rating and RATING in kept.columns else [])).toArrow()
    rated = (np.asarray(pairs.column("r").to_numpy(zero_copy_only=False), np.float64)
             if "r" in pairs.column_names else None)
    fill = None if rated is None else event_rating(rated[~np.isnan(rated)], config.min_rating)
    del rated
    nnz = pairs.num_rows
    u = np.asarray(pairs.column("u").to_numpy(), np.int32)
    f = np.asarray(pairs.column("f").to_numpy(), np.int32)
    held = np.asarray(pairs.column("held").to_numpy(zero_copy_only=False), bool)
    liked_rows = np.asarray(pairs.column("liked").to_numpy(zero_copy_only=False), bool)
    n_liked, n_fit = int(liked_rows.sum()), int((liked_rows & ~held).sum())
    ts = np.asarray(pairs.column("ts").to_numpy(), np.int64) if with_ts else None
    del pairs
    if n_liked == 0:
        raise DataError(src.source, "no interactions left to train on"
                        + (f" after --min-rating {config.min_rating:g}"
                           if config.min_rating is not None else ""))
    seen = _csr(u, f, n_users, n_films)
    params = spark_params(config, n_users, n_films, n_liked)
    fitted = kept.filter(sf.col("liked"))
    calib: dict[str, Any] = {}
    if held.any() and n_fit:
        say(show, "fitting MLlib ALS on the calibration split ...")
        fit_part = fitted.filter(~sf.col("held"))
        conf_fit = spark_confidence(fit_part, config, n_users, src.has_rating)
        uf, ff = _fit(conf_fit, params, n_users, n_films)
        calib = calibration.from_arrays(uf, ff, u, f, ts if by_time else None, held, n_users,
                                        n_films, seed=config.seed)
        calib["holdout"] = ("latest" if by_time else "random") + \
            f" {config.holdout:.0%} of training interactions"
    say(show, f"fitting MLlib ALS ({config.factors} factors, {config.iterations} iterations) "
               f"on {n_users:,} users x {n_films:,} films x {n_liked:,} interactions ...")
    conf = spark_confidence(fitted, config, n_users, src.has_rating)
    uf, ff = _fit(conf, params, n_users, n_films)
    digest, rows_read = fingerprint(merged, n_users, n_films, nnz)  # one pass: both
    kept.unpersist()
    merged.unpersist()
    user_map.unpersist()
    film_map.unpersist()

    users_map, films_map = IdMap(user_ids), IdMap(film_ids)
    catalog = (src.catalog.aligned_to(films_map) if src.catalog is not None
               else Catalog(films_map.ids.copy(), np.full(n_films, "", dtype=str),
                            np.zeros(n_films, np.int32), np.full(n_films, "", dtype=str)))
    user_table = (src.user_table.aligned_to(users_map) if src.user_table is not None
                  else UserTable(users_map.ids.copy(), {}))
    min_size = min_cell_from_env()  # no segment describes fewer users than an answer may
    labels = segments.kmeans(uf, config.segments, seed=config.seed, min_size=min_size)
    seg = Segments(labels, segments.describe(labels, seen, catalog))
    meta = _meta(src, users_map, films_map, config, time.perf_counter() - t0, digest,
                 (nnz, rows_read), n_liked, params, spark, master, ts)
    if seg.n != config.segments:  # as the local engine records it
        meta["segments"] = {"asked": config.segments, "found": int(seg.n), "min_size": min_size}
    if fill is not None:  # what a recorded event's new pair stands for (the overlay)
        meta["data"]["event_rating"] = fill
    from recommender.model import fit_scale
    from recommender.model.training import NOTHING_BEFORE_HOLDOUT, unliked_films, unliked_meta

    fit_scale.record(meta, uf, ff, config, seen)  # learned_nothing or collapsed, as local's
    if held.any() and not n_fit:
        meta["refit"] = NOTHING_BEFORE_HOLDOUT
    elif not held.any():  # a log too small for the holdout to draw anything
        meta["refit"] = "none: no calibration holdout, one fit on all interactions"

    # the final fit is on every liked interaction (MLlib refits fresh), as the local count
    unfitted = fitted_pairs.record(meta, seen, u[liked_rows], f[liked_rows])  # reasons skip them
    unliked = unliked_films(f, f[liked_rows], n_films)
    if unliked:
        meta["films_without_liked"] = unliked_meta(unliked, config.min_rating)
    catalog_only.write(meta, src.catalog, films_map)
    return Model(users=users_map, films=films_map, user_factors=uf, film_factors=ff, seen=seen,
                 seen_by_film=seen.T.tocsr(), catalog=catalog, user_table=user_table,
                 segments=seg, meta=meta, calibration=calib,
                 # over the final fit's interactions, as the local trainer's
                 film_prior=prior.of_fit(f[liked_rows], None if ts is None else ts[liked_rows],
                                         n_films, uf, ff, config), unfitted=unfitted)


def _csr(rows: NDArray[np.int32], cols: NDArray[np.int32], n_rows: int, n_cols: int
         ) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_rows, n_cols),
                      dtype=np.float32)
    m.sum_duplicates()
    m.sort_indices()
    return m


def _meta(src: Source, users: IdMap, films: IdMap, config: TrainConfig, seconds: float,
          digest: str, counts: tuple[int, int], n_liked: int, params: dict[str, Any],
          spark: SparkSession, master: str, ts: NDArray[np.int64] | None) -> dict[str, Any]:
    import pyspark

    from recommender.model.meta import build_meta, model_version, time_span

    empty = np.zeros(0, np.int32)
    shim = Interactions(users=users, films=films, user_idx=empty, film_idx=empty,
                        weight=np.zeros(0, np.float32),
                        rating=np.zeros(0, np.float32) if src.has_rating else None,
                        timestamp=np.zeros(0, np.int64) if src.has_timestamp else None,
                        source=src.source, user_table=src.user_table,
                        # the log's rows, and its duplicate rows merged, as the local reader's
                        rows_read=counts[1], rows_merged=counts[1] - counts[0],
                        # a blank rating is refused ("bad rating"), as the local default does
                        blank_ratings="refuse")
    nnz = counts[0]
    meta = build_meta(shim, config, seconds)
    created = datetime.fromisoformat(meta["created"])
    meta["model_version"] = model_version(created, digest, meta["params"])
    meta["model"] = MODEL_NAME
    meta["data"].update(fingerprint=digest, interactions=int(nnz), **time_span(ts))
    if n_liked != nnz:
        meta["data"]["interactions_fitted"] = int(n_liked)
    meta["engine"] = {
        "name": "spark",
        "master": spark.sparkContext.master or master,
        "spark_version": spark.version,
        "mllib_als": params,
        "confidence": "MLlib rating r = max(value - 1/alpha, 1e-6), so 1 + alpha*r = "
                      "alpha*value as in implicit",
        "regularization": "regParam = regularization / mean interactions per user and film "
                          "(MLlib scales it by each row's count)",
    }
    meta["versions"]["pyspark"] = pyspark.__version__
    meta["refit"] = ("fresh: a second fit on all interactions (MLlib cannot warm-start)"
                     if config.holdout > 0 else
                     "none: no calibration holdout, one fit on all interactions")
    return meta


class SparkTrainer:
    """The Spark MLlib trainer: :func:`train_spark_interactions` behind the ``Trainer``
    interface (``recommender.model.trainer``). A session handed in is reused and left running;
    otherwise each ``fit`` uses the active session or starts one on ``master`` and stops it."""

    name = "spark"

    def __init__(self, master: str = "local[2]", progress: bool = False,
                 spark: SparkSession | None = None) -> None:
        self.master = master
        self.progress = progress
        self.spark = spark

    def fit(self, source: Interactions, config: TrainConfig | None = None) -> Model:
        return train_spark_interactions(source, config, self.master, spark=self.spark,
                                        progress=self.progress)
