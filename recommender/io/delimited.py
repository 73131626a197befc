"""Delimited text read with pyarrow, and error messages that name the file, the line and the fix.

The happy path is one multithreaded pyarrow read; the slower diagnostics (which line, which
byte, which separator) run only once something is known to be wrong.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from recommender.errors import DataError
from recommender.io.binary import check_text_file, decode_error, text_problem
from recommender.io.compressed import (
    GZIP_ERRORS,
    arrow_source,
    file_bytes,
    gzip_problem,
    is_gzip,
)
from recommender.io.first_line import head_bytes, header_fields
from recommender.io.line_places import (  # the others re-exported: imported from here
    CsvLocator,  # noqa: F401
    Locator,  # noqa: F401
    RowLocator,  # noqa: F401
    _quoted_break_in,
    breaks_in_quotes,  # noqa: F401
    physical_line,
    problem,  # noqa: F401
    quoted_line_break,
)
from recommender.io.quotes import quote_problem

PathLike = str | os.PathLike[str]

#: The interaction header the messages ask for (also when a catalog or user file is empty).
EXPECTED_HEADER = "user_id,film_id[,rating][,weight][,timestamp]"
_SEPARATOR_NAMES = {",": "','", "\t": "tab", ";": "';'", " ": "space", "|": "'|'", "::": "'::'"}


@dataclass
class Delimited:
    """How to read one delimited file. ``data`` (if given) replaces the file's bytes but must
    keep its line structure (the ``::`` -> one-character rewrite does)."""

    path: Path
    delimiter: str
    names: list[str]
    header: bool
    quoting: bool = True
    data: bytes | None = None
    shown_separator: str | None = None  # how messages name the separator (default: delimiter)


def utf8_problem(path: Path) -> DataError:
    raw = file_bytes(path)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return decode_error(path, raw, e)
    return DataError(str(path), "invalid UTF-8 text; expected UTF-8")


def sep_name(sep: str) -> str:
    return _SEPARATOR_NAMES.get(sep, repr(sep))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


class ConversionError(Exception):
    """A numeric column did not convert on the fast path."""


def read_delimited(spec: Delimited, types: dict[str, pa.DataType]) -> pa.Table:
    """Read the columns in ``types`` (by name) with pyarrow, multithreaded.

    Raises ``DataError`` for malformed rows and undecodable bytes. Numeric conversion errors
    are re-raised as ``ConversionError`` so the caller can take the slow, diagnosing path.
    """
    if spec.data is None:
        check_text_file(spec.path)
    source = pa.BufferReader(spec.data) if spec.data is not None else arrow_source(spec.path)
    read_opts = pacsv.ReadOptions(column_names=spec.names, skip_rows=int(spec.header),
                                  use_threads=True, block_size=_BLOCK)
    parse_opts = pacsv.ParseOptions(delimiter=spec.delimiter,
                                    quote_char='"' if spec.quoting else False,
                                    ignore_empty_lines=True,
                                    newlines_in_values=_spans_blocks(spec))
    convert_opts = pacsv.ConvertOptions(column_types=types, include_columns=list(types),
                                        null_values=[""], strings_can_be_null=False,
                                        quoted_strings_can_be_null=False)
    try:
        before = _stamp(spec)
        table = pacsv.read_csv(source, read_options=read_opts, parse_options=parse_opts,
                               convert_options=convert_opts)
        if before != _stamp(spec):  # a log still being written: its last line may be half
            raise DataError(str(spec.path), "the file changed while it was read (is it still "
                            "being written?); expected a complete file") from None
        # pyarrow reads '"222"x' as 222x and an unclosed quote as the rest of the file: refused
        bad_quote = quote_problem(spec.path, spec.data, spec.delimiter, spec.names) \
            if spec.quoting else None
        if bad_quote is not None:
            raise bad_quote
        return table
    except pa.ArrowInvalid as e:
        msg = str(e)
        if "UTF8" in msg or "UTF-8" in msg:
            raise utf8_problem(spec.path) from None
        if "CSV parse error" in msg:
            raise _parse_problem(spec, msg) from None
        if "conversion error" in msg:
            raise ConversionError(msg) from None
        if "straddling object" in msg:
            raise _long_line(spec) from None
        if "Empty CSV file" in msg:
            raise DataError(str(spec.path), f"the file is empty; expected lines of "
                            f"{len(spec.names)} fields separated by "
                            f"{sep_name(spec.shown_separator or spec.delimiter)}") from None
        raise DataError(str(spec.path), f"could not read the file: {msg}") from None
    except (OSError, pa.ArrowException) as e:
        if spec.data is None and is_gzip(spec.path) and isinstance(e, GZIP_ERRORS):
            raise gzip_problem(spec.path, e) from None
        raise DataError(str(spec.path), f"could not read the file: {e}") from None


_BLOCK = 1 << 24  # pyarrow's read block: a line longer than that cannot be read


def _stamp(spec: Delimited) -> tuple[int, int] | None:
    """A regular file's size and time (None for bytes in memory or a pipe): a line half
    written while pyarrow read (``u9,fi`` of ``u9,film7``) was a film ``fi`` that never was."""
    if spec.data is not None:
        return None
    try:
        st = spec.path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


def _spans_blocks(spec: Delimited) -> bool:
    """Whether to tell pyarrow that a quoted field spans lines: else it cuts a file larger
    than a block at a line break inside quotes (``u9,"a<LF>b,c"`` read as ``u9,"a`` and a
    user ``b``, or a valid file refused). The scan is a ``memchr`` a block without quotes."""
    if not spec.quoting:
        return False
    if spec.data is not None:
        return len(spec.data) > _BLOCK and _quoted_break_in(spec.data)
    if is_gzip(spec.path):  # its text's size is unknown: within a block both read alike
        return True
    try:
        big = spec.path.stat().st_size > _BLOCK
    except OSError:
        return False  # pyarrow says what it finds
    return big and quoted_line_break(spec.path)


def _long_line(spec: Delimited) -> DataError:
    """The first line longer than pyarrow's read block (no id, title or number is that long)."""
    payload = spec.data if spec.data is not None else file_bytes(spec.path)
    b = np.frombuffer(payload, dtype=np.uint8)
    ends = np.r_[np.flatnonzero(b == 10), b.size]
    lengths = np.diff(np.r_[-1, ends]) - 1
    long = np.flatnonzero(lengths > _BLOCK)
    row = int(long[0]) if len(long) else int(np.argmax(lengths))
    return DataError(str(spec.path), f"a line of {int(lengths[row]) / 2**20:,.1f} MiB; expected "
                     f"lines of at most {_BLOCK >> 20} MiB (no id, title or number is that long: "
                     "is a quote left open, or is this not a delimited text file?)",
                     line=row + 1)


def _parse_problem(spec: Delimited, msg: str) -> DataError:
    """Locate a row with the wrong number of fields (single-threaded re-read)."""
    payload = spec.data if spec.data is not None else file_bytes(spec.path)
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return utf8_problem(spec.path)  # pyarrow cannot show undecodable rows
    bad: list[tuple[int | None, str, int, int]] = []

    def handler(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "error"

    source = pa.BufferReader(spec.data) if spec.data is not None else arrow_source(spec.path)
    try:
        pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=spec.names, skip_rows=int(spec.header),
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=spec.delimiter,
                                             quote_char='"' if spec.quoting else False,
                                             newlines_in_values=spec.quoting,
                                             invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string()
                                                               for n in spec.names},
                                                 include_columns=spec.names[:1]),
        )
    except pa.ArrowException:
        pass
    sep = sep_name(spec.shown_separator or spec.delimiter)
    if not bad:
        detail = msg.split(":", 1)[-1].strip()
        return DataError(str(spec.path), f"malformed line ({detail}); expected "
                         f"{len(spec.names)} fields separated by {sep}")
    number, text, expected, actual = bad[0]
    line = physical_line(spec.path, number - 1, spec.quoting, spec.delimiter) if number else None
    bad_quote = quote_problem(spec.path, payload, spec.delimiter, spec.names) \
        if spec.quoting else None
    if bad_quote is not None and (line is None or (bad_quote.line or line) <= line):
        return bad_quote  # a quote never closed read the lines after it as one field
    if spec.shown_separator is not None:
        text = text.replace(spec.delimiter, spec.shown_separator)
    hint = "" if text.strip() else " — a line of blanks alone (no data): delete it"
    if actual == 1 and text.strip():  # blanks alone are no separator of another kind
        for cand in (";", ",", "\t", "|", " "):
            if cand != spec.delimiter and cand in text:
                hint = f" — is the separator {sep_name(cand)}?"
                break
    return DataError(str(spec.path), f"expected {expected} fields separated by {sep}"
                     f"{' (as in the header)' if spec.header else ''}; found {actual}: "
                     f"{text[:200]!r}{hint}", line=line)


# --------------------------------------------------------------------------------------------
# Files with a header line
# --------------------------------------------------------------------------------------------


def existing_file(path: PathLike, stdin: str | None = None, command: str = "train") -> Path:
    """``path`` as a regular file, else a ``DataError`` saying what it is. ``stdin``: how
    ``recommender COMMAND`` reads standard input instead (``train --data -``, ``events
    import -``), offered for a pipe."""
    p = Path(path)
    if not p.exists():
        raise DataError(str(p), "no such file")
    if not p.is_file():  # a pipe (<(zcat log.csv.gz), /dev/stdin) failed "lseek failed"
        instead = (f"give {stdin} instead, which reads standard input (copied once to a "
                   f"temporary file: `zcat log.csv.gz | recommender {command} {stdin} ...`), "
                   "or save it to a file and give that" if stdin else
                   "save it to a file and give that")
        raise DataError(str(p), "expected a file, found a folder" if p.is_dir() else "is a "
                        "pipe or a device, not a file: it is read more than once (its header, "
                        f"then its rows); {instead}")
    return p


def sniff_header(p: Path, expected: str = EXPECTED_HEADER, alone: Sequence[str] = ()
                 ) -> tuple[str, list[str]]:
    """The delimiter (comma, tab or semicolon) and the header's field names. ``expected``: the
    header the file should have (an empty catalog was told to hold an interactions log's);
    ``alone``: names (lower case) that may be the only column (a catalog's ``film_id``)."""
    head = head_bytes(p, expected)
    if not head.strip():
        raise DataError(str(p), "the file is empty; expected a header line "
                        f"'{expected}' followed by data lines")
    err = text_problem(p, head, hints=expected == EXPECTED_HEADER,  # binary: no header to show
                       header=expected)
    if err is not None:
        raise err
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise utf8_problem(p) from None
    if not text.strip():
        raise DataError(str(p), f"expected a header line '{expected}'; found an empty "
                        "line", line=1)
    counts = {d: text.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0 and text.strip().lower() in alone:
        return ",", [text.strip()]
    if counts[delimiter] == 0:
        hint = ""
        others = [c for c in ("|", "::", " ", ":") if c in text.strip()]
        if others:  # no option sets a separator: say what is read instead
            hint = (f" — is the separator {sep_name(others[0])}? write the file with ',', tab "
                    "or ';' between columns" + (
                        " (only MovieLens 100K's u.item and u.user, headerless, are read "
                        "'|'-separated: by those names, or in their folder as --data)"
                        if others[0] == "|" else ""))
        raise DataError(str(p), "expected columns separated by ',', tab or ';'; found a single "
                        f"column {text!r}{hint}", line=1)
    names = header_fields(text, delimiter)
    return delimiter, [n.strip() for n in names]


def quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def check_unique_names(p: Path, names: Sequence[str], canon: Sequence[str],
                       line: int | None = 1) -> None:
    """Raise when two header columns stand for the same (canonical) column (``line``: the
    header's; None for a Parquet file's schema, which has no lines)."""
    seen: dict[str, str] = {}
    for orig, c in zip(names, canon, strict=True):
        if c in seen:
            raise DataError(str(p), f"columns {seen[c]!r} and {orig!r} both name {c}; expected "
                            "each column once", line=line)
        seen[c] = orig


# --------------------------------------------------------------------------------------------
# Files without a header: ``::`` separators, latin-1 text
# --------------------------------------------------------------------------------------------


def _free_delimiter(p: Path, raw: bytes) -> str:
    for cand in ("\x1f", "\x1e", "\x1d", "\x1c", "\t", "|"):
        if cand.encode() not in raw:
            return cand
    raise DataError(str(p), "the file holds every control character the '::' reader could "
                    "use; expected text lines such as user::film::rating::timestamp")


def dat_bytes(p: Path, raw: bytes | None = None) -> tuple[bytes, str, int]:
    """The file's bytes with ``::`` replaced by a one-byte delimiter, that delimiter and the
    number of fields on the first line (a ``.gz`` file's text: gzip read through)."""
    raw = file_bytes(p) if raw is None else raw
    if not raw.strip():
        raise DataError(str(p), "the file is empty; expected lines user::film::rating::timestamp")
    err = text_problem(p, raw)
    if err is not None:
        raise err
    delim = _free_delimiter(p, raw)
    data = raw.replace(b"::", delim.encode())
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0]
    return data, delim, first.count(delim.encode()) + 1


def decode_text(p: Path) -> bytes:
    """The file re-encoded as UTF-8 bytes: tried as UTF-8, then latin-1 (always decodes); a
    ``.gz`` file's text (gzip read through)."""
    raw = file_bytes(p)
    err = text_problem(p, raw)
    if err is not None:
        raise err
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError:
        return raw.decode("latin-1").encode("utf-8")
