"""Events from a file: CSV (plain or .gz), Parquet or a folder of Parquet parts, as a log.

Columns: ``user_id,film_id`` (MovieLens ``userId,movieId`` accepted), ``timestamp`` (unix
seconds or ISO 8601, required: a conversion is counted by its time), optional ``weight``
(default 1; a number in ``(0, MAX_WEIGHT]``) and optional ``event_id``. Without ``event_id``
each row gets a deterministic one, ``file:<sha256 of the row's fields>:<n>`` (the row's n-th
repeat in the file), so importing the same file twice stores nothing twice. Any other column
is refused, as ``POST /events`` refuses a field it does not read (a ``rating`` column was
dropped without a word), and so is an event_id the file gives two different events. The
readers of ``recommender.io`` convert and check the columns; every problem names the file and
the line (CSV) or row (Parquet; a folder's part and its row: ``io.part_files``, whose layouts
and order `train --data` reads too): the first bad one in file order, whichever field is bad,
and the next few (``_first_bad_in_order``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from recommender.campaigns.event_times import first_misdated
from recommender.campaigns.events import MAX_WEIGHT, EventBatch, id_too_long
from recommender.errors import DataError
from recommender.io.binary import LOG_FORMATS
from recommender.io.columns import FILM_ID, RATING, TIMESTAMP, USER_ID, WEIGHT
from recommender.io.convert import string_ids, timestamp_column
from recommender.io.delimited import (
    EXPECTED_HEADER,
    CsvLocator,
    Delimited,
    Locator,
    RowLocator,
    check_unique_names,
    existing_file,
    problem,
    quoted,
    read_delimited,
    sniff_header,
)
from recommender.io.numbers import float_column
from recommender.io.part_files import Parts, PartsLocator, find_parts, read_parts
from recommender.io.project import canonical_column

EVENT_ID = "event_id"
EXPECTED = "user_id,film_id,timestamp[,weight][,event_id]"
PARQUET_SUFFIXES = (".parquet", ".pq")  # as training reads (a .pq was read as CSV and refused)
READ = (USER_ID, FILM_ID, TIMESTAMP, WEIGHT, EVENT_ID)  # the fields an event has
# the index pandas writes as a column of a Parquet file (DataFrame.to_parquet): not data
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")


def _canon(name: str) -> str | None:
    return EVENT_ID if name.strip().lower() == EVENT_ID else canonical_column(name)


def _canon_unique(p: Path, names: list[str], line: int | None) -> list[str | None]:
    """Each column's field (None: not one of ours). Two columns for one field (user_id and
    userId, event_id twice) are refused, as training refuses them: the reader took the first
    and dropped the other's values without a word."""
    canon = [_canon(n) for n in names]
    check_unique_names(p, names, [c or f"_{i}" for i, c in enumerate(canon)], line)
    return canon


def _refuse_unread(p: Path, names: list[str], canon: list[str | None], line: int | None
                   ) -> None:
    """Refuse a column the reader does not read (``line``: the header's, for a CSV): a
    ``rating`` column, or any other, was dropped without a word (a MovieLens ``ratings.csv``
    imported its half-star ratings as plain watches), where ``POST /events`` refuses a field
    it does not read."""
    unread = [n for n, c in zip(names, canon, strict=True)
              if (c is None or c not in READ) and not _PANDAS_INDEX.fullmatch(n)
              and n.strip()]  # unnamed: pandas' index in a CSV (to_csv), as training reads
    if not unread:
        return
    rating = any(c == RATING for c in canon)
    why = (" (an event carries no rating: each one counts as a watch, weighted by its weight "
           "column)" if rating else "")
    many = len(unread) > 1
    raise DataError(str(p), f"column{'s' if many else ''} {quoted(unread)} "
                    f"{'are' if many else 'is'} not read{why}; expected columns {EXPECTED} "
                    f"(POST /events refuses other fields too): "
                    + _renames(unread, canon, 'them' if many else 'it'), line=line)


#: unread names that are an event's quantity (a ticket log's) or its own key (a sale's id)
_AS_WEIGHT = re.compile(r"tickets?|quantity|qty|seats|(n|num|number)_(tickets|seats)", re.I)
_AS_EVENT_ID = re.compile(r"(ticket|order|booking|transaction|purchase|sale)_?id", re.I)


def _renames(unread: list[str], canon: list[str | None], them: str) -> str:
    """What to do with the ``unread`` columns: rename the one that reads as the file's weight
    (``tickets``) or event_id (``ticket_id``) where the file has none, drop the others (a
    ticket export was told to drop both, and its retried import then stored events twice)."""
    said = [(n, field) for field, pattern in ((WEIGHT, _AS_WEIGHT), (EVENT_ID, _AS_EVENT_ID))
            if field not in canon
            for n in [m for m in unread if pattern.fullmatch(m.strip())][:1]]
    if not said:
        return f"drop {them}"
    rest = len(unread) - len(said)
    return ("rename " + " and ".join(f"{n!r} to {field}" for n, field in said)
            + (f", and drop the other{'s' if rest > 1 else ''}" if rest else ""))


def read_event_file(path: str | Path) -> EventBatch:
    """Read and check an events file (see the module docstring)."""
    p, parts = _parts_of(path)
    loc: Locator
    if parts is not None:  # a folder of Parquet parts, read as `train --data` reads it
        names = parts.names + parts.keys
        canon = _canon_unique(p, names, None)  # a Parquet schema: no line to name
        columns = read_parts(parts, {c: n for n, c in zip(names, canon, strict=True) if c})
        loc = PartsLocator(parts)
    elif p.suffix.lower() in PARQUET_SUFFIXES:
        try:
            table = pq.read_table(p)
        except (pa.ArrowException, OSError) as e:
            raise DataError(str(p), f"not a readable Parquet file ({e})") from None
        names = list(table.column_names)
        canon = _canon_unique(p, names, None)  # a Parquet schema: no line to name
        columns = {c: table.column(n) for n, c in zip(names, canon, strict=True) if c}
        loc = RowLocator()
    else:
        try:
            delimiter, names = sniff_header(p)
        except DataError as e:  # an events file's header, not a training log's
            raise DataError(e.path, e.reason.replace(EXPECTED_HEADER, EXPECTED)
                            .replace(LOG_FORMATS, (
                                f"a CSV or TSV file with the header line '{EXPECTED}', or "
                                "Parquet")), line=e.line) from None
        canon = _canon_unique(p, names, 1)
        physical = [c or f"_column{i}" for i, c in enumerate(canon)]
        wanted = [c for c in canon if c]
        table = read_delimited(Delimited(p, delimiter, physical, header=True),
                               {c: pa.string() for c in wanted})
        columns = {c: table.column(c) for c in wanted}
        loc = CsvLocator(p, True, delimiter=delimiter)
    missing = [c for c in (USER_ID, FILM_ID, TIMESTAMP) if c not in columns]
    if missing:
        raise DataError(str(p), f"missing column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}; expected columns {EXPECTED}; found "
                        f"{quoted(names)}", line=1 if isinstance(loc, CsvLocator) else None)
    _refuse_unread(p, names, canon, 1 if isinstance(loc, CsvLocator) else None)
    n = len(columns[USER_ID])
    if n == 0:
        raise DataError(str(p), "no events: expected at least one data line")
    return _first_bad_in_order(p, columns, loc, n)


#: further bad rows an error names after the first (``_first_bad_in_order``): each is one
#: more search of the rest of the file, on the error path only
MORE_BAD = 3


class _Probe(Locator):
    """A locator that notes the row a check refused and places it nowhere: the checks run
    column by column, so the row one refuses is the first bad row of its own column only."""

    def __init__(self) -> None:
        self.row: int | None = None

    def where(self, row: int) -> tuple[int | None, str]:
        self.row = row
        return None, ""


def _cut(columns: dict[str, Any], start: int, stop: int) -> dict[str, Any]:
    return {c: v.slice(start, stop - start) for c, v in columns.items()}


def _bad_from(p: Path, columns: dict[str, Any], start: int, n: int) -> int | None:
    """The first row from ``start`` on (in file order) that a check refuses, or None: the
    checks run on ever shorter runs of rows ending before the row the last one refused, until
    none refuses (each check refuses at most once: at most one run per check, and each run
    only on the error path). A problem no row is named for ends the search there."""
    probe, stop = _Probe(), n
    while stop > start:
        probe.row = None
        try:
            _checked(p, _cut(columns, start, stop), probe)
        except DataError:
            if probe.row is None:
                break
            stop = start + probe.row
            continue
        break
    return stop if stop < n else None


def _first_bad_in_order(p: Path, columns: dict[str, Any], loc: Locator, n: int) -> EventBatch:
    """The events of the checked ``columns``, or the problem of the first bad row in file
    order, naming the next bad rows too (up to ``MORE_BAD``): the columns were checked one
    after another, so a file with a bad timestamp on line 4 and an empty film_id on line 5
    named line 5, and once it was fixed, line 4."""
    probe = _Probe()
    try:
        return _checked(p, columns, probe)
    except DataError:
        if probe.row is None:
            raise
    first = _bad_from(p, columns, 0, n)
    try:
        # its words (a count of empty weights, a judgement of the timestamps as a whole:
        # the whole file's)
        _checked(p, _cut(columns, 0, n if first is None else first + 1), loc, columns)
    except DataError as e:
        error = e
    else:  # not refused again (a clock's "future" moved on): the checks as they come
        return _checked(p, columns, loc)
    if first is None:
        raise error
    more: list[int] = []
    while len(more) <= MORE_BAD and (row := _bad_from(p, columns, (more or [first])[-1] + 1,
                                                     n)) is not None:
        more.append(row)
    if not more:
        raise error
    places = [loc.where(r) for r in more[:MORE_BAD]]
    lines = all(line is not None for line, _ in places)
    said = [str(line) if lines else prefix.rstrip(": ") for line, prefix in places]
    rows = all(x.startswith("row ") for x in said)  # a Parquet file's (a part's: named)
    shown = ", ".join(x.removeprefix("row ") for x in said) if lines or rows else "; ".join(said)
    what = "line" if lines else "row"
    count = f"{len(more)} more bad {what}{'s' if len(more) > 1 else ''}" \
        if len(more) <= MORE_BAD else f"more bad {what}s"
    raise DataError(error.path, f"{error.reason}; and {count}: {shown}"
                    f"{', ...' if len(more) > MORE_BAD else ''}", error.line) from None


def _checked(p: Path, columns: dict[str, Any], loc: Locator,
             whole: dict[str, Any] | None = None) -> EventBatch:
    """The events of ``columns``, every field checked (``read_event_file``); ``whole``: the
    file's columns where ``columns`` are its first rows (``numbers.float_column``,
    ``convert.timestamp_column``: what they say of a column as a whole is the file's)."""
    n = len(columns[USER_ID])
    users = string_ids(p, columns[USER_ID], USER_ID, loc)
    films = string_ids(p, columns[FILM_ID], FILM_ID, loc)
    ts = timestamp_column(p, columns[TIMESTAMP], loc,
                          whole=None if whole is None else whole[TIMESTAMP])
    weight = (float_column(p, columns[WEIGHT], WEIGHT, loc,
                           whole=None if whole is None else whole[WEIGHT])
              if WEIGHT in columns else np.ones(n))
    bad = ~(np.isfinite(weight) & (weight > 0) & (weight <= MAX_WEIGHT))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise problem(p, loc, row, f"weight {float(weight[row])!r} must be a number in "
                                   f"(0, {MAX_WEIGHT:g}]")
    u, f = users.to_pylist(), films.to_pylist()
    given = string_ids(p, columns[EVENT_ID], EVENT_ID, loc).to_pylist() \
        if EVENT_ID in columns else None
    for name, values in ((USER_ID, u), (FILM_ID, f), (EVENT_ID, given or [])):
        long = next(((i, why) for i, v in enumerate(values)
                     if (why := id_too_long(name, v)) is not None), None)
        if long is not None:
            raise problem(p, loc, *long)
    if given is not None:
        _same_id_same_event(p, loc, given, u, f, ts.tolist(), weight.tolist())
    ids = given if given is not None else _derived_ids(u, f, ts.tolist(), weight.tolist())
    misdated = first_misdated(ts)  # before 1990 (a time left unset), or in the future
    if misdated is not None:
        raise problem(p, loc, *misdated)
    return EventBatch(ids, u, f, ts.tolist(), weight.tolist())


def row_problem(path: str | Path, row: int, message: str) -> DataError:
    """``DataError`` about data row ``row`` (0-based) of the events file ``path``, placed as
    ``read_event_file`` places its own problems (a CSV file's line, a Parquet file's row)."""
    p, parts = _parts_of(path)
    if parts is not None:
        return problem(p, PartsLocator(parts), row, message)
    if p.suffix.lower() in PARQUET_SUFFIXES:
        return problem(p, RowLocator(), row, message)
    return problem(p, CsvLocator(p, True, delimiter=sniff_header(p)[0]), row, message)


def _parts_of(path: str | Path) -> tuple[Path, Parts | None]:
    """``path`` as an existing file (``existing_file``), or a folder and its Parquet parts
    (``part_files.find_parts``: the layouts and order `train --data` reads); a folder that
    holds none is refused naming what is read."""
    p = Path(path)
    if not p.is_dir():  # a pipe: `events import -` reads standard input
        return existing_file(p, "-", "events import"), None
    parts = find_parts(p)
    if parts is None:
        raise DataError(str(p), "expected a file, found a folder that holds no Parquet part; "
                        "expected an events file (CSV or Parquet) or a folder of Parquet parts "
                        "(part-*.parquet, or key=value/part-*.parquet)")
    return p, parts


def _derived_ids(u: list[str], f: list[str], ts: list[int], w: list[float]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for row in zip(u, f, ts, w, strict=True):
        digest = hashlib.sha256("\x00".join(map(str, row)).encode()).hexdigest()[:32]
        k = seen.get(digest, 0)
        seen[digest] = k + 1
        out.append(f"file:{digest}:{k}")
    return out


def _same_id_same_event(p: Path, loc: Locator, ids: list[str], u: list[str], f: list[str],
                        ts: list[int], w: list[float]) -> None:
    """Refuse an event_id the file gives two different events (a copy of the same event is a
    duplicate, stored once), naming both lines: the store's check said the id was 'already
    recorded', with no file or line, when nothing was."""
    first: dict[str, int] = {}
    for row, eid in enumerate(ids):
        at = first.setdefault(eid, row)
        if at != row and (u[at], f[at], ts[at], w[at]) != (u[row], f[row], ts[row], w[row]):
            line, prefix = loc.where(at)
            where = f"line {line}" if line is not None else prefix.rstrip(": ")
            raise problem(p, loc, row, f"event_id {eid!r} is also on {where} with another "
                          f"event (user_id {u[at]!r}, film_id {f[at]!r}, timestamp {ts[at]}, "
                          f"weight {w[at]:g}; here user_id {u[row]!r}, film_id {f[row]!r}, "
                          f"timestamp {ts[row]}, weight {w[row]:g}): an event_id names one "
                          "event; nothing was stored")


def derived_again(read: EventBatch, now: EventBatch) -> EventBatch:
    """``now`` (``read`` with some user or film ids read otherwise: ``sheet_ids``) with its
    event ids derived again from its rows where ``read``'s were derived (a file without
    event_id), so that the file corrected by hand is the same events, stored once."""
    if read.event_id != _derived_ids(read.user_id, read.film_id, read.timestamp, read.weight):
        return now  # the file's own event ids: kept
    return replace(now, event_id=_derived_ids(now.user_id, now.film_id, now.timestamp,
                                              now.weight))
