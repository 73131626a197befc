"""Batch exports for campaign tools: every film's audience, every user's recommendations.

CSV or Parquet, written through :func:`recommender.io.atomic.atomic_file` (never a partial file).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.io.atomic import atomic_file
from recommender.io.columns import AUDIENCE_COLUMNS, RECOMMEND_COLUMNS
from recommender.io.ids import IdMap
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


def _csv_options() -> pacsv.WriteOptions:
    """Plain header line (``film_id,user_id,...``); values quoted only where CSV needs it."""
    try:
        return pacsv.WriteOptions(quoting_header="none")
    except TypeError:  # pyarrow < 21 has no header quoting option
        return pacsv.WriteOptions()


def _stream(path: str | os.PathLike[str], schema: pa.Schema, tables: Iterator[pa.Table],
            bar: tqdm) -> int:
    """Write ``tables`` to ``path`` as CSV or Parquet (by its suffix), atomically; returns rows.
    ``bar`` (advanced by the producer of ``tables``) is closed when the writing ends."""
    fmt = output_format(path)
    rows = 0
    with bar, atomic_file(path) as tmp:
        writer: pq.ParquetWriter | pacsv.CSVWriter = (
            pq.ParquetWriter(tmp, schema) if fmt == "parquet"
            else pacsv.CSVWriter(tmp, schema, write_options=_csv_options()))
        with writer:
            for t in tables:
                writer.write_table(t)
                rows += t.num_rows
    return rows


def _ranked(keys: IdMap, items: IdMap, key_idx: NDArray[np.int64], item_idx: NDArray[np.int64],
            scores: NDArray[np.float32], counts: NDArray[np.int64]
            ) -> tuple[NDArray[np.bool_], NDArray[np.int64], list[Any]]:
    """Flatten a block of top-k rows (``counts[i]`` real entries in row ``i``): the mask of
    real entries, their 1-based ranks, and the four leading export columns (key id, item id,
    rank as int32, score as float32)."""
    k = item_idx.shape[1]
    valid = np.arange(k)[None, :] < counts[:, None]
    ranks = np.broadcast_to(np.arange(1, k + 1), item_idx.shape)[valid]
    head = [keys.to_ids(np.broadcast_to(key_idx[:, None], item_idx.shape)[valid]),
            items.to_ids(item_idx[valid]), ranks.astype(np.int32),
            scores[valid].astype(np.float32)]
    return valid, ranks, head


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
    bar = tqdm(total=len(film_idx), unit="film", disable=not show, file=sys.stderr)

    def tables() -> Iterator[pa.Table]:
        for films, users, scores, counts in batch_audiences(model, film_idx, k, exclude_seen,
                                                            batch):
            valid, ranks, head = _ranked(model.films, model.users, films, users, scores, counts)
            n_cand = model.n_users - (n_seen[films] if exclude_seen else np.zeros_like(films))
            n_cand_rows = np.broadcast_to(n_cand[:, None], users.shape)[valid]
            pct = 100.0 * (n_cand_rows - ranks + 1) / np.maximum(n_cand_rows, 1)
            tier_idx = tier_index(ranks, n_cand_rows, tiers)
            u = users[valid]
            yield pa.Table.from_arrays([  # in the order of AUDIENCE_COLUMNS
                *head,
                np.round(pct, 4),
                pa.array(names[tier_idx], pa.string()),
                labels[u].astype(np.int16),
            ], schema=schema)
            bar.update(len(films))

    return _stream(out, schema, tables(), bar)


def tier_index(ranks: NDArray[np.int64], totals: NDArray[np.int64], tiers: Tiers
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
    bar = tqdm(total=len(user_idx), unit="user", disable=not show, file=sys.stderr)

    def tables() -> Iterator[pa.Table]:
        for users, films, scores, counts in batch_recommendations(model, user_idx, k,
                                                                  exclude_seen, batch):
            valid, _, head = _ranked(model.users, model.films, users, films, scores, counts)
            yield pa.Table.from_arrays([  # in the order of RECOMMEND_COLUMNS
                *head,
                np.asarray(model.catalog.titles)[films[valid]],
            ], schema=schema)
            bar.update(len(users))

    return _stream(out, schema, tables(), bar)

