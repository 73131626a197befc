"""Column conversion: arrow columns to checked ids and timestamps, then Interactions.

Conversions are vectorised; a value that does not convert is found by bisection and reported
with its line (or row) and what was expected. Numbers (rating, weight): `io.numbers`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io import arrow_numpy as an
from recommender.io.delimited import (
    Locator,
    problem,
)
from recommender.io.id_columns import (  # noqa: F401 (re-exported: imported from here)
    BLANK_ID,
    MAX_ID_BYTES,
    PLACEHOLDER_IDS,
    check_unique_ids,
    interaction_ids,
    np_str,
    placeholder_id,
    string_ids,
)
from recommender.io.iso_forms import ISO_TIMES, basic_form
from recommender.io.numbers import first_failing as _first_failing
from recommender.io.numbers import value_of
from recommender.io.text import iso_utc

# unix seconds up to the year 5138: past it, a log's timestamps are milliseconds (or finer)
MAX_TIMESTAMP = 10**11


def _floor_decimal(path: Path, loc: Locator, arr: pa.Array) -> pa.Array:
    """Decimal seconds (a Parquet decimal column) floored to int64, exactly: through a
    float64, 1600000000.9999999999 rounded up to 1600000001. Past ``MAX_TIMESTAMP``, or below
    what an int64 holds, refused as a float column's value is."""
    floored = pc.floor(arr)
    approx = np.asarray(pc.cast(floored, pa.float64()).fill_null(0.0)
                        .to_numpy(zero_copy_only=False), dtype=np.float64)
    for bad, what in ((approx > MAX_TIMESTAMP, "is past the year 5138: expected unix seconds "),
                      (approx < -(2.0**63), "is out of range; expected unix seconds")):
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            hint = unit_hint(float(approx[row])) if approx[row] > 0 else ""
            raise problem(path, loc, row, f"timestamp {value_of(arr, row)} {what}{hint}")
    return pc.cast(floored, pa.int64())


TEXT_LIMIT = 2**31 - 2**24  # text joined as large_string past this (a string array holds 2 GiB)


def _ts_int(arr: pa.Array) -> pa.Array:
    out = pc.cast(arr, pa.int64())  # (fails at once on text that is no number)
    # decimal digits only: pyarrow's cast also reads hexadecimal ("0x10" as 16; so written
    # only: no sign, no space), neither unix seconds nor a time (Spark's reader refuses it)
    if pc.any(pc.starts_with(arr, "0x", ignore_case=True)).as_py():
        raise ValueError("hexadecimal")
    return out


def _ts_float(arr: pa.Array) -> pa.Array:
    out = pc.cast(arr, pa.float64())
    if out.null_count or not np.isfinite(out.to_numpy(zero_copy_only=False)).all():
        raise ValueError("non-finite timestamp")
    return pc.cast(pc.floor(out), pa.int64())


def _ts_iso(unit: str, tz: str | None) -> Callable[[pa.Array], pa.Array]:
    """An ISO 8601 parser at ``unit`` (naive times read as UTC when ``tz`` is None), floored
    to whole seconds: 2020-01-31T12:00:00.500 is a valid time (what JavaScript's toISOString
    and pandas write), and fractions are floored as decimal seconds are."""
    return lambda arr: _floor_to_seconds(pc.cast(arr, pa.timestamp(unit, tz=tz)))


#: the date-time separator and the UTC designator of an ISO 8601 time, in either case: RFC 3339
#: (section 5.6) allows "t" and "z", which pyarrow's parser refuses (``rfc3339_upper``); Spark's
#: reader (``recommender.spark.timestamps``) takes the same
TIME_SEPARATOR = "[Tt ]"
UTC_DESIGNATOR = "[Zz]"


def rfc3339_upper(text: pa.Array) -> pa.Array:
    """Time text (stripped) with a lowercase ``t`` between date and time and a lowercase UTC
    designator ``z`` written ``T`` and ``Z``, as pyarrow's ISO 8601 parser takes them (RFC 3339
    allows either case: ``2026-01-02t03:04:05z`` was refused); other text unchanged."""
    text = pc.replace_substring_regex(text, pattern=r"^([0-9]{4}-[0-9]{2}-[0-9]{2})t",
                                      replacement=r"\1T")
    return pc.replace_substring_regex(text, pattern=r"([0-9])z$", replacement=r"\1Z")


# a time of day followed by a zone designator (Z or an offset); a bare date's "-31" is none
_ZONED = (TIME_SEPARATOR + r"\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?\s*(" + UTC_DESIGNATOR
          + r"|[+-]\d{2}(:?\d{2})?)$")


def _ts_iso_mixed(unit: str) -> Callable[[pa.Array], pa.Array]:
    """``_ts_iso`` for a column that mixes naive and zoned times (a log appended to by two
    systems): the zoned ones honour their offset, the naive ones are read as UTC, as each
    is alone."""
    def parse(arr: pa.Array) -> pa.Array:
        zoned = pc.fill_null(pc.match_substring_regex(arr, _ZONED), False)
        zoned_np = zoned.to_numpy(zero_copy_only=False)
        out = np.zeros(len(arr), np.int64)
        for rows, tz in ((np.flatnonzero(zoned_np), "UTC"), (np.flatnonzero(~zoned_np), None)):
            if len(rows):
                part = _ts_iso(unit, tz)(arr.take(pa.array(rows)))
                out[rows] = np.asarray(part.fill_null(0).to_numpy(zero_copy_only=False))
        return pa.array(out, mask=pc.is_null(arr).to_numpy(zero_copy_only=False))
    return parse


# microseconds reach years far past any log; nanoseconds (pandas' nine-digit fractions) stop
# at 2262, so they are tried last; a column mixing naive and zoned times after those
_ISO_PARSERS = (_ts_iso("us", None), _ts_iso("us", "UTC"), _ts_iso("ns", None),
                _ts_iso("ns", "UTC"), _ts_iso_mixed("us"), _ts_iso_mixed("ns"))
#: what each of (_ts_int, _ts_float, *_ISO_PARSERS) reads, for an error's words
_FORMS = ("unix seconds", "decimal unix seconds", *["ISO 8601 times"] * len(_ISO_PARSERS))


def _floor_to_seconds(arr: pa.Array) -> pa.Array:
    """Timestamps of any unit as int64 unix seconds, fractions floored, nulls kept."""
    unit = getattr(arr.type, "unit", "s")
    raw = pc.cast(arr, pa.int64())
    if unit == "s":
        return raw
    per_second = {"ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    return pa.array(np.floor_divide(raw.fill_null(0).to_numpy(), per_second),
                    mask=raw.is_null().to_numpy(zero_copy_only=False))


def _text_seconds(path: Path, loc: Locator, written: pa.Array
                  ) -> tuple[pa.Array, pa.Array | None]:
    """Timestamps written as text (see ``timestamp_column``) as int64 unix seconds, and the
    text where it holds times (for ``_refuse_late``'s words); ``DataError`` names the row."""
    # surrounding spaces are no part of a value: the CSV reader's fast path drops them
    # around numbers, and Spark's reader around any value (" 2020-01-31" was refused,
    # " 1600000000" read, and only locally)
    arr = rfc3339_upper(pc.ascii_trim_whitespace(written))  # "t" and "z" as "T" and "Z"
    parsers = (_ts_int, _ts_float, *_ISO_PARSERS)
    firsts = []
    for parse in parsers:
        bad = _first_failing(arr, parse)
        if bad is None:
            return parse(arr), written if parse in _ISO_PARSERS else None
        firsts.append(bad)
    row = max(firsts)
    value = value_of(written, row)
    what = "empty timestamp" if not value.strip() else f"timestamp {value!r} is not valid"
    # a value valid alone, past rows of another form: the column mixes forms
    before = _FORMS[firsts.index(row)]
    alone = [form for parse, form in zip(parsers, _FORMS, strict=True)
             if value.strip() and _first_failing(arr.slice(row, 1), parse) is None]
    if alone and alone[0] != before:
        what = (f"timestamp {value!r} is written as {alone[0]}, while the rows before "
                f"it are written as {before}: a column holds one form")
    elif (extended := basic_form(value)) is not None:
        what = (f"timestamp {value!r} is in ISO 8601's basic form, which is not read (in "
                f"the extended form: {extended})")
    raise problem(path, loc, row, f"{what}; expected unix seconds or {ISO_TIMES}")


def timestamp_column(path: Path, col: pa.Array | pa.ChunkedArray, loc: Locator,
                     whole: pa.Array | pa.ChunkedArray | None = None) -> NDArray[np.int64]:
    """Timestamps as int64 unix seconds: integers, decimal seconds (floored) or ISO 8601
    strings (``2020-01-31``, ``2020-01-31 12:00:00``; naive times are taken as UTC, and a zone
    offset such as ``Z`` or ``+01:00`` is honoured, in one column together too).
    ``whole``: the file's whole column where ``col`` is its first rows (``events import``
    words the first bad row's problem on the rows up to it): the judgements of the column as
    a whole (every time a date written YYYYMMDD, every time in January 1970) are the whole
    file's, made only where it converts (they said "every timestamp falls in August 1970" of
    a file whose later times were today's)."""
    out, times = _seconds(path, col, loc)
    judged = (out, times) if whole is None else _quietly(path, whole)
    if judged is not None:
        _refuse_dates(path, loc, judged[0])
        if judged[1]:
            _refuse_unit_slip(path, loc, judged[0], judged[1])
    return out


def _quietly(path: Path, col: pa.Array | pa.ChunkedArray
             ) -> tuple[NDArray[np.int64], str] | None:
    """``_seconds`` of ``col``, or None where a value of it does not convert."""
    try:
        return _seconds(path, col, _Alone())
    except DataError:
        return None


def _seconds(path: Path, col: pa.Array | pa.ChunkedArray, loc: Locator
             ) -> tuple[NDArray[np.int64], str]:
    """``timestamp_column``'s seconds, each value checked alone, and how the column says it
    holds times (``_refuse_unit_slip``): "stored" for a type that does (a Parquet timestamp),
    "written" for ISO 8601 text, "" for numbers (and dates: no unit slips to one)."""
    if isinstance(col, pa.ChunkedArray) and pa.types.is_string(col.type) \
            and col.nbytes >= TEXT_LIMIT:
        col = col.cast(pa.large_string())
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):  # pandas' category: the values it stands for
        arr = arr.dictionary_decode()
    if pa.types.is_null(arr.type) and len(arr):  # a Parquet column of nulls alone: empty, as
        # a CSV's empty cells are (it said "has type null", naming no row)
        raise problem(path, loc, 0, f"empty timestamp; expected unix seconds or {ISO_TIMES}")
    if pa.types.is_string_view(arr.type):  # text, as Spark's reader reads it
        arr = pc.cast(arr, pa.string())
    if pa.types.is_decimal(arr.type):  # decimal seconds, floored (exactly)
        arr = _floor_decimal(path, loc, arr)
    typed = pa.types.is_timestamp(arr.type)
    times = "stored" if typed else ""
    dates: pa.Array | None = None  # times written as dates (ISO text or a Parquet type)
    if typed or pa.types.is_date(arr.type):
        dates = arr
    if typed:
        # ms / us / ns (pandas writes ns): floored to whole seconds, as decimal seconds are
        # (a safe cast refused any value that is not a whole second)
        arr = _floor_to_seconds(arr)
    elif pa.types.is_date(arr.type):
        arr = pc.cast(pc.cast(arr, pa.timestamp("s")), pa.int64())
    elif pa.types.is_floating(arr.type):
        values = arr.to_numpy(zero_copy_only=False)
        bad = ~np.isfinite(values) & ~pc.is_null(arr).to_numpy(zero_copy_only=False)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise problem(path, loc, row, f"timestamp {float(values[row])} is not a finite "
                          "number; expected unix seconds")
        _refuse_late(path, loc, np.nan_to_num(values, nan=0.0), "g")  # before the cast
        early = np.nan_to_num(values, nan=0.0) < -(2.0**63)  # no int64 holds it: the cast raised
        if early.any():
            row = int(np.flatnonzero(early)[0])
            raise problem(path, loc, row, f"timestamp {float(values[row]):g} is out of range; "
                          "expected unix seconds")
        arr = pc.cast(pc.floor(arr), pa.int64())
    elif pa.types.is_unsigned_integer(arr.type):
        # before the cast to int64, where a value past it would wrap to a negative number
        _refuse_late(path, loc, pc.cast(arr, pa.uint64()).to_numpy(zero_copy_only=False), "d")
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        try:  # the common case, unix seconds as written: one cast and no copy
            arr = _ts_int(arr)
        except (pa.ArrowException, ValueError):
            arr, dates = _text_seconds(path, loc, arr)
            times = "written" if dates is not None else ""
    elif not pa.types.is_integer(arr.type):
        raise DataError(str(path), f"column timestamp has type {arr.type}; expected unix "
                        f"seconds or {ISO_TIMES}")
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise problem(path, loc, row, "empty timestamp; expected unix seconds")
    out = np.asarray(an.values(arr), dtype=np.int64)
    _refuse_late(path, loc, out, "d", dates)
    return out, times


class _Alone(Locator):
    """No place in a file: one value sent alone (``zoned_time``)."""

    def where(self, row: int) -> tuple[int | None, str]:
        return None, ""


#: what ``zoned_time`` takes, for its refusals (the value itself is said by the caller)
ZONED_TIME = ("whole unix seconds (a JSON number) or an ISO 8601 time in the extended form "
              "with its zone, such as 2020-01-31T12:00:00Z or 2020-01-31T13:00:00+01:00")


def zoned_time(text: str) -> int:
    """One ISO 8601 time with its zone (``Z`` or an offset such as ``+01:00``) as unix
    seconds, read by the rules ``timestamp_column`` reads a column of text by (``t`` and ``z``
    in either case, fractions floored, past the year 5138 refused); ``ValueError`` says why
    not. A time without a zone, which a column reads as UTC, is refused: sent alone, it could
    be any zone's."""
    arr = rfc3339_upper(pc.ascii_trim_whitespace(pa.array([text], pa.string())))
    if not pc.match_substring_regex(arr, _ZONED)[0].as_py():
        dated = pc.match_substring_regex(arr, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")[0].as_py()
        extended = basic_form(text)  # 20170621T071725Z: ISO 8601's basic form, not read
        raise ValueError(f"should be {ZONED_TIME}" + (
            ": add Z (UTC) or an offset such as +01:00 to the time of day (a time without "
            "one could be any zone's)" if dated else f": it is in ISO 8601's basic form, "
            f"which is not read (in the extended form: {extended}" + (
                ", with Z or an offset such as +01:00 added: sent alone, a time without one "
                "could be any zone's" if not _zone_at_end(extended) else "") + ")"
            if extended else ""))
    try:
        seconds, _ = _text_seconds(Path(), _Alone(), arr)
    except DataError:
        raise ValueError(f"should be {ZONED_TIME}") from None
    out = int(seconds[0].as_py())
    if out > MAX_TIMESTAMP:
        raise ValueError("is past the year 5138: expected the time of the event (is it a "
                         "placeholder for an unknown time?)")
    return out


def _zone_at_end(extended: str) -> bool:
    """Whether an extended-form time ends in its zone (``Z``, ``+01:00``, ``-05:00``)."""
    return extended.upper().endswith("Z") or extended[-6:-5] in ("+", "-")


#: the end of January 1970: a timestamp column (a type that says it holds times) with every
#: time before it holds numbers written in a coarser unit than its own
_UNIT_SLIP_END = 31 * 86_400


def _refuse_unit_slip(path: Path, loc: Locator, seconds: NDArray[np.int64],
                      times: str = "stored") -> None:
    """Raise when every time of a column of times falls in January 1970: unix seconds (or
    milliseconds) stored as nanoseconds, microseconds or milliseconds, as pandas'
    ``to_datetime`` of numbers without ``unit="s"`` stores them (``times`` "stored": a
    timestamp type), or such times written out as ISO 8601 text (``times`` "written": a
    CSV's ``1970-01-01 00:00:01.608132331``, ``to_csv`` of that frame; ``1970-01-19 ...``
    of milliseconds read with ``unit="ms"`` misplaced). Read as they were, every time fell
    within a few seconds (or days) of the epoch: all equal once floored, or a horizon of an
    hour, so the log was trained as one without timestamps (a random hold-out, no horizon),
    or with a horizon of 0.042 days for 12.9, without a word, while ``meta.json`` said it
    had them."""
    if not len(seconds) or seconds.min() < 0 or seconds.max() >= _UNIT_SLIP_END:
        return
    first = iso_utc(int(seconds[0]))
    how = ("stored as a finer unit" if times == "stored" else
           "turned into times as a finer unit, then written as text")
    raise problem(path, loc, 0, f"timestamp {first}: every timestamp falls in January 1970, "
                  f"so they look like unix seconds or milliseconds {how} (pandas' "
                  "to_datetime of numbers without unit='s' reads them as nanoseconds); "
                  f"{'store' if times == 'stored' else 'write'} the times themselves, or "
                  "unix seconds as numbers")


def _refuse_dates(path: Path, loc: Locator, seconds: NDArray[np.int64]) -> None:
    """Raise when every timestamp reads as a date written YYYYMMDD (19000101 to 21001231, a
    valid month and day): as unix seconds they all fall in August 1970, so every horizon and
    time split would come out of a few weeks of one summer, without a word."""
    if not len(seconds) or seconds.min() < 19000101 or seconds.max() > 21001231:
        return
    month, day = (seconds // 100) % 100, seconds % 100
    if ((month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)).all():
        raise problem(path, loc, 0, f"timestamp {seconds[0]} looks like a date written "
                      "YYYYMMDD (as unix seconds, every timestamp falls in August 1970); write "
                      "dates as 2020-01-31 (ISO 8601's extended form), or unix seconds")


def _refuse_late(path: Path, loc: Locator, seconds: NDArray[Any], shown: str,
                 dates: pa.Array | None = None) -> None:
    """Raise naming the first value past ``MAX_TIMESTAMP`` (``shown``: its format): such a
    log holds milliseconds by mistake, and every horizon would come out 1000x too long.
    A time written as a date (``dates``: the column as written) is no number of
    milliseconds: one that late is a placeholder for "no time" (9999-12-31), and the message
    names it as written (it said "timestamp 253402214400 ... divide by 1000")."""
    late = seconds > MAX_TIMESTAMP
    if late.any():
        row = int(np.flatnonzero(late)[0])
        if dates is not None:
            raise problem(path, loc, row, f"timestamp {value_of(dates, row)!r} is past the "
                          "year 5138: expected the time of the event (is it a placeholder for "
                          "an unknown time?)")
        raise problem(path, loc, row, f"timestamp {seconds[row]:{shown}} is past the year "
                      f"5138: expected unix seconds {unit_hint(float(seconds[row]))}")


def unit_hint(value: float) -> str:
    """The finer unit a timestamp past ``MAX_TIMESTAMP`` is likely written in, by its size
    (today's time is 1.7e12 milliseconds, 1.7e15 microseconds, 1.7e18 nanoseconds), and the
    division back to seconds, its thousands separated by commas as every figure of the
    messages is: "divide by 1000" for microseconds left them a thousand times too late."""
    for limit, unit, by in zip(UNIT_BOUNDS, ("milliseconds", "microseconds"),
                               ("1,000", "1,000,000"), strict=True):
        if value < limit:
            return f"({unit}? divide by {by})"
    return "(nanoseconds? divide by 1,000,000,000)"


#: a late timestamp below the first is taken for milliseconds, below the second for
#: microseconds, else for nanoseconds (``unit_hint``; the Spark reader splits by them too)
UNIT_BOUNDS = (1e14, 1e17)


def year_from(col: pa.Array, pattern: str) -> pa.Array:
    """The named group ``y`` of ``pattern`` in each string (null where it does not match)."""
    return pc.struct_field(pc.extract_regex(col, pattern), "y")


def years(*candidates: pa.Array) -> NDArray[np.int32]:
    """First non-null candidate (decimal strings) per row as int32; 0 when none."""
    merged = pc.coalesce(*candidates, an.scalar("0", pa.string()))
    return np.asarray(an.values(pc.cast(merged, pa.int32())), dtype=np.int32)


def ages(values: NDArray[np.str_]) -> NDArray[np.int64]:
    """Ages in years; anything not a number -> -1 (unknown)."""
    arr = pc.utf8_trim_whitespace(an.from_strings(values))
    ok = pc.match_substring_regex(arr, r"^\d+(\.\d*)?$")
    nums = pc.cast(pc.if_else(ok, arr, an.scalar("-1", pa.string())), pa.float64())
    return np.asarray(an.values(nums), dtype=np.float64).astype(np.int64)
