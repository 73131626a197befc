"""Plan rows written out: a CSV or Parquet file (atomically) and CSV bytes for streaming.

Both render through pyarrow's CSV writer with the same options, so a plan downloaded from
``GET /campaigns/{plan_id}/plan.csv`` has the bytes of ``recommender plan --out PLAN.csv``.
Given a pseudonym key, both replace each ``user_id`` by its keyed HMAC
(``recommender.query.pseudonym``, the function the audience exports use), each distinct id
hashed once per table.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from recommender.campaigns.plan import PLAN_SCHEMA
from recommender.errors import InvalidParameterError
from recommender.io.atomic import atomic_file
from recommender.io.csvsafe import safe_table
from recommender.query.export import context_metadata
from recommender.query.pseudonym import pseudonyms


def plan_format(path: str | os.PathLike[str]) -> str:
    """``csv`` or ``parquet`` from the file's suffix; anything else is bad input."""
    name = os.fspath(path).lower()
    for fmt in ("csv", "parquet"):
        if name.endswith("." + fmt):
            return fmt
    raise InvalidParameterError(f"{os.fspath(path)}: the plan must end in .csv or .parquet")


def _options(header: bool) -> pacsv.WriteOptions:
    # a plain header line: quoting_header is pyarrow >= 22 (pyproject's floor)
    return pacsv.WriteOptions(include_header=header, quoting_header="none")


def pseudonymous_rows(table: pa.Table, key: bytes) -> pa.Table:
    """``table`` with each ``user_id`` replaced by its pseudonym (one HMAC per distinct id,
    spread back to the rows by one numpy take)."""
    ids = np.asarray(table.column("user_id").to_pylist(), dtype=object)
    if len(ids) == 0:
        return table
    distinct, where = np.unique(ids, return_inverse=True)
    hidden = np.asarray(pseudonyms(distinct.tolist(), key), dtype=object)[where.reshape(-1)]
    i = table.schema.get_field_index("user_id")
    return table.set_column(i, table.schema.field(i), pa.array(hidden.tolist(), pa.string()))


def plan_rows_count(summary: dict[str, Any]) -> int | None:
    """Rows of a stored plan from its summary: every row is a target or a control row."""
    totals = summary.get("totals") or {}
    try:
        return int(totals["contacts"]) + int(totals["control"])
    except (KeyError, TypeError, ValueError):
        return None


def csv_chunks(tables: Iterable[pa.Table], key: bytes | None = None) -> Iterator[bytes]:
    """CSV bytes of ``tables`` (``PLAN_SCHEMA``): the header, then each table's rows; user
    ids pseudonymised under ``key`` when one is given."""
    first = True
    for table in tables:
        if key is not None:
            table = pseudonymous_rows(table, key)
        buf = io.BytesIO()
        pacsv.write_csv(safe_table(table), buf, _options(first))  # formula-safe text cells
        first = False
        yield buf.getvalue()
    if first:  # no rows at all: the header alone
        buf = io.BytesIO()
        pacsv.write_csv(PLAN_SCHEMA.empty_table(), buf, _options(True))
        yield buf.getvalue()


def write_plan(rows: pa.Table, path: str | os.PathLike[str], key: bytes | None = None
               ) -> int:
    """Write the plan's rows to ``path`` (CSV or Parquet by suffix), atomically, user ids
    pseudonymised under ``key`` when one is given; returns the number of rows."""
    fmt = plan_format(path)
    with atomic_file(path) as tmp:
        write_plan_to(rows, tmp, fmt, key)
    return rows.num_rows


def write_plan_to(rows: pa.Table, tmp: str | os.PathLike[str], fmt: str,
                  key: bytes | None = None, summary: dict[str, Any] | None = None,
                  slate: str | None = None) -> None:
    """Write the plan's rows to the file ``tmp`` as ``fmt`` (``csv`` or ``parquet``), not
    atomically: for a caller that puts several files in place together. A Parquet file keeps
    the plan's context (``plan_context``) as JSON in its schema metadata (key
    ``recommender``), as audience and distribution exports do."""
    if fmt == "parquet":
        table = rows if key is None else pseudonymous_rows(rows, key)
        if summary is not None:
            table = table.replace_schema_metadata(context_metadata(
                plan_context(summary, key is not None, slate)))
        pq.write_table(table, tmp)
    else:
        with open(tmp, "wb") as f:
            for chunk in csv_chunks((pa.Table.from_batches([b], schema=PLAN_SCHEMA)
                                     for b in rows.to_batches(max_chunksize=65536)), key):
                f.write(chunk)


#: the summary's fields a plan file carries as they are (those it has)
CONTEXT_FIELDS = ("plan_id", "model_version", "store_events", "created", "engine",
                  "parameters", "previous_plan_id", "sent_waves", "events_seq", "horizon",
                  "units")


def plan_context(summary: dict[str, Any], pseudonymized: bool, slate: str | None
                 ) -> dict[str, Any]:
    """What a plan file says about itself, in the summary's words: the plan, its model and
    the store's events, its parameters, the slate (``slate``: the file it was read from, as a
    distribution export names its own; null for a next wave, planned on the stored plan's
    films and remaining budgets: ``previous_plan_id``), each film's ``film_id``, ``title``,
    ``budget`` and ``value`` (the summary's ``films``), the horizon and units of ``p`` and
    ``expected_value``, and whether user ids are pseudonyms (then the opt-outs the model
    does not know are counted, not named: ``parameters.excluded_unknown_user_ids`` held them
    as typed, beside pseudonyms, in a file meant for parties that see no raw id)."""
    context = {k: summary[k] for k in CONTEXT_FIELDS if summary.get(k) is not None}
    if pseudonymized and "parameters" in context:
        context["parameters"] = {k: v for k, v in context["parameters"].items()
                                 if k != "excluded_unknown_user_ids"}
    return {"kind": "plan", "pseudonymized": pseudonymized,
            # store_events is said even when null (the model as trained), as an audience
            # export's metadata says it: left out, a plan file could not tell "no events"
            # from "a writer that did not record them"
            "store_events": summary.get("store_events"),
            **context,
            "slate": slate,
            "films": [{k: f.get(k) for k in ("film_id", "title", "budget", "value")}
                      for f in summary.get("films", [])]}
