"""Batch exports for campaign tools: every film's audience, every user's recommendations.

CSV or Parquet, written through :func:`recommender.io.atomic.atomic_file` (never a partial file,
permissions from the umask). An audience CSV, whichever writes it (``audiences``, the CLI's
``audience --csv``, the HTTP ``audience.csv``), is text from :mod:`recommender.query.render`:
the same value is the same text everywhere. Exports can be cut to one ring (``tier``), one
segment and attribute filters, and carry ``--with`` columns (title, segment label, user
attributes).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.io.atomic import atomic_file
from recommender.io.columns import (
    AUDIENCE_COLUMNS,
    PERCENTILE,
    RANK,
    RECOMMEND_COLUMNS,
    SCORE,
    SEGMENT,
    TIER,
)
from recommender.io.csvsafe import safe_table
from recommender.io.ids import IdMap
from recommender.io.progress import show_progress
from recommender.io.text import iso_utc
from recommender.model.min_cell import min_cell_from_env
from recommender.model.model import Model, Side
from recommender.query.audience import (
    DEFAULT_TIERS,
    AudiencePage,
    Tiers,
    batch_audiences,
    check_export_k,
    film_scores,
    nobody_note,
    rank_users,
    resolve_tier,
    tier_bounds,
)
from recommender.query.catalog import listed_segments, segment_labels, store_events
from recommender.query.filters import (
    NO_VALUE,
    Filters,
    candidate_mask,
    cut_text,
    resolve_filters,
    resolve_segment,
)
from recommender.query.linkable import check_linkable, filtered_attributes
from recommender.query.pages import empty_note
from recommender.query.recommend import batch_recommendations
from recommender.query.render import (
    column_text,
    csv_text,
    percentile_values,
    percentiles,
    resolve_with,
    with_columns,
)
from recommender.query.score_words import REC_SCORE, TASTE_SCORE

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
    return pacsv.WriteOptions(quoting_header="none")  # pyarrow >= 22 (pyproject's floor)


#: what each numeric (and the tier) column of an audience or recommendation export means, as
#: the HTTP schema says it: the export's context carries it (``units``), as a plan's and a
#: slate allocation's do
ROW_UNITS: dict[str, str] = {
    RANK: "1 = first: the user most likely to watch the film (audiences), the film ranked "
          "first for the user (recommendations)",
    SCORE: f"{TASTE_SCORE}; not comparable between films",
    PERCENTILE: "in (0, 100] among the film's ranked candidates; 100 = best",
    TIER: "the user's ring: " + ", ".join(
        f"{name} (the next {share:g}%)" if i else
        f"{name} (the first {share:g}% of the film's ranked candidates)"
        for i, (name, share) in enumerate(DEFAULT_TIERS))
          + "; null beyond the last (empty in a CSV)",
    SEGMENT: "the user's audience segment number (see `segments`, GET /segments)",
}


def row_units(schema: pa.Schema) -> dict[str, str]:
    """``ROW_UNITS`` of the columns ``schema`` holds."""
    return {name: ROW_UNITS[name] for name in schema.names if name in ROW_UNITS}


def export_context(model: Model, **params: Any) -> dict[str, Any]:
    """What a Parquet export records about itself (its schema metadata, key ``recommender``):
    the model version and the campaign store's events folded into it, when it was written,
    and the parameters that cut it."""
    return {"model_version": model.version,
            # the campaign store's events folded in (null: the model as trained): two exports
            # of one model version differ row for row with them
            "store_events": store_events(model.meta),
            "exported": iso_utc(time.time()),
            "pseudonymized": bool(model.meta.get("pseudonymized")),  # user ids as p-<HMAC>
            "parameters": {k: v for k, v in params.items() if v is not None}}


def segment_context(model: Model, seg: int, min_cell: int | None = None) -> dict[str, Any]:
    """How an export's context names segment ``seg``: its number and label, or its number only
    when ``GET /segments`` withholds it (``catalog.listed_segments`` at ``min_cell``, by default
    the environment's: its label describes its few members), as ``filters.cut_text`` does."""
    if listed_segments(model, min_cell)[seg]:
        return {"number": seg, "label": segment_labels(model)[seg]}
    return {"number": seg}


def context_metadata(context: dict[str, Any]) -> dict[bytes, bytes]:
    """The schema metadata that says where a Parquet export came from: ``context`` as JSON
    under the key ``recommender`` (``json.loads(schema.metadata[b"recommender"])``)."""
    return {b"recommender": json.dumps(context, ensure_ascii=False).encode("utf-8")}


def _null_tiers(table: pa.Table) -> pa.Table:
    """``table`` with a Parquet file's "no tier" as null, as JSON gives it (a CSV cell can
    only be empty): ``tier IS NULL`` finds the users beyond the last ring."""
    if TIER not in table.column_names:
        return table
    column = table.column(TIER)
    empty = pc.equal(column, "")
    return table.set_column(table.column_names.index(TIER), TIER,
                            pc.if_else(empty, pa.scalar(None, column.type), column))


def _stream(path: str | os.PathLike[str], schema: pa.Schema, tables: Iterator[pa.Table],
            bar: tqdm, text_csv: bool = False, context: dict[str, Any] | None = None) -> int:
    """Write ``tables`` to ``path`` as CSV or Parquet (by its suffix), atomically; returns rows.
    ``bar`` (advanced by the producer of ``tables``) is closed when the writing ends. With
    ``text_csv`` a CSV is written through ``table_csv`` (the renderer's text). A Parquet file
    keeps ``context`` (``export_context``) as JSON in its schema metadata, as it reads once
    every table is written (a producer may add what it learnt: the films without rows)."""
    fmt = output_format(path)
    rows = 0
    if fmt == "csv" and text_csv:
        with bar, atomic_file(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            # the page CSV's header line (a --with name quoted and csvsafe as a cell): names
            # joined by commas left `say "x"` unquoted, another line than audience.csv's
            fh.write(table_csv(schema.empty_table()))
            for t in tables:
                fh.write(table_csv(t, header=False))
                rows += t.num_rows
        return rows
    with bar, atomic_file(path) as tmp:
        writer: pq.ParquetWriter | pacsv.CSVWriter = (
            # the file's key-value metadata is the schema's on reading (written at close):
            # no stored Arrow schema, whose copy of the context at the start would win
            pq.ParquetWriter(tmp, schema, store_schema=context is None)
            if fmt == "parquet"
            else pacsv.CSVWriter(tmp, schema, write_options=_csv_options()))
        with writer:
            for t in tables:  # a CSV's text cells neutralised (csvsafe); Parquet's exact
                writer.write_table(safe_table(t) if fmt == "csv" else _null_tiers(t))
                rows += t.num_rows
            if context is not None and isinstance(writer, pq.ParquetWriter):
                writer.add_key_value_metadata(context_metadata(context))
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


def audience_table(model: Model, page: AudiencePage, film: int | None,
                   with_: Sequence[str] = (), pseudonymized: bool | None = None,
                   min_cell: int | None = None) -> pa.Table:
    """One page as export rows (``AUDIENCE_COLUMNS``, then the ``with_`` columns as text):
    ``film`` is the film's index (None: an audience without a film, empty film_id); a
    ``pseudonymized`` page's user attributes are checked (``render.with_columns``)."""
    n = len(page.user_idx)
    film_id = "" if film is None else str(model.films.ids[film])
    return pa.Table.from_arrays([
        pa.array([film_id] * n, pa.string()), pa.array(page.user_ids.tolist(), pa.string()),
        np.asarray(page.rank, np.int32), np.asarray(page.score, np.float32),
        pa.array(percentile_values(page.percentile), pa.float64()),
        pa.array(["" if t is None else t for t in page.tier], pa.string()),
        np.asarray(page.segment, np.int16),
        *[pa.array(c, pa.string()) for c in with_columns(model, with_, film, page.user_idx,
                                                          page.segment, pseudonymized,
                                                          min_cell)],
    ], schema=_schema(with_))


def audience_csv(model: Model, page: AudiencePage, film: int | None,
                 with_: Sequence[str] = (), pseudonymized: bool | None = None,
                 min_cell: int | None = None) -> str:
    """One page as the CSV text every audience CSV writes (``table_csv``)."""
    return table_csv(audience_table(model, page, film, with_, pseudonymized, min_cell))


def write_page(model: Model, page: AudiencePage, film: int | None,
               out: str | os.PathLike[str], with_: Sequence[str] = (),
               context: dict[str, Any] | None = None) -> int:
    """One audience page (a new film's: ``film`` None, empty film_id) to ``out``, CSV or
    Parquet by its suffix, atomically, by the audience export's writer: the CSV is
    ``audience_csv``'s text, a Parquet file keeps ``context`` (``export_context``) in its
    schema metadata. Returns the rows."""
    output_format(out)
    table = audience_table(model, page, film, with_)
    return _stream(out, table.schema, iter([table]), tqdm(total=0, disable=True),
                   text_csv=True, context=context)


def table_csv(table: pa.Table, header: bool = True) -> str:
    """Export rows as CSV text: ``score`` through ``render.column_text`` (rounded to 6
    decimals), ``percentile`` (already rounded to 4 in export rows) as its ``repr``, integers
    as digits, and every text column through ``csvsafe`` (a cell a spreadsheet would run as a
    formula gets a leading ``'``); the header line too unless ``header`` is false."""
    safe = safe_table(table)  # text columns only, vectorised in Arrow
    columns: list[list[str]] = []
    for name, column in zip(table.column_names, safe.columns, strict=True):
        if name == SCORE:
            columns.append(column_text(SCORE, column.to_numpy()))
        elif name == PERCENTILE:
            columns.append(list(map(repr, column.to_pylist())))
        elif name in (RANK, SEGMENT):
            columns.append(pc.cast(column, pa.string()).to_pylist())
        else:
            columns.append(column.to_pylist())
    text = csv_text(table.column_names, columns)
    return text if header else text.split("\n", 1)[1]


def _schema(with_: Sequence[str]) -> pa.Schema:
    schema = AUDIENCE_SCHEMA
    for name in with_:
        schema = schema.append(pa.field(name, pa.string()))
    return schema


def write_audiences(
    model: Model, film_idx: NDArray[np.integer], k: int, out: str | os.PathLike[str],
    exclude_seen: bool = True, tiers: Tiers = DEFAULT_TIERS, progress: bool | None = None,
    batch: int = 256, tier: str | None = None, segment: int | str | None = None,
    filters: Filters | None = None, with_: Sequence[str] | str | None = None,
    without_rows: list[dict[str, str]] | None = None,
) -> int:
    """Write the top-``k`` audience of each film to ``out``; returns the number of rows.

    With ``tier`` each film's rows are the first ``k`` users of that ring; with ``segment``
    (number or label) or ``filters`` only matching users are listed (ranks stay global).
    Those cuts rank film by film (``film_audience``), so a row is the ``audience`` command's
    row. ``with_`` adds columns (``render.resolve_with``). The films such a cut gives no
    row, each ``{"film_id", "why"}`` (``audience.nobody_note``), are added to
    ``without_rows`` and to a Parquet file's context (``films_without_rows``)."""
    output_format(out)
    with_names = resolve_with(model, with_)
    sliced = tier is not None or segment is not None or bool(filters)
    # a bad segment, filter or tier fails before any file is opened
    mask = candidate_mask(model, segment, filters) if sliced else None
    ring = None if tier is None else resolve_tier(tier, tiers)
    show = show_progress(progress)
    names = np.array([n for n, _ in tiers] + [""], dtype=object)
    n_seen = model.film_counts()
    labels = np.asarray(model.segments.labels)
    schema = _schema(with_names)
    bar = tqdm(total=len(film_idx), unit="film", disable=not show, file=sys.stderr)
    check_export_k(k)
    k_page = min(k, max(model.n_users, 1))  # a k above the users lists every candidate
    empty: list[dict[str, str]] = [] if without_rows is None else without_rows

    def sliced_tables() -> Iterator[pa.Table]:
        said_cut = cut_text(model, segment, filters)
        for f in np.asarray(film_idx, np.int64).tolist():  # a loop over films, as the CLI's
            seen = model.film_viewers(f) if exclude_seen else np.zeros(0, np.int64)
            page = rank_users(model, film_scores(model, f), str(model.films.ids[f]), k_page, 0,
                              exclude=seen, mask=mask, tiers=tiers, copy=False,
                              vector=model.film_factors[f], tier=ring)
            if page.total == 0:  # why, as the film's audience says it
                empty.append({"film_id": str(model.films.ids[f]),
                              "why": nobody_note(model, page.ring, seen, mask, said_cut)})
            yield audience_table(model, page, f, with_names)
            bar.update(1)
        # in the context written at the end (audiences_context's: every user a viewer)
        context["films_without_rows"] = {"count": len(empty), "films": empty[:LISTED_IDS]}

    def tables() -> Iterator[pa.Table]:
        for films, users, scores, counts in batch_audiences(model, film_idx, k, exclude_seen,
                                                            batch):
            valid, ranks, head = _ranked(model.films, model.users, films, users, scores, counts)
            n_cand = model.n_users - (n_seen[films] if exclude_seen else np.zeros_like(films))
            n_cand_rows = np.broadcast_to(n_cand[:, None], users.shape)[valid]
            tier_idx = tier_index(ranks, n_cand_rows, tiers)
            u = users[valid]
            extra = with_columns(model, with_names,
                                 np.broadcast_to(films[:, None], users.shape)[valid], u,
                                 labels[u])
            yield pa.Table.from_arrays([  # in the order of AUDIENCE_COLUMNS
                *head,
                pa.array(percentile_values(percentiles(ranks, n_cand_rows)), pa.float64()),
                pa.array(names[tier_idx], pa.string()),
                labels[u].astype(np.int16),
                *[pa.array(c, pa.string()) for c in extra],
            ], schema=schema)
            bar.update(len(films))

    # what was chosen, not what was typed: a partial label names another segment after a
    # retrain, and "north" is the model's "North"
    cut = resolve_filters(model, filters)
    seg = resolve_segment(model, segment)
    # the users without a value as the export's line and the CLI name them (the model's ""
    # read as a value nobody typed, and "region=" is refused: cut_text's spelling)
    said = {name: [NO_VALUE if v == "" else v for v in values] for name, values in cut.items()}
    context = audiences_context(model, film_idx, k, exclude_seen, tier=ring,
                                filters=said or None, segment=None if seg is None else
                                segment_context(model, seg),
                                with_columns=list(with_names) or None)
    if model.meta.get("pseudonymized"):  # every user the export may list, before writing
        check_linkable(model, with_names, np.arange(model.n_users) if mask is None else
                       np.flatnonzero(mask), min_cell_from_env(),
                       filtered_attributes(model, cut),
                       "users this export may list")
    return _stream(out, schema, sliced_tables() if sliced else tables(), bar, text_csv=True,
                   context=context)


def audiences_context(model: Model, film_idx: NDArray[np.integer], k: int, exclude_seen: bool,
                      engine: str = "local", **cuts: Any) -> dict[str, Any]:
    """What an audience export of ``film_idx`` records about itself: ``export_context``
    (``cuts`` are its other parameters: tier, filters...), the engine that wrote it, the
    films asked (the first ``LISTED_IDS``), those every user watched (no row, with viewers
    left out; ``write_audiences`` adds those its cut leaves without) and those with nothing
    fitted. The local Parquet export keeps it in its schema metadata, the Spark export in
    ``_recommender.json`` beside its partitions."""
    context = export_context(model, kind="audiences", k=k, exclude_seen=exclude_seen, **cuts,
                             films=len(film_idx))
    context["engine"] = engine
    context["films_asked"] = {"count": len(film_idx), "ids": [  # the films, in order given
        str(i) for i in model.films.ids[np.asarray(film_idx, np.int64)[:LISTED_IDS]]]}
    full = np.asarray(film_idx, np.int64)[model.film_counts()[film_idx] >= model.n_users] \
        if exclude_seen else np.zeros(0, np.int64)  # no row: every user watched them
    context["films_without_rows"] = {"count": len(full), "films": [
        {"film_id": str(i), "why": empty_note(0)} for i in model.films.ids[full[:LISTED_IDS]]]}
    context["units"] = row_units(AUDIENCE_SCHEMA)
    # the note their audience pages carry, which a row has no place for: these films' rows
    # hold users in no meaningful order (Model.nothing_fitted)
    context["nothing_fitted_films"] = unfitted_ids(model, "films", film_idx,
                                                   model.films)
    return context


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
    check_export_k(k)
    show = show_progress(progress)
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

    context = export_context(model, kind="recommendations", k=k, exclude_seen=exclude_seen,
                             users=len(user_idx))
    # a recommendation's score adds the film's popularity prior (score_words)
    context["units"] = {**row_units(RECOMMEND_SCHEMA),
                        SCORE: f"{REC_SCORE}; not comparable between users"}
    # users whose lists say nothing of their taste (their recommendations' note)
    context["nothing_fitted_users"] = unfitted_ids(model, "users", user_idx,
                                                   model.users)
    return _stream(out, schema, tables(), bar, text_csv=True,  # as audience exports read
                   context=context)


# ids a Parquet context lists by name (a footer of millions of ids grows past what readers
# accept: pyarrow refuses a footer of about 200 MB, 6M ids)
LISTED_IDS = 10_000


def unfitted_ids(model: Model, side: Side, idx: NDArray[np.integer],
                 ids: IdMap, chunk: int = 65_536) -> dict[str, Any]:
    """``{"count", "ids"}``: how many rows of ``side``'s factors (those of ``idx``) have
    nothing fitted, and the first ``LISTED_IDS`` of their ids in ``idx``'s order; read
    ``chunk`` rows at a time (not a copy of every row)."""
    idx = np.asarray(idx, np.int64)
    factors = model.user_factors if side == "users" else model.film_factors
    found = np.concatenate([np.zeros(0, np.int64)] + [
        part[model.nothing_fitted(factors[part], side)]
        for part in (idx[i:i + chunk] for i in range(0, len(idx), chunk))])
    return {"count": len(found), "ids": [str(i) for i in ids.ids[found[:LISTED_IDS]]]}

