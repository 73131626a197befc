"""Batch exports for campaign tools: every film's audience, every user's recommendations, as
CSV or Parquet, written to a temporary file and renamed (never a partial file)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.io.columns import AUDIENCE_COLUMNS, RECOMMEND_COLUMNS
from recommender.model.model import Model
from recommender.query.audience import DEFAULT_TIERS, Tiers, batch_audiences, tier_bounds
from recommender.query.recommend import batch_recommendations

AUDIENCE_SCHEMA = pa.schema(list(zip(AUDIENCE_COLUMNS, (
    pa.string(), pa.string(), pa.int32(), pa.float32(), pa.float64(), pa.string(), pa.int16()),
    strict=True)))
RECOMMEND_SCHEMA = pa.schema(list(zip(RECOMMEND_COLUMNS, (
    pa.string(), pa.string(), pa.int32(), pa.float32(), pa.string()), strict=True)))


def output_format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InvalidParameterError(f"{path}: output must end in .csv or .parquet, got "
                                    f"{suffix or 'no extension'!r}")
    return suffix[1:]


class _TableSink:
    """Streams record batches into a CSV or Parquet file under a temporary name."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.format = output_format(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.writer: pq.ParquetWriter | pacsv.CSVWriter = (
            pq.ParquetWriter(self.tmp, schema) if self.format == "parquet"
            else pacsv.CSVWriter(self.tmp, schema, write_options=_csv_options()))

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def commit(self) -> None:
        self.writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self.writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _csv_options() -> pacsv.WriteOptions:
    """Plain header line (``film_id,user_id,...``); values quoted only where CSV needs it."""
    try:
        return pacsv.WriteOptions(quoting_header="none")
    except TypeError:  # pyarrow < 21 has no header quoting option
        return pacsv.WriteOptions()


def _stream(path: str | os.PathLike[str], schema: pa.Schema, tables: Iterator[pa.Table]) -> int:
    sink = _TableSink(Path(path), schema)
    rows = 0
    try:
        for t in tables:
            sink.write(t)
            rows += t.num_rows
    except BaseException:
        sink.abort()
        raise
    sink.commit()
    return rows


def _flat(users: NDArray[np.int64], counts: NDArray[np.int64]
          ) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    k = users.shape[1]
    valid = np.arange(k)[None, :] < counts[:, None]
    ranks = np.broadcast_to(np.arange(1, k + 1), users.shape)[valid]
    return valid, ranks


def write_audiences(
    model: Model, film_idx: NDArray[np.integer], k: int, out: str | os.PathLike[str],
    exclude_seen: bool = True, tiers: Tiers = DEFAULT_TIERS, progress: bool | None = None,
    batch: int = 256,
) -> int:
    """Write the top-``k`` audience of each film to ``out``; returns the number of rows."""
    output_format(out)
    show = sys.stderr.isatty() if progress is None else progress
    names = np.array([n for n, _ in tiers] + [""], dtype=object)
    n_seen = model.film_counts()
    labels = np.asarray(model.segments.labels)
    schema = AUDIENCE_SCHEMA

    def tables() -> Iterator[pa.Table]:
        bar = tqdm(total=len(film_idx), unit="film", disable=not show, file=sys.stderr)
        for films, users, scores, counts in batch_audiences(model, film_idx, k, exclude_seen,
                                                            batch):
            valid, ranks = _flat(users, counts)
            n_cand = model.n_users - (n_seen[films] if exclude_seen else np.zeros_like(films))
            n_cand_rows = np.broadcast_to(n_cand[:, None], users.shape)[valid]
            pct = 100.0 * (n_cand_rows - ranks + 1) / np.maximum(n_cand_rows, 1)
            tier_idx = _tier_index(ranks, n_cand_rows, tiers)
            u = users[valid]
            yield pa.Table.from_arrays([  # in the order of AUDIENCE_COLUMNS
                model.films.to_ids(np.broadcast_to(films[:, None], users.shape)[valid]),
                model.users.to_ids(u),
                ranks.astype(np.int32),
                scores[valid].astype(np.float32),
                np.round(pct, 4),
                pa.array(names[tier_idx], pa.string()),
                labels[u].astype(np.int16),
            ], schema=schema)
            bar.update(len(films))
        bar.close()

    return _stream(out, schema, tables())


def _tier_index(ranks: NDArray[np.int64], totals: NDArray[np.int64], tiers: Tiers
                ) -> NDArray[np.int64]:
    """Index into ``tiers`` (``len(tiers)`` = no tier) of each (rank, total) pair, vectorised
    with the same boundaries as ``audience.tier_bounds``."""
    tier_bounds(1, tiers)  # validates the tier spec
    out = np.full(len(ranks), len(tiers), np.int64)
    cums = np.cumsum([share for _, share in tiers])
    for i in reversed(range(len(tiers))):
        out[ranks <= np.ceil(totals * cums[i] / 100 - 1e-9)] = i
    return out


def write_recommendations(
    model: Model, user_idx: NDArray[np.integer], k: int, out: str | os.PathLike[str],
    exclude_seen: bool = True, progress: bool | None = None, batch: int = 1024,
) -> int:
    """Write the top-``k`` films of each user to ``out``; returns the number of rows."""
    output_format(out)
    show = sys.stderr.isatty() if progress is None else progress
    schema = RECOMMEND_SCHEMA

    def tables() -> Iterator[pa.Table]:
        bar = tqdm(total=len(user_idx), unit="user", disable=not show, file=sys.stderr)
        for users, films, scores, counts in batch_recommendations(model, user_idx, k,
                                                                  exclude_seen, batch):
            valid, ranks = _flat(films, counts)
            f = films[valid]
            yield pa.Table.from_arrays([  # in the order of RECOMMEND_COLUMNS
                model.users.to_ids(np.broadcast_to(users[:, None], films.shape)[valid]),
                model.films.to_ids(f),
                ranks.astype(np.int32),
                scores[valid].astype(np.float32),
                np.asarray(model.catalog.titles)[f],
            ], schema=schema)
            bar.update(len(users))
        bar.close()

    return _stream(out, schema, tables())

