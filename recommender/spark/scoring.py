"""Batch audiences in Spark: every film's top-k users, written as Parquet partitioned by film."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.io.atomic import atomic_dir
from recommender.io.columns import (
    FILM_ID,
    PERCENTILE,
    RANK,
    SCORE,
    SEGMENT,
    TIER,
    USER_ID,
)
from recommender.io.progress import show_progress
from recommender.kernels import ranking
from recommender.kernels.ranking import score_block, settled_top_k_rows, top_k_rows
from recommender.model.config import DEFAULT_TIERS, check_tiers
from recommender.model.model import Model
from recommender.query.audience import MAX_K, Tiers
from recommender.query.export import AUDIENCE_SCHEMA, audiences_context, tier_index
from recommender.query.render import LEAST_PERCENTILE, PERCENTILE_DIGITS
from recommender.spark.audience_folder import (
    CONTEXT_FILE,
    _partition_names_fit,
    _refuse_to_replace_uri,
    put_text,
    read_audiences,  # noqa: F401 (re-exported: imported from here)
    read_audiences_context,  # noqa: F401 (re-exported: imported from here)
    refuse_to_replace,
)
from recommender.spark.by_value import pickled_by_value
from recommender.spark.full_device import as_full_device, full_device
from recommender.spark.reading import is_uri, local_path
from recommender.spark.session import say, session_scope

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def batch_audiences_spark(
    model_dir: str | os.PathLike[str] | Model,
    k: int,
    out: str | os.PathLike[str],
    master: str = "local[*]",
    *,
    films: Sequence[str] | None = None,
    films_file: str | os.PathLike[str] | None = None,
    id_column: str | None = None,
    spark: SparkSession | None = None,
    exclude_seen: bool = True,
    tiers: Tiers = DEFAULT_TIERS,
    users_per_partition: int = 200_000,
    film_chunk: int = 512,
    progress: bool | None = None,
) -> int:
    """Every film's top-``k`` audience computed in Spark, written to ``out`` (a ``.parquet``
    folder, partitioned by ``film_id``); returns the number of rows. ``films`` restricts it to
    those film ids (unknown ids raise ``UnknownFilmError``), ``films_file`` to the ids of an
    id-list file (``id_lists.read_id_list_index``: an unknown id raises ``DataError`` naming
    the file and its line, as the local export does). ``id_column``: the column of a CSV
    export ``films_file`` is read by, by its header name, as ``audiences --films FILE
    --id-column NAME`` reads it (``io.id_list_columns``; default: the one column named like an
    id); refused without ``films_file``.

    Same rows as ``recommender.query.export.write_audiences(model, all films, k, out)`` (rank
    order: score descending, then the user's position in the model): film factors are
    broadcast, user factors (with each user's seen films) are spread over tasks, each task
    keeps a running top-k per film settled on exact dot products (``_block_scorer``), and a
    window function (score descending, user index ascending) picks the global top-k. Read the
    output back with :func:`read_audiences` (which keeps ``film_id`` a string). A local
    ``out`` is written under a temporary name and renamed (never a partial result); a URI
    (``hdfs://``, ``s3a://``) is written by Spark in place.
    """
    from recommender.model import artifact

    if not 1 <= k <= MAX_K:  # each task holds a running top-k of every film it scores
        raise InvalidParameterError(f"--engine spark takes --k in [1, {MAX_K:,}] (each task "
                                    f"keeps a top-k per film), got {k:,}")
    check_tiers(tuple(tiers))
    out_s = str(out)
    if not out_s.rstrip("/").lower().endswith(".parquet"):
        raise InvalidParameterError(f"{out_s}: --engine spark writes a Parquet folder "
                                    "partitioned by film_id; --out must end in .parquet")
    if films is not None and films_file is not None:
        raise InvalidParameterError("give films or films_file, not both")
    if id_column is not None and films_file is None:  # as the CLI's --id-column: never unread
        raise InvalidParameterError("id_column names the column of ids of films_file; give "
                                    "films_file, or leave id_column out")
    # a model already read (the command's, whose ids and warnings it gave) is scored as is
    model = model_dir if isinstance(model_dir, Model) else artifact.load(model_dir)
    if films_file is not None:
        from recommender.io.id_lists import read_id_list_index

        asked = read_id_list_index(films_file, model.films, "film_id", column=id_column)
    else:
        asked = (np.arange(model.n_films, dtype=np.int64) if films is None
                 else model.films.to_index(list(films), strict=True, error=UnknownFilmError))
    asked = _first_of_each(np.asarray(asked, np.int64))  # in the order asked
    film_sel = np.sort(asked)  # scored in the model's order
    _partition_names_fit(model, film_sel)
    refuse_to_replace(out_s)  # before Spark starts (and again before the rename)
    # the local Parquet export's context (its schema metadata), beside the partitions: its
    # lists of ids in the order asked, as the local export lists them (not the model's)
    context = audiences_context(model, asked, k, exclude_seen, engine="spark")
    show = show_progress(progress)
    with session_scope(spark, master, show) as session:
        return _batch(session, model, film_sel, k, out_s, exclude_seen, tuple(tiers),
                      users_per_partition, film_chunk, show, context)


def _first_of_each(idx: NDArray[np.int64]) -> NDArray[np.int64]:
    """``idx`` without repeats, each where it first comes (``np.unique`` sorted them)."""
    _, first = np.unique(idx, return_index=True)
    return idx[np.sort(first)]


def _batch(spark: SparkSession, model: Model, film_sel: NDArray[np.int64], k: int, out: str,
           exclude_seen: bool, tiers: Tiers, users_per_partition: int, film_chunk: int,
           show: bool, context: dict[str, Any] | None = None) -> int:
    from pyspark.sql import Window
    from pyspark.sql import functions as sf
    from pyspark.sql.pandas.types import from_arrow_type

    n_users, n_films = model.n_users, model.n_films
    rank_f = int(model.user_factors.shape[1])
    uf = np.ascontiguousarray(model.user_factors, np.float32)
    seen = model.seen
    user_idx = pa.array(np.arange(n_users, dtype=np.int32))
    users_info = spark.createDataFrame(pa.table({
        "user_idx": user_idx,
        USER_ID: pa.array(model.users.ids),
        SEGMENT: pa.array(np.asarray(model.segments.labels, np.int16)),
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
    scorer = _block_scorer(ff_bc, min(k, n_users), rank_f, exclude_seen, film_chunk)  # per task
    say(show, f"scoring {len(film_sel):,} films x {n_users:,} users in {n_parts} tasks ...")
    with shipped_by_value():  # Spark pickles the function here
        cand = factors_df.mapInArrow(scorer, f"film_idx int, user_idx int, {SCORE} float")
    order = Window.partitionBy("film_idx").orderBy(sf.desc(SCORE), sf.asc("user_idx"))
    top = (cand.withColumn(RANK, sf.row_number().over(order))
           .filter(sf.col(RANK) <= k))
    n_seen = np.diff(model.seen_by_film.indptr).astype(np.int64)[film_sel]
    n_cand = n_users - n_seen if exclude_seen else np.full(len(film_sel), n_users, np.int64)
    ends = _tier_ends(n_cand, k, tiers)
    films_df = spark.createDataFrame(pa.table({
        "film_idx": pa.array(film_sel.astype(np.int32)),
        FILM_ID: pa.array(model.films.ids[film_sel]),
        "_cand": pa.array(n_cand.astype(np.int64)),
        "_ends": pa.ListArray.from_arrays(
            pa.array(np.arange(0, ends.size + 1, len(tiers), dtype=np.int32)),
            pa.array(ends.reshape(-1))),
    }))
    rank_col, cand_col = sf.col(RANK), sf.col("_cand")
    # the tier index is the number of the film's tiers that end before the rank
    tier_pos = sf.size(sf.filter(sf.col("_ends"), lambda end: end < rank_col))
    names = sf.array(*[sf.lit(name) for name, _ in tiers], sf.lit(""))
    values = {
        FILM_ID: sf.col(FILM_ID), USER_ID: sf.col(USER_ID), RANK: rank_col, SCORE: sf.col(SCORE),
        # render.percentile_values' rounding (bround: a tie half to even), never below 0.0001
        PERCENTILE: sf.greatest(sf.bround(sf.lit(100.0) * (cand_col - rank_col + 1)
                                          / sf.greatest(cand_col, sf.lit(1)), PERCENTILE_DIGITS),
                                sf.lit(LEAST_PERCENTILE)),
        # beyond the last ring: null, as the local Parquet export and JSON give it
        TIER: sf.when(tier_pos < sf.lit(len(tiers)), names[tier_pos]),
        SEGMENT: sf.col(SEGMENT),
    }
    result = (top.join(sf.broadcast(films_df) if n_films <= 1_000_000 else films_df, "film_idx")
              .join(users_info, "user_idx")
              .select(*[values[f.name].cast(from_arrow_type(f.type)).alias(f.name)
                        for f in AUDIENCE_SCHEMA])
              .repartition(FILM_ID).sortWithinPartitions(FILM_ID, RANK))
    return _write_partitioned(spark, result, out, context)


def _tier_ends(n_cand: NDArray[np.int64], k: int, tiers: Tiers) -> NDArray[np.int32]:
    """(films, tiers): per film, how many of ranks 1..``k`` fall in each tier or an earlier
    one, read off the local export's tier index (``query.export.tier_index``) for the film's
    number of candidates, so that Spark labels each rank as the local export does."""
    ranks = np.arange(1, k + 1, dtype=np.int64)
    ends = np.zeros((len(n_cand), len(tiers)), np.int32)
    step = max(1, 1_000_000 // k)  # films per block: a block holds about a million ranks
    for start in range(0, len(n_cand), step):
        totals = n_cand[start:start + step]
        idx = tier_index(np.tile(ranks, len(totals)), np.repeat(totals, k), tiers)
        ends[start:start + len(totals)] = (
            idx.reshape(len(totals), k)[:, :, None] <= np.arange(len(tiers))).sum(axis=1)
    return ends


@contextmanager
def shipped_by_value() -> Iterator[None]:
    """While the block runs, pickle the functions of ``recommender.kernels.ranking`` and of
    this module by value: Spark ships the block scorer with the code it calls, so executors
    need numpy and pyarrow (which pyspark's Arrow support requires anyway), not this package."""
    with pickled_by_value(ranking, sys.modules[__name__]):
        yield


def _block_scorer(ff_bc: Any, k: int, rank_f: int, exclude_seen: bool, film_chunk: int
                  ) -> Any:
    """The ``mapInArrow`` function: a running top-``k`` per film over one task's users.

    Each batch of users, in ascending user index, is scored against ``film_chunk`` films at a
    time and settled on exact dot products by ``ranking.settled_top_k_rows`` (ties to the
    lower user index), as the local engine settles its rankings; ``_merge_top`` keeps the
    running top ``k``. The exact top-k of all users is the exact top-k of the tasks' exact
    top-ks, so the export lists the same users with the same scores as the local one.

    Spark ships it by value with the kernels it calls (``shipped_by_value``).
    """

    def score_users(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        # factors of the films to score, their indices and their float32 rounding bounds
        ff, film_idx, slacks = ff_bc.value
        n_films = ff.shape[0]
        if n_films == 0:
            return
        best_s = np.full((n_films, k), -np.inf, np.float32)  # exact scores
        best_u = np.full((n_films, k), -1, np.int64)
        for batch in batches:
            nb = batch.num_rows
            if nb == 0:
                continue
            uidx, feats, seen_rows, seen_films = _unpack(batch, rank_f, film_idx)
            for c0 in range(0, n_films, film_chunk):
                c1 = min(n_films, c0 + film_chunk)
                scores = score_block(feats, ff[c0:c1])  # (films in chunk, users in batch)
                if exclude_seen and len(seen_films):
                    sel = (seen_films >= c0) & (seen_films < c1)
                    scores[seen_films[sel] - c0, seen_rows[sel]] = -np.inf
                pos, exact, _ = settled_top_k_rows(scores, k, feats, ff[c0:c1], slacks[c0:c1])
                best_u[c0:c1], best_s[c0:c1] = _merge_top(
                    best_u[c0:c1], best_s[c0:c1], uidx[pos], exact, k)
        for c0 in range(0, n_films, film_chunk):
            users = best_u[c0:c0 + film_chunk]
            real = users >= 0
            if not real.any():
                continue
            rows = np.broadcast_to(film_idx[c0:c0 + film_chunk, None], users.shape)[real]
            yield pa.RecordBatch.from_arrays(
                [pa.array(rows.astype(np.int32)), pa.array(users[real].astype(np.int32)),
                 pa.array(best_s[c0:c0 + film_chunk][real])],
                names=["film_idx", "user_idx", SCORE])

    return score_users


def _unpack(batch: pa.RecordBatch, rank_f: int, film_idx: NDArray[np.int64]
            ) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.int64],
                       NDArray[np.int64]]:
    """A batch of users in ascending index order: their indices, factors, and their seen
    films among the scored ones as (user position, film position) pairs."""
    import pyarrow.compute as pc

    nb = batch.num_rows
    uidx = np.asarray(batch.column("user_idx").to_numpy(), np.int64)
    feats = np.asarray(batch.column("features").flatten().to_numpy(zero_copy_only=False),
                       np.float32).reshape(nb, rank_f)
    seen_col = batch.column("seen")
    lengths = np.asarray(pc.list_value_length(seen_col).fill_null(0)
                         .to_numpy(zero_copy_only=False), np.int64)
    seen_raw = np.asarray(seen_col.flatten().to_numpy(zero_copy_only=False), np.int64)
    by_user = np.argsort(uidx, kind="stable")
    where = np.empty(nb, np.int64)
    where[by_user] = np.arange(nb)
    # seen films as positions among the scored films (film_idx is sorted)
    pos = np.minimum(np.searchsorted(film_idx, seen_raw), len(film_idx) - 1)
    scored = film_idx[pos] == seen_raw
    seen_rows = where[np.repeat(np.arange(nb), lengths)[scored]]
    return uidx[by_user], feats[by_user], seen_rows, pos[scored]


def _merge_top(users_a: NDArray[np.int64], exact_a: NDArray[np.float32],
               users_b: NDArray[np.int64], exact_b: NDArray[np.float32], k: int
               ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Per row, the ``k`` best of two candidate lists by exact score, ties to the lower user
    index (``ranking.top_k_rows`` on the lists put in user order); ``-inf`` marks padding,
    returned as user ``-1``."""
    users = np.concatenate([users_a, users_b], axis=1)
    exact = np.concatenate([exact_a, exact_b], axis=1)
    by_user = np.argsort(users, axis=1, kind="stable")
    users = np.take_along_axis(users, by_user, axis=1)
    exact = np.take_along_axis(exact, by_user, axis=1)
    pick, counts = top_k_rows(exact, k)
    real = np.arange(pick.shape[1])[None, :] < counts[:, None]
    return (np.where(real, np.take_along_axis(users, pick, axis=1), -1),
            np.where(real, np.take_along_axis(exact, pick, axis=1), -np.inf).astype(np.float32))


def _write_partitioned(spark: SparkSession, df: DataFrame, out: str,
                       context: dict[str, Any] | None = None) -> int:
    """Write ``df`` as Parquet partitioned by film_id, and ``context`` as ``CONTEXT_FILE``
    once the rows are written; local folders atomically (both or neither)."""
    text = None if context is None else json.dumps(context, ensure_ascii=False, indent=1)
    if is_uri(out):
        _refuse_to_replace_uri(spark, out)
        df.write.mode("overwrite").partitionBy(FILM_ID).parquet(out)
        try:
            rows = int(spark.read.parquet(out).count())
        except Exception as e:  # only _SUCCESS: no row to read back (as below)
            if "UNABLE_TO_INFER_SCHEMA" not in str(e):
                raise
            rows = 0
        if text is not None:
            put_text(spark, f"{out.rstrip('/')}/{CONTEXT_FILE}", text)
        return rows
    refuse_to_replace(out)
    with atomic_dir(local_path(out).resolve(), create=False) as tmp:
        # "file://" and the path as it is: Hadoop took tmp.as_uri()'s %20 and %5B as
        # characters of the name, and wrote the rows into a folder beside --out named so
        # (left there, the export failing) when the path held a space or a bracket
        try:
            df.write.partitionBy(FILM_ID).parquet(f"file://{tmp}")
        except Exception as e:  # py4j's error: Java's words and some 150 lines of stacks
            if full_device(e) is None:
                raise
            raise as_full_device(e, out, tmp) from None
        # counted from the files' footers (no row at all, every user having seen every film:
        # Spark writes only _SUCCESS; the local export says 0 rows)
        rows = sum(pq.ParquetFile(part).metadata.num_rows for part in tmp.rglob("*.parquet"))
        if text is not None:
            (tmp / CONTEXT_FILE).write_text(text, encoding="utf-8")
    return rows
