"""Id columns checked as read: non-empty text of bounded length, no NUL, no placeholder, once.

``string_ids`` and ``interaction_ids`` turn an arrow column into the ids a log's reader keeps
(never reformatted); a bad id raises ``DataError`` with its line (or row) and what was
expected.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io import arrow_numpy as an
from recommender.io.delimited import Locator, problem
from recommender.io.numbers import value_of

#: The longest id accepted, in UTF-8 bytes: longer is a damaged file (an unclosed quote, a
#: column of text read as ids), never an id.
MAX_ID_BYTES = 1000


def np_str(arr: pa.Array | pa.ChunkedArray) -> NDArray[np.str_]:
    return an.strings(arr)


#: an id that is empty or only blanks (ASCII whitespace; the same class in Java's regular
#: expressions, for the Spark reader): no id, refused as an empty one is
BLANK_ID = r"^[ \t\n\r\f\x0B]*$"


def blank_id(value: str) -> bool:
    """Whether ``value`` is no id (``BLANK_ID``: empty, or ASCII blanks only): the one rule of
    every reader, training's, the CLI's options and id lists, ``forget`` and HTTP's
    (``service.event_schemas.NOT_BLANK_ID``). An id of other blanks (a no-break space, U+00A0)
    is an id of its own, kept byte for byte: trained, served, and so queried and erased."""
    return re.fullmatch(BLANK_ID, value) is not None


#: the cells an export writes for a missing id, as written (case kept: ``Null`` and ``NONE``
#: too): SQL's ``NULL`` (``null``), MySQL's ``SELECT ... INTO OUTFILE`` ``\N``, pandas'
#: ``astype(str)`` of a missing value (``nan``, ``NaN``, ``<NA>``, ``None``), R's ``NA``,
#: ``N/A`` typed by hand and Excel's ``#N/A``
PLACEHOLDER_IDS = frozenset({"NULL", "null", "Null", "\\N", "nan", "NaN", "NAN", "None",
                             "none", "NONE", "<NA>", "NA", "N/A", "n/a", "#N/A"})


def placeholder_id(value: str) -> bool:
    """Whether ``value`` is one of the ``PLACEHOLDER_IDS`` an export writes for a missing id.

    Such an id is refused, as an empty one is, not warned of and trained: every row without
    an id would be one user (film), its interactions those of every person the export lost
    the id of (a user ``NULL`` holding a tenth of the log, a film ``nan`` the most popular of
    all), and the model would learn, serve and count it without a word, while a warning
    scrolls past a training that succeeded. A real id could be written so (a user named
    ``null``), but in a CSV it is not told apart from the placeholder by anything: the
    refusal names the rows, and an id meant so is written otherwise in the export, a cheap
    fix beside the silent merging of unrelated histories. The one rule of a log's reader
    (training, ``events import``) and HTTP's events (``campaigns.event_checks``)."""
    return value in PLACEHOLDER_IDS


def _refuse_placeholders(path: Path, arr: pa.Array, lengths: pa.Array, name: str,
                         loc: Locator) -> None:
    """``DataError`` at the first of ``arr``'s ids that is a ``placeholder_id``, with how
    many rows hold one and what to do (only the ids of 2 to 4 bytes are looked up)."""
    short = pc.and_(pc.greater_equal(lengths, an.scalar(2, lengths.type)),
                    pc.less_equal(lengths, an.scalar(4, lengths.type)))
    if not pc.any(short).as_py():
        return
    # (an.from_strings: pa.array imports pandas, which a log's load never does)
    held = pc.and_(short, pc.is_in(arr, value_set=an.from_strings(np.array(sorted(
        PLACEHOLDER_IDS)))))
    if not pc.any(held).as_py():
        return
    rows = np.flatnonzero(held.to_numpy(zero_copy_only=False))
    forms = sorted({value_of(arr, int(r)) for r in rows[:10_000]})
    value, n = value_of(arr, int(rows[0])), len(rows)
    also = [f for f in forms if f != value]
    others = f" (and {', '.join(repr(f) for f in also[:3])})" if also else ""
    kind = name.removesuffix("_id")
    raise problem(path, loc, int(rows[0]), f"{name} {value!r} is a placeholder for a missing "
                  f"id, not an id: {n:,} row{'s' * (n != 1)} hold{'s' * (n == 1)} "
                  f"one{others}; trained, each placeholder would be one {kind} holding every "
                  f"row without an id; fill in those rows' {name} or drop the rows (an id "
                  f"really written {value!r} is not told apart from a missing one: write it "
                  "otherwise in the export)")


def string_ids(path: Path, col: pa.Array | pa.ChunkedArray, name: str,
               loc: Locator) -> pa.Array:
    """An id column as a non-empty string array (ids are never reformatted)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_floating(arr.type):
        raise DataError(str(path), f"column {name} holds floating-point numbers; store ids "
                        "as strings (or integers)")
    if pa.types.is_boolean(arr.type):  # a misplaced column: every row one of two "ids"
        raise DataError(str(path), f"column {name} holds true/false values; store ids as "
                        "strings (or integers)")
    if not pa.types.is_string(arr.type):
        try:
            arr = pc.cast(arr, pa.string())
        except pa.ArrowException as e:
            raise DataError(str(path), f"column {name} has type {arr.type}; expected string "
                            f"ids ({e})") from None
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise problem(path, loc, row, f"missing {name}; expected a non-empty id")
    lengths = pc.binary_length(arr)
    # BLANK_ID's ids: empty, or ' ' (a ", " separator, a blank cell), by arrow's own class of
    # ASCII blanks (the regular expression cost ~3x more on a 20M-row log)
    empty = pc.or_(pc.equal(lengths, an.scalar(0, lengths.type)), pc.ascii_is_space(arr))
    if pc.any(empty).as_py():
        row = int(np.flatnonzero(empty.to_numpy(zero_copy_only=False))[0])
        text = value_of(arr, row)
        raise problem(path, loc, row, f"empty {name}{f' ({text!r}: blanks only)' if text else ''}"
                      "; expected a non-empty id")
    _refuse_placeholders(path, arr, lengths, name, loc)
    if len(arr) and pc.max(lengths).as_py() > MAX_ID_BYTES:  # bytes: 600 é are 1,200
        row = int(pc.index(pc.greater(lengths, MAX_ID_BYTES), True).as_py())
        text, size = value_of(arr, row), lengths[row].as_py()
        raise problem(path, loc, row, f"{name} of {size:,} UTF-8 bytes ({len(text):,} characters"
                      f", {text[:20]!r}...); expected an id of at most {MAX_ID_BYTES:,} bytes "
                      "(is a quote left open, or a column misplaced?)")
    nul = pc.match_substring(arr, "\x00")
    if pc.any(nul).as_py():
        row = int(np.flatnonzero(nul.to_numpy(zero_copy_only=False))[0])
        raise problem(path, loc, row, f"{name} {value_of(arr, row)[:40]!r} holds a NUL byte; "
                      "expected text ids")
    return arr


def interaction_ids(path: Path, col: pa.Array | pa.ChunkedArray, name: str,
                    loc: Locator) -> pa.Array:
    """An interaction id column for ``Interactions.from_columns``: integer ids come back
    dictionary-encoded (the distinct integers written as strings, in order of first
    appearance, and one code per row), which skips writing millions of repeated ids as text;
    any other column as ``string_ids`` checks it. The ids are the same strings either way."""
    if not pa.types.is_integer(col.type):
        return string_ids(path, col, name, loc)
    if col.null_count:
        nulls = pc.is_null(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
        row = int(np.flatnonzero(nulls.to_numpy(zero_copy_only=False))[0])
        raise problem(path, loc, row, f"missing {name}; expected a non-empty id")
    enc = pc.dictionary_encode(col)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return pa.DictionaryArray.from_arrays(enc.indices, enc.dictionary.cast(pa.string()))


def check_unique_ids(path: Path, ids: pa.Array, name: str, loc: Locator) -> None:
    if len(pc.unique(ids)) == len(ids):
        return
    values = np_str(ids)
    _, first = np.unique(values, return_index=True)
    dup = np.ones(len(values), dtype=bool)
    dup[first] = False
    row = int(np.flatnonzero(dup)[0])
    # the first listing named too: "line 945: user_id '3' is listed twice" left it to a search
    line, prefix = loc.where(int(np.flatnonzero(values == values[row])[0]))
    at = f"line {line}" if line is not None else prefix.rstrip(": ")
    raise problem(path, loc, row, f"{name} {str(values[row])!r} is listed twice (first on "
                  f"{at}); expected one row per id")
