"""The Apache Spark engine: train implicit-feedback ALS with Spark MLlib and batch-score every
film's audience in Spark, reading and writing the same model folder as the local engine.

``train_spark(data, config)`` reads a CSV or Parquet file (a local path or any URI Spark reads:
``hdfs://``, ``s3a://`` ...) or a local dataset folder, merges duplicated (user, film) events,
maps the string ids to integer indices, weights the interactions and fits
``pyspark.ml.recommendation.ALS`` (``implicitPrefs=True``), all inside Spark. The factors, id
arrays and training interactions are then collected on the driver and saved with
``recommender.model.artifact.save``, so ``serve``, ``audience`` and every other command use the
model unchanged. The driver therefore needs the memory of the model folder itself (factors + the
seen CSR, 8 bytes per interaction); the heavy work (parsing, merging, weighting, the ALS
sweeps) is distributed.

How the local engine's hyper-parameters map onto MLlib (``spark_params``):

- **Weighting** (``--weighting``): the same formulas as ``recommender.model.weighting`` as column
  expressions (BM25 through per-film and per-user counts joined back), so the values are the
  local engine's to float rounding.
- **Confidence**: ``implicit`` uses ``c = alpha * value``; MLlib uses ``c = 1 + alpha * r``.
  Feeding MLlib ``r = value - 1/alpha`` gives exactly ``alpha * value`` (entries whose
  ``alpha * value`` is below 1 are clamped to a tiny positive ``r``, i.e. ``c`` just above 1).
- **Regularisation**: MLlib scales ``regParam`` by each row's number of interactions
  (ALS-WR, ``lambda_u = regParam * n_u``), ``implicit`` does not (``lambda_u = regularization``).
  We pass ``regParam = regularization / mean interactions per user and film``, so an average
  row gets the local engine's penalty (heavy users a larger one, light users a smaller one).
- ``factors`` -> ``rank``, ``iterations`` -> ``maxIter``, ``seed`` -> ``seed``,
  ``nonnegative=False``. Only ``--model als`` exists on Spark.
- **Tier calibration**: as locally, the latest ``holdout`` share (by timestamp, else a seeded
  random share) is held out and a first model fitted on the rest measures each tier's
  conversion (``recommender.model.calibration.measure`` on the driver). MLlib cannot warm-start, so
  the final model is a second full fit on all interactions: training costs two fits. Pass
  ``--holdout 0`` to skip it; the model then has no calibration (tiers have no expected
  conversion).

``batch_audiences_spark(model_dir, k, out)`` computes every film's top-k audience with the
seen-exclusion in Spark: film factors are broadcast, user factors (with each user's seen films)
are spread over tasks, each task keeps a running top-k per film over its users (numpy matrix
products in ``mapInArrow``), and a window function (score descending, user index ascending)
picks the global top-k. Output: Parquet partitioned by ``film_id`` with the columns of
``recommender audiences`` (``film_id,user_id,rank,score,percentile,tier,segment``); read it
back with :func:`read_audiences` (which keeps ``film_id`` a string).

``pyspark`` is imported lazily inside the functions, so the library imports without it.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import (
    DataError,
    InvalidParameterError,
    RecommenderError,
    UnknownFilmError,
)
from recommender.io.columns import (
    AUDIENCE_COLUMNS,
    FILM_ID,
    RATING,
    TIMESTAMP,
    USER_ID,
    WEIGHT,
)
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.io.ids import IdMap
from recommender.model import calibration, segments
from recommender.model.config import DEFAULT_TIERS, TrainConfig, check_tiers
from recommender.model.model import Model, Segments

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

PYSPARK_INSTALL = "pip install '.[spark]'  (or: pip install 'pyspark>=4.0' 'pandas>=2.2,<3')"
JAVA_INSTALL = ("install a Java runtime, version 17 or later (Debian/Ubuntu: "
                "`sudo apt-get install default-jre-headless`), or set JAVA_HOME to one")
MODEL_NAME = "als-spark"
_CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_EXPECTED = "user_id,film_id[,rating][,weight][,timestamp]"
# the smallest MLlib rating we feed (confidence just above 1, see the module docstring)
_MIN_R = 1e-6


class SparkUnavailableError(RecommenderError):
    """``--engine spark`` cannot run here: pyspark or a Java runtime is missing."""


# --------------------------------------------------------------------------------------------
# Session
# --------------------------------------------------------------------------------------------


def require_pyspark() -> None:
    """Raise ``SparkUnavailableError`` (saying what to install) when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
        import pyspark.sql  # noqa: F401
    except ImportError as e:
        raise SparkUnavailableError(
            f"--engine spark needs pyspark, which is not installed ({e}); install it with "
            f"{PYSPARK_INSTALL}") from None


def check_java() -> str:
    """Path of the Java runtime Spark will start (``$JAVA_HOME/bin/java``, else ``java`` on
    PATH); raises ``SparkUnavailableError`` saying what to install when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if java.is_file() and os.access(java, os.X_OK):
            return str(java)
        raise SparkUnavailableError(
            f"--engine spark needs a Java runtime, but JAVA_HOME={home} has no bin/java; "
            f"fix JAVA_HOME or unset it, or {JAVA_INSTALL}")
    found = shutil.which("java")
    if found is None:
        raise SparkUnavailableError(
            f"--engine spark needs a Java runtime and none was found (no JAVA_HOME, no `java` "
            f"on PATH); {JAVA_INSTALL}")
    return found


def _is_local_master(master: str) -> bool:
    return master.startswith("local")


def get_session(master: str = "local[*]", conf: dict[str, str] | None = None
                ) -> tuple[SparkSession, bool]:
    """The active SparkSession (under ``spark-submit`` or in a notebook), else a new one on
    ``master``. Returns ``(session, created)``; stop it only when ``created``.

    Under ``spark-submit`` the master and resources come from ``spark-submit``'s options.
    For a local master the driver binds to 127.0.0.1 and the Python workers use this
    interpreter.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    under_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if not under_submit:
        check_java()
    builder = SparkSession.builder.appName("recommender")
    settings: dict[str, str] = {
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "true" if sys.stderr.isatty() else "false",
    }
    if not under_submit:
        builder = builder.master(master)
        if _is_local_master(master):
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            settings.update({
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.sql.shuffle.partitions": str(max(4, 2 * (os.cpu_count() or 2))),
                "spark.ui.enabled": "false",
            })
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # the JVM did not start (wrong Java version, no memory, ...)
        raise SparkUnavailableError(f"could not start Spark on {master} ({e}); Spark 4 needs "
                                    f"Java 17 or later: {JAVA_INSTALL}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session, True


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """Raw events in Spark: user_id, film_id (strings), weight (double), rating (double, when
    present), timestamp (long, when present), _order (file order)."""

    events: DataFrame
    has_rating: bool
    has_timestamp: bool
    catalog: Catalog | None
    user_table: UserTable | None
    source: str


def _is_uri(path: str) -> bool:
    scheme = urlparse(path).scheme
    return len(scheme) > 1 and scheme != "file"


def _local_path(path: str) -> Path:
    return Path(urlparse(path).path) if path.startswith("file:") else Path(path)


def _read_source(spark: SparkSession, data: str, films: str | None, users: str | None
                 ) -> _Source:
    """Dataset folders (and the formats only the local readers know: ``.dat``, MovieLens
    ``u.data``, FilmTrust) go through ``recommender.io.readers.load`` on the driver; CSV and Parquet
    files, Parquet folders and URIs are read by Spark."""
    from recommender.io import readers

    data = str(data)
    if not _is_uri(data):
        p = _local_path(data)
        if not p.exists():
            raise DataError(str(p), "no such file or folder")
        spark_file = p.is_file() and p.name.lower().endswith(_CSV_SUFFIXES + _PARQUET_SUFFIXES)
        parquet_dir = p.is_dir() and not _has_layout(p) and any(
            q.suffix.lower() in _PARQUET_SUFFIXES for q in p.rglob("*"))
        if not (spark_file or parquet_dir):
            inter = readers.load(p, films=films, users=users)
            return _source_from_interactions(spark, inter)
        data = str(p.resolve())
    catalog = readers.read_films(films) if films else None
    user_table = readers.read_users(users) if users else None
    events, has_rating, has_ts = _read_events(spark, data)
    return _Source(events, has_rating, has_ts, catalog, user_table, data)


def _has_layout(folder: Path) -> bool:
    from recommender.io.readers import FOLDER_LAYOUTS

    dirs = [folder] + [d for d in folder.iterdir() if d.is_dir()]
    return any((d / f).is_file() for d in dirs for _, files in FOLDER_LAYOUTS for f in files)


def _source_from_interactions(spark: SparkSession, inter: Interactions) -> _Source:
    cols: dict[str, Any] = {
        USER_ID: pa.array(inter.users.ids).take(pa.array(inter.user_idx)),
        FILM_ID: pa.array(inter.films.ids).take(pa.array(inter.film_idx)),
        WEIGHT: pa.array(inter.weight.astype(np.float64)),
    }
    if inter.rating is not None:
        cols[RATING] = pa.array(inter.rating.astype(np.float64))
    if inter.timestamp is not None:
        cols[TIMESTAMP] = pa.array(inter.timestamp.astype(np.int64))
    cols["_order"] = pa.array(np.arange(len(inter), dtype=np.int64))
    events = spark.createDataFrame(pa.table(cols))
    return _Source(events, inter.rating is not None, inter.timestamp is not None,
                   inter.catalog, inter.user_table, inter.source)


def _read_events(spark: SparkSession, path: str) -> tuple[DataFrame, bool, bool]:
    from pyspark.sql import functions as sf
    from pyspark.sql import types as st

    name = path.lower().rstrip("/")
    try:
        if name.endswith(_CSV_SUFFIXES):
            sep = "\t" if ".tsv" in name else ","
            raw = (spark.read.option("header", True).option("sep", sep)
                   .option("inferSchema", False).option("mode", "FAILFAST")
                   .option("encoding", "UTF-8").csv(path))
        else:
            raw = spark.read.parquet(path)
        names = raw.columns
    except Exception as e:
        raise DataError(path, f"Spark could not read it ({_short(e)}); expected CSV with a "
                        f"header or Parquet, with columns {_EXPECTED}") from None
    from recommender.io.readers import canonical_column

    canon = [canonical_column(n) for n in names]
    picked: dict[str, str] = {}
    for n, c in zip(names, canon, strict=True):
        if c is None:
            continue
        if c in picked:
            raise DataError(path, f"columns {picked[c]!r} and {n!r} both mean {c}; keep one")
        picked[c] = n
    missing = [c for c in (USER_ID, FILM_ID) if c not in picked]
    if missing:
        raise DataError(path, f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)}; expected columns {_EXPECTED}; found columns "
                        f"{', '.join(repr(n) for n in names)}")
    fields = {f.name: f.dataType for f in raw.schema.fields}
    for c in (USER_ID, FILM_ID):
        if isinstance(fields[picked[c]], st.FloatType | st.DoubleType):
            raise DataError(path, f"column {c} holds floating-point numbers; store ids as "
                            "strings (or integers)")

    def col(c: str) -> Column:
        return sf.col(f"`{picked[c]}`")

    def as_double(c: str) -> Column:
        return sf.expr(f"try_cast(try_cast(`{picked[c]}` as string) as double)")

    select: dict[str, Column] = {
        USER_ID: col(USER_ID).cast("string"),
        FILM_ID: col(FILM_ID).cast("string"),
        WEIGHT: as_double(WEIGHT) if WEIGHT in picked else sf.lit(1.0),
    }
    if RATING in picked:
        select[RATING] = as_double(RATING)
    if TIMESTAMP in picked:
        select[TIMESTAMP] = sf.coalesce(
            sf.floor(sf.expr(f"try_cast(try_cast(`{picked[TIMESTAMP]}` as string) as double)")),
            sf.unix_timestamp(sf.expr(f"try_cast(try_cast(`{picked[TIMESTAMP]}` as string) "
                                    "as timestamp)")),
        ).cast("long")
    numeric = [c for c in (RATING, WEIGHT, TIMESTAMP) if c in picked]
    events = raw.select(*[v.alias(k) for k, v in select.items()],
                        *[sf.expr(f"try_cast(`{picked[c]}` as string)").alias(f"_raw_{c}")
                          for c in numeric])
    _validate_events(events, path, picked)
    events = (events.drop(*[f"_raw_{c}" for c in numeric])
              .withColumn("_order", sf.monotonically_increasing_id()))
    return events, RATING in picked, TIMESTAMP in picked


def _validate_events(events: DataFrame, path: str, picked: dict[str, str]) -> None:
    """One pass over the data: empty ids, non-numeric numbers, unreadable timestamps."""
    from pyspark.sql import functions as sf

    checks: dict[str, tuple[Column, str]] = {
        f"empty {USER_ID}": (sf.col(USER_ID).isNull() | (sf.length(USER_ID) == 0),
                             "expected a non-empty id"),
        f"empty {FILM_ID}": (sf.col(FILM_ID).isNull() | (sf.length(FILM_ID) == 0),
                             "expected a non-empty id"),
    }
    for c in (RATING, WEIGHT):
        if c in picked:
            v = sf.col(c)
            checks[f"bad {c}"] = (v.isNull() | sf.isnan(v) | (sf.abs(v) == float("inf")),
                                  "expected a finite number")
    if TIMESTAMP in picked:
        checks["bad timestamp"] = (sf.col(TIMESTAMP).isNull(), "expected unix seconds or an ISO "
                                   "8601 date such as 2020-01-31 or 2020-01-31T12:00:00Z")
    aggs = [sf.count(sf.lit(1)).alias("_n")]
    for i, (cond, _) in enumerate(checks.values()):
        aggs.append(sf.sum(sf.when(cond, 1).otherwise(0)).alias(f"c{i}"))
    try:
        row = events.agg(*aggs).collect()[0]
    except Exception as e:
        raise DataError(path, f"Spark could not parse it ({_short(e)}); expected CSV with a "
                        f"header or Parquet, with columns {_EXPECTED}") from None
    if row["_n"] == 0:
        raise DataError(path, "no interactions: expected at least one data row")
    for i, (what, (cond, expected)) in enumerate(checks.items()):
        n_bad = int(row[f"c{i}"] or 0)
        if n_bad:
            column = what.split(" ", 1)[1]
            src = f"_raw_{column}" if column in picked and column not in (USER_ID, FILM_ID) \
                else column
            example = events.filter(cond).select(src).limit(1).collect()
            shown = "" if not example or example[0][0] is None else f", e.g. {example[0][0]!r}"
            raise DataError(path, f"{n_bad:,} row{'s' if n_bad > 1 else ''} with {what}"
                            f"{shown}; {expected}")


def _short(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__


# --------------------------------------------------------------------------------------------
# Preparing the training matrix
# --------------------------------------------------------------------------------------------


def _index_ids(events: DataFrame, column: str) -> tuple[DataFrame, NDArray[np.str_]]:
    """Consecutive integer indices for the distinct values of ``column``, computed in Spark
    (partition offsets + ``monotonically_increasing_id``, no single-partition window).

    Returns a persisted DataFrame ``(id, idx)`` and the ids in index order (on the driver).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    spark = events.sparkSession
    ids = (events.select(sf.col(column).alias("id")).distinct()
           .select("id", sf.spark_partition_id().alias("_p"),
                   sf.monotonically_increasing_id().alias("_m"))
           .persist(StorageLevel.MEMORY_AND_DISK))
    counts = sorted((int(r["_p"]), int(r["count"])) for r in ids.groupBy("_p").count().collect())
    starts = np.cumsum([0] + [c for _, c in counts])[:-1]
    offsets = spark.createDataFrame(
        pa.table({"_p": pa.array([p for p, _ in counts], pa.int32()),
                  "_off": pa.array(starts.astype(np.int64), pa.int64())}))
    indexed = (ids.join(sf.broadcast(offsets), "_p")
               .select("id", (sf.col("_off") + sf.col("_m")
                              - sf.shiftleft(sf.col("_p").cast("long"), 33)).cast("int")
                       .alias("idx"))
               .persist(StorageLevel.MEMORY_AND_DISK))
    table = indexed.toArrow()
    n = table.num_rows
    order = np.asarray(table.column("idx").to_numpy(), np.int64)
    if n and not np.array_equal(np.sort(order), np.arange(n)):
        raise RuntimeError(f"internal error: Spark id indexing of {column} is not consecutive")
    out = np.empty(n, dtype=object)
    out[order] = table.column("id").to_numpy(zero_copy_only=False)
    ids.unpersist()
    return indexed, out.astype(str)


def _merge(events: DataFrame, has_rating: bool, has_ts: bool) -> DataFrame:
    """One row per (user_id, film_id), as ``Interactions.from_columns`` merges: weights
    summed, the rating of the latest event (timestamp, then file order), the latest
    timestamp."""
    from pyspark.sql import functions as sf

    latest = sf.struct(sf.coalesce(sf.col(TIMESTAMP), sf.lit(-(2**63))) if has_ts else sf.lit(0),
                      sf.col("_order"))
    aggs = [sf.sum(WEIGHT).alias(WEIGHT)]
    if has_rating:
        aggs.append(sf.max_by(RATING, latest).alias(RATING))
    if has_ts:
        aggs.append(sf.max(TIMESTAMP).alias(TIMESTAMP))
    return events.groupBy(USER_ID, FILM_ID).agg(*aggs)


def _fingerprint(merged: DataFrame, n_users: int, n_films: int, nnz: int) -> str:
    """An order-independent sha256 of the merged interactions (xor of per-row xxhash64)."""
    from pyspark.sql import functions as sf

    cols = [c for c in (USER_ID, FILM_ID, WEIGHT, RATING, TIMESTAMP) if c in merged.columns]
    row = merged.agg(sf.bit_xor(sf.xxhash64(*cols)).alias("h"),
                     sf.sum(sf.col(WEIGHT)).alias("w")).collect()[0]
    text = f"{n_users}:{n_films}:{nnz}:{row['h']}:{row['w']!r}:{','.join(cols)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _confidence(df: DataFrame, config: TrainConfig, n_users: int, has_rating: bool
                ) -> DataFrame:
    """``(u, f, value)``: ``recommender.model.weighting.confidence`` as Spark column expressions."""
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
    """MLlib ALS parameters corresponding to the local engine's ``config`` (see the module
    docstring for the correspondence)."""
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
    return uf, ff


def _collect_factors(df: DataFrame, n: int, rank: int) -> NDArray[np.float32]:
    table = df.toArrow()
    out = np.zeros((n, rank), np.float32)
    if table.num_rows:
        ids = np.asarray(table.column("id").to_numpy(), np.int64)
        feats = table.column("features").combine_chunks().flatten()
        out[ids] = np.asarray(feats.to_numpy(zero_copy_only=False), np.float32).reshape(-1, rank)
    return out


def _holdout(df: DataFrame, share: float, seed: int, has_ts: bool) -> DataFrame:
    """``df`` with a boolean ``held`` column: the latest ``share`` of the interactions by
    timestamp (cut at an approximate quantile), or a seeded random ``share``."""
    from pyspark.sql import functions as sf

    if share <= 0:
        return df.withColumn("held", sf.lit(False))
    if has_ts:
        cut = df.approxQuantile(TIMESTAMP, [1.0 - share], 1e-4)
        if cut:
            return df.withColumn("held", sf.coalesce(sf.col(TIMESTAMP) > sf.lit(cut[0]),
                                                    sf.lit(False)))
    return df.withColumn("held", sf.rand(seed) < sf.lit(share))


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


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
    and return a ``Model`` ready for ``artifact.save``.

    ``films``/``users`` are extra catalog / user-attribute CSVs (local files, read on the
    driver). ``spark`` reuses a session; otherwise the active one or a new one on ``master``
    (stopped at the end if this call started it).
    """
    def source(session: SparkSession, show: bool) -> _Source:
        _say(show, f"spark {session.version}: reading {data} ...")
        return _read_source(session, str(data), None if films is None else str(films),
                            None if users is None else str(users))

    return _train_in_session(source, config, master, spark, progress)


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
    return _train_in_session(lambda session, _show: _source_from_interactions(session, data),
                             config, master, spark, progress)


def _train_in_session(
    source: Callable[[SparkSession, bool], _Source],
    config: TrainConfig | None,
    master: str,
    spark: SparkSession | None,
    progress: bool | None,
) -> Model:
    """Validate ``config``, get a session (stopped at the end only if started here), build the
    source in it and train."""
    config = (config or TrainConfig()).validate()
    if config.model != "als":
        raise InvalidParameterError(f"--engine spark trains ALS only (MLlib); got --model "
                                    f"{config.model}")
    show = sys.stderr.isatty() if progress is None else progress
    created = False
    if spark is None:
        spark, created = get_session(master)
    try:
        return _train(spark, source(spark, show), config, show, master)
    finally:
        if created:
            spark.stop()


def _say(show: bool, message: str) -> None:
    if show:
        print(message, file=sys.stderr, flush=True)


def _train(spark: SparkSession, src: _Source, config: TrainConfig, show: bool, master: str
           ) -> Model:
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    t0 = time.perf_counter()
    merged = _merge(src.events, src.has_rating, src.has_timestamp).persist(
        StorageLevel.MEMORY_AND_DISK)
    _say(show, "indexing ids ...")
    user_map, user_ids = _index_ids(merged, USER_ID)
    film_map, film_ids = _index_ids(merged, FILM_ID)
    n_users, n_films = len(user_ids), len(film_ids)
    rest = [c for c in (WEIGHT, RATING, TIMESTAMP) if c in merged.columns]
    if config.min_rating is not None and src.has_rating:
        kept_str = merged.filter(sf.col(RATING).isNull() | sf.isnan(RATING)
                                 | (sf.col(RATING) >= sf.lit(float(config.min_rating))))
    else:
        kept_str = merged
    kept = (kept_str
            .join(user_map.select(sf.col("id").alias(USER_ID), sf.col("idx").alias("u")), USER_ID)
            .join(film_map.select(sf.col("id").alias(FILM_ID), sf.col("idx").alias("f")), FILM_ID)
            .select("u", "f", *rest))
    kept = _holdout(kept, config.holdout, config.seed, src.has_timestamp).persist(
        StorageLevel.MEMORY_AND_DISK)
    pairs = kept.select("u", "f", "held").toArrow()
    nnz = pairs.num_rows
    if nnz == 0:
        raise DataError(src.source, "no interactions left to train on"
                        + (f" after --min-rating {config.min_rating}" if config.min_rating
                           else ""))
    u = np.asarray(pairs.column("u").to_numpy(), np.int32)
    f = np.asarray(pairs.column("f").to_numpy(), np.int32)
    held = np.asarray(pairs.column("held").to_numpy(zero_copy_only=False), bool)
    del pairs
    seen = _csr(u, f, n_users, n_films)
    params = spark_params(config, n_users, n_films, nnz)
    calib: dict[str, Any] = {}
    if held.any() and (~held).any():
        _say(show, "fitting MLlib ALS on the calibration split ...")
        fit_part = kept.filter(~sf.col("held"))
        conf_fit = _confidence(fit_part, config, n_users, src.has_rating)
        uf, ff = _fit(conf_fit, params, n_users, n_films)
        fit_by_film = _csr(f[~held], u[~held], n_films, n_users)
        held_by_film = _csr(f[held], u[held], n_films, n_users)
        calib = calibration.measure(uf, ff, fit_by_film, held_by_film, seed=config.seed)
        calib["holdout"] = ("latest" if src.has_timestamp else "random") + \
            f" {config.holdout:.0%} of training interactions"
    _say(show, f"fitting MLlib ALS ({config.factors} factors, {config.iterations} iterations) "
               f"on {n_users:,} users x {n_films:,} films x {nnz:,} interactions ...")
    conf = _confidence(kept, config, n_users, src.has_rating)
    uf, ff = _fit(conf, params, n_users, n_films)
    fingerprint = _fingerprint(kept_str, n_users, n_films, nnz)
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
    labels = segments.kmeans(uf, config.segments, seed=config.seed)
    seg = Segments(labels, segments.describe(labels, seen, catalog))
    meta = _meta(src, users_map, films_map, config, time.perf_counter() - t0, fingerprint, nnz,
                 params, spark, master)
    return Model(users=users_map, films=films_map, user_factors=uf, film_factors=ff, seen=seen,
                 seen_by_film=seen.T.tocsr(), catalog=catalog, user_table=user_table,
                 segments=seg, meta=meta, calibration=calib)


def _csr(rows: NDArray[np.int32], cols: NDArray[np.int32], n_rows: int, n_cols: int
         ) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_rows, n_cols),
                      dtype=np.float32)
    m.sum_duplicates()
    m.sort_indices()
    return m


def _meta(src: _Source, users: IdMap, films: IdMap, config: TrainConfig, seconds: float,
          fingerprint: str, nnz: int, params: dict[str, Any], spark: SparkSession,
          master: str) -> dict[str, Any]:
    import pyspark

    from recommender.model.training import build_meta

    empty = np.zeros(0, np.int32)
    shim = Interactions(users=users, films=films, user_idx=empty, film_idx=empty,
                        weight=np.zeros(0, np.float32),
                        rating=np.zeros(0, np.float32) if src.has_rating else None,
                        timestamp=np.zeros(0, np.int64) if src.has_timestamp else None,
                        source=src.source)
    meta = build_meta(shim, config, seconds)
    stamp = meta["model_version"].rsplit("-", 1)[0]
    meta["model_version"] = f"{stamp}-{fingerprint[:8]}"
    meta["model"] = MODEL_NAME
    meta["data"].update(fingerprint=fingerprint, interactions=int(nnz))
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
    return meta


# --------------------------------------------------------------------------------------------
# Batch audiences
# --------------------------------------------------------------------------------------------


def batch_audiences_spark(
    model_dir: str | os.PathLike[str],
    k: int,
    out: str | os.PathLike[str],
    master: str = "local[*]",
    *,
    films: Sequence[str] | None = None,
    spark: SparkSession | None = None,
    exclude_seen: bool = True,
    tiers: tuple[tuple[str, float], ...] = DEFAULT_TIERS,
    users_per_partition: int = 200_000,
    film_chunk: int = 512,
    progress: bool | None = None,
) -> int:
    """Every film's top-``k`` audience computed in Spark, written to ``out`` (a ``.parquet``
    folder, partitioned by ``film_id``); returns the number of rows. ``films`` restricts it to
    those film ids (unknown ids raise ``UnknownFilmError``).

    Same rows as ``recommender.query.export.write_audiences(model, all films, k, out)`` (rank order:
    score descending, then the user's position in the model). A local ``out`` is written
    under a temporary name and renamed (never a partial result); a URI (``hdfs://``,
    ``s3a://``) is written by Spark in place.
    """
    from recommender.model import artifact
    from recommender.query.audience import check_k

    check_k(k)
    check_tiers(tuple(tiers))
    out_s = str(out)
    if not out_s.rstrip("/").lower().endswith(".parquet"):
        raise InvalidParameterError(f"{out_s}: --engine spark writes a Parquet folder "
                                    "partitioned by film_id; --out must end in .parquet")
    model = artifact.load(model_dir)
    film_sel = (np.arange(model.n_films, dtype=np.int64) if films is None
                else np.unique(model.films.to_index(list(films), strict=True,
                                                    error=UnknownFilmError)))
    show = sys.stderr.isatty() if progress is None else progress
    created = False
    if spark is None:
        spark, created = get_session(master)
    try:
        return _batch(spark, model, film_sel, k, out_s, exclude_seen, tuple(tiers),
                      users_per_partition, film_chunk, show)
    finally:
        if created:
            spark.stop()


def _batch(spark: SparkSession, model: Model, film_sel: NDArray[np.int64], k: int, out: str,
           exclude_seen: bool, tiers: tuple[tuple[str, float], ...], users_per_partition: int,
           film_chunk: int, show: bool) -> int:
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    n_users, n_films = model.n_users, model.n_films
    rank_f = int(model.user_factors.shape[1])
    uf = np.ascontiguousarray(model.user_factors, np.float32)
    seen = model.seen
    user_idx = pa.array(np.arange(n_users, dtype=np.int32))
    users_info = spark.createDataFrame(pa.table({
        "user_idx": user_idx,
        "user_id": pa.array(model.users.ids),
        "segment": pa.array(np.asarray(model.segments.labels, np.int16)),
    }))
    factors_tab = pa.table({
        "user_idx": user_idx,
        "features": pa.ListArray.from_arrays(
            pa.array(np.arange(0, n_users * rank_f + 1, rank_f, dtype=np.int32)),
            pa.array(uf.reshape(-1))),
        "seen": pa.ListArray.from_arrays(
            pa.array(np.asarray(seen.indptr, np.int32)),
            pa.array(np.asarray(seen.indices, np.int32))),
    })
    n_parts = max(spark.sparkContext.defaultParallelism, math.ceil(n_users / users_per_partition))
    factors_df = spark.createDataFrame(factors_tab).repartition(n_parts)
    del factors_tab
    film_vectors = np.ascontiguousarray(np.asarray(model.film_factors)[film_sel], np.float32)
    # each film's bound on |float32 product - exact dot product| (Model.score_slack), so that
    # tasks can settle their rankings on exact dot products as the local engine does
    slacks = model.score_slacks(film_vectors)
    ff_bc = spark.sparkContext.broadcast((film_vectors, film_sel, slacks))
    score_block = _block_scorer(ff_bc, k, rank_f, exclude_seen, film_chunk)
    _say(show, f"scoring {len(film_sel):,} films x {n_users:,} users in {n_parts} tasks ...")
    cand = factors_df.mapInArrow(score_block, "film_idx int, user_idx int, score float")
    order = Window.partitionBy("film_idx").orderBy(sf.desc("score"), sf.asc("user_idx"))
    top = (cand.withColumn("rank", sf.row_number().over(order))
           .filter(sf.col("rank") <= k))
    n_seen = np.diff(model.seen_by_film.indptr).astype(np.int64)[film_sel]
    n_cand = n_users - n_seen if exclude_seen else np.full(len(film_sel), n_users, np.int64)
    films_df = spark.createDataFrame(pa.table({
        "film_idx": pa.array(film_sel.astype(np.int32)),
        "film_id": pa.array(model.films.ids[film_sel]),
        "_cand": pa.array(n_cand.astype(np.int64)),
    }))
    rank_col, cand_col = sf.col("rank"), sf.col("_cand")
    tier = sf.lit("")
    cums = np.cumsum([share for _, share in tiers])
    for (name, _), cum in reversed(list(zip(tiers, cums, strict=True))):
        tier = sf.when(rank_col <= sf.ceil(cand_col * sf.lit(float(cum)) / sf.lit(100.0)
                                         - sf.lit(1e-9)), sf.lit(name)).otherwise(tier)
    result = (top.join(sf.broadcast(films_df) if n_films <= 1_000_000 else films_df, "film_idx")
              .join(users_info, "user_idx")
              .select(
                  "film_id", "user_id", rank_col.cast("int").alias("rank"),
                  sf.col("score").cast("float").alias("score"),
                  sf.bround(sf.lit(100.0) * (cand_col - rank_col + 1)
                           / sf.greatest(cand_col, sf.lit(1)), 4).alias("percentile"),
                  tier.alias("tier"), sf.col("segment").cast("short").alias("segment"))
              .repartition("film_id").sortWithinPartitions("film_id", "rank"))
    return _write_partitioned(spark, result, out)


def _block_scorer(ff_bc: Any, k: int, rank_f: int, exclude_seen: bool, film_chunk: int
                  ) -> Any:
    """The ``mapInArrow`` function: a running top-``k`` per film over one task's users.

    The running top-k is kept by exact dot product (float64 products of the float32 factors,
    summed per pair as ``ranking.exact_dots`` sums them, rounded once to float32), ties to the
    lower user index, as the local engine settles its rankings: each chunk's float32 scores
    only pick the few users within the film's rounding bound of its k-th best, which are
    re-scored exactly. The exact top-k of all users is the exact top-k of the tasks' exact
    top-ks, so the export lists the same users with the same scores as the local one.

    Defined as a closure so Spark ships it by value (executors need numpy and pyarrow, not
    this package).
    """

    def score_block(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        # factors of the films to score, their indices and their float32 rounding bounds
        ff, film_idx, slacks = ff_bc.value
        n_films = ff.shape[0]
        if n_films == 0:
            return
        ff64 = np.asarray(ff, np.float64)
        best_s = np.full((n_films, k), -np.inf, np.float32)  # exact scores
        best_u = np.full((n_films, k), -1, np.int64)
        for batch in batches:
            nb = batch.num_rows
            if nb == 0:
                continue
            uidx = np.asarray(batch.column("user_idx").to_numpy(), np.int64)
            feats_col = batch.column("features")
            feats = np.asarray(feats_col.flatten().to_numpy(zero_copy_only=False),
                               np.float32).reshape(nb, rank_f)
            seen_col = batch.column("seen")
            lengths = np.asarray(pc.list_value_length(seen_col).fill_null(0)
                                 .to_numpy(zero_copy_only=False), np.int64)
            seen_raw = np.asarray(seen_col.flatten().to_numpy(zero_copy_only=False), np.int64)
            # seen films as positions among the scored films (film_idx is sorted)
            pos = np.minimum(np.searchsorted(film_idx, seen_raw), n_films - 1)
            scored = film_idx[pos] == seen_raw
            seen_films = pos[scored]
            seen_rows = np.repeat(np.arange(nb), lengths)[scored]
            feats64 = np.asarray(feats, np.float64)
            for c0 in range(0, n_films, film_chunk):
                c1 = min(n_films, c0 + film_chunk)
                scores = ff[c0:c1] @ feats.T  # (films in chunk, users in batch)
                if exclude_seen and len(seen_films):
                    sel = (seen_films >= c0) & (seen_films < c1)
                    scores[seen_films[sel] - c0, seen_rows[sel]] = -np.inf
                # the users that can be in a film's exact top k: within twice its bound of
                # its k-th best float32 score (every finite one when there are fewer than k)
                if scores.shape[1] > k:
                    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
                else:
                    kth = np.full(c1 - c0, -np.inf, np.float32)
                floor = np.where(np.isfinite(kth),
                                 kth - (2 * slacks[c0:c1]).astype(np.float32), -np.inf)
                keep = (scores >= floor[:, None].astype(np.float32)) & (scores > -np.inf)
                r, c = np.nonzero(keep)
                exact = (ff64[c0 + r] * feats64[c]).sum(axis=1).astype(np.float32)
                # merge with the running top k: exact score descending, then user index
                held = best_u[c0:c1] >= 0
                hr = np.nonzero(held)[0]
                rows = np.concatenate([hr, r])
                users = np.concatenate([best_u[c0:c1][held], uidx[c]])
                vals = np.concatenate([best_s[c0:c1][held], exact])
                order = np.lexsort((users, -vals, rows))
                rows, users, vals = rows[order], users[order], vals[order]
                pos = np.arange(len(rows)) - np.searchsorted(rows, rows)
                top = pos < k
                best_s[c0:c1] = -np.inf
                best_u[c0:c1] = -1
                best_s[c0 + rows[top], pos[top]] = vals[top]
                best_u[c0 + rows[top], pos[top]] = users[top]
        for c0 in range(0, n_films, film_chunk):
            s = best_s[c0:c0 + film_chunk]
            real = best_u[c0:c0 + film_chunk] >= 0
            if not real.any():
                continue
            rows = np.broadcast_to(film_idx[c0:c0 + s.shape[0]][:, None], s.shape)[real]
            yield pa.RecordBatch.from_arrays(
                [pa.array(rows.astype(np.int32)),
                 pa.array(best_u[c0:c0 + film_chunk][real].astype(np.int32)),
                 pa.array(s[real].astype(np.float32))],
                names=["film_idx", "user_idx", "score"])

    return score_block


def _write_partitioned(spark: SparkSession, df: DataFrame, out: str) -> int:
    """Write ``df`` as Parquet partitioned by film_id; local folders atomically."""
    if _is_uri(out):
        df.write.mode("overwrite").partitionBy("film_id").parquet(out)
        return int(spark.read.parquet(out).count())
    dest = _local_path(out).resolve()
    if dest.exists() and not (dest.is_dir() and ((dest / "_SUCCESS").exists()
                                                 or not any(dest.iterdir()))):
        raise InvalidParameterError(f"{dest}: exists and is not a Spark Parquet output; "
                                    "refusing to overwrite it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    target = tmp / "out.parquet"
    try:
        df.write.partitionBy("film_id").parquet(target.as_uri())
        rows = int(spark.read.parquet(target.as_uri()).count())
        if dest.exists():
            old = tmp / "old"
            os.replace(dest, old)
        os.replace(target, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def read_audiences(path: str | os.PathLike[str]) -> pa.Table:
    """Read a ``batch_audiences_spark`` output back as one table with the export columns
    (``film_id`` from the partition folders, kept a string), sorted by film_id and rank."""
    import pyarrow.dataset as ds

    part = ds.partitioning(pa.schema([("film_id", pa.string())]), flavor="hive")
    table = ds.dataset(str(path), format="parquet", partitioning=part).to_table()
    table = table.select(list(AUDIENCE_COLUMNS))
    return table.sort_by([("film_id", "ascending"), ("rank", "ascending")])
