"""Double quotes that RFC 4180 refuses, found after pyarrow read a file without complaint.

pyarrow reads quotes leniently: ``21,"222"x,2`` is a film ``222x`` (text after a closing quote
joins the field) and a quote never closed swallows every later line into one field. Either is
a wrong answer said nowhere, so a delimited file whose quotes are not well formed is refused
naming the line and the field. The check is one vectorised pass over the quotes' places
(a file without a quote costs one ``memchr`` a block); only a file with a quote inside an
unquoted field (``Film "x" 2``, which is allowed) is walked by Python's ``csv`` to decide.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from recommender.errors import DataError
from recommender.io.compressed import file_bytes, read_blocks

_QUOTE = 34


def quote_problem(path: Path, data: bytes | None, delimiter: str,
                  names: Sequence[str] = ()) -> DataError | None:
    """The first ill-formed quote of the file at ``path`` (``data``: its bytes, when in
    memory) as a ``DataError`` naming its line and field (``names``: the columns, in order),
    else None: text after a closing quote, or a quote never closed."""
    blocks = read_blocks(path) if data is None else (
        data[at:at + _BLOCK] for at in range(0, len(data), _BLOCK))
    if len(delimiter.encode()) == 1 and _well_quoted(blocks, delimiter.encode()[0]):
        return None
    return _strict_problem(path, file_bytes(path) if data is None else data, delimiter, names)


_BLOCK = 1 << 24


def _well_quoted(blocks: Iterable[bytes], delimiter: int) -> bool:
    """Whether every quote of the text in ``blocks`` is well formed, read as if each were a
    field's opening or closing quote or half of a doubled quote inside one (a quote inside an
    unquoted field answers False: ``_strict_problem`` decides). By their order: an
    even-numbered quote opens a field (at the start, or after a separator, a line end or a
    quote: a doubled quote's second) and an odd-numbered one closes it (at the end, or before
    a separator, a line end or a quote: a doubled quote's first). Block by block, so the work
    arrays stay a block's size; a block without a quote costs a ``memchr``."""
    ends = np.zeros(256, dtype=bool)
    ends[[delimiter, 10, 13, _QUOTE]] = True
    odd = False  # the quotes so far are odd in number
    before: int | None = None  # the byte before the block (None: the file's start)
    waiting = False  # the last block ended on an odd-numbered quote: its next byte decides
    for block in blocks:
        if not block:
            continue
        if waiting and not ends[block[0]]:
            return False
        waiting = False
        if b'"' in block:
            b = np.frombuffer(block, np.uint8)
            q = np.flatnonzero(b == _QUOTE)
            closing = (np.arange(q.size) % 2 == 1) ^ odd
            prev = b[np.maximum(q - 1, 0)]
            first = q == 0
            opens = ends[prev] & ~first | first & (before is None or bool(ends[before]))
            last = q + 1 == b.size
            closes = ends[b[np.minimum(q + 1, b.size - 1)]] & ~last | last
            if not np.where(closing, closes, opens).all():
                return False
            waiting = bool(last[-1] and closing[-1])
            odd ^= bool(q.size % 2)
        before = block[-1]
    return not odd  # an odd count: a quote never closed


def _strict_problem(path: Path, data: bytes, delimiter: str, names: Sequence[str]
                    ) -> DataError | None:
    """The first ill-formed quote by Python's ``csv`` in strict mode (RFC 4180's rules)."""
    text = data.decode("utf-8-sig", errors="replace")
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1  # the line the row being read starts on
    try:
        for _ in reader:
            start = reader.line_num + 1
        return None
    except csv.Error as e:
        end = reader.line_num
        if "expected after" not in str(e) and "end of data" not in str(e):
            return DataError(str(path), f"malformed quoting ({e}); expected fields quoted as "
                             "RFC 4180 quotes them", line=end)
    lines = _LINES.findall(text)  # as csv counts them: \r\n, \r or \n ends one
    field, raw, opened = _walk("".join(lines[start - 1:max(end, start)]), delimiter)
    name = names[field] if field < len(names) else ""
    column = f" ({name})" if name else ""
    if raw is not None:  # text after a closing quote
        lenient = next(csv.reader([raw], delimiter=delimiter), [""])[0]
        return DataError(str(path), f"field {field + 1}{column} {raw!r} has text after its "
                         f"closing quote (it would be read as {lenient!r}); expected a "
                         "separator or the line's end right after a closing quote (RFC 4180): "
                         "quote the whole field or drop its quotes", line=end)
    line = start + opened
    later = len(lines) - line
    where = f"field {field + 1}{', ' if name else ''}{name}"
    return DataError(str(path), f"the quote opened on line {line} ({where}) "
                     f"is never closed: every later line ({later:,} line"
                     f"{'' if later == 1 else 's'}) was swallowed into that one field; close "
                     "the quote, or write a quote inside a quoted field twice (\"\")", line=line)


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_BREAK = re.compile(r"\r\n|\r|\n")


def _field_end(row: str, at: int, delimiter: str) -> int:
    """Where the unquoted text from ``at`` ends: the next separator or line end, else the end."""
    ends = [k for k in (row.find(delimiter, at), row.find("\n", at), row.find("\r", at))
            if k >= 0]
    return min(ends) if ends else len(row)


def _walk(row: str, delimiter: str) -> tuple[int, str | None, int]:
    """Where one row's quoting fails (a Python walk of one row, RFC 4180's states): (the
    field's 0-based number, the field as written when text follows its closing quote else
    None, the 0-based line within the row on which a quote never closed opened)."""
    field, begin, i, n = 0, 0, 0, len(row)
    while i < n:
        if row[i] == '"':  # a quoted field (a quote opens one only at its start)
            j = i + 1
            while (j := row.find('"', j)) >= 0 and row.startswith('"', j + 1):
                j += 2  # a doubled quote inside
            if j < 0:
                return field, None, len(_BREAK.findall(row, 0, i))
            i = j + 1
            if i < n and row[i] not in (delimiter, "\r", "\n"):
                return field, row[begin:_field_end(row, i, delimiter)], 0
        else:
            i = _field_end(row, i, delimiter)
        if i < n and row[i] != delimiter:
            break  # a line end outside quotes: the row's end
        field, begin, i = field + 1, i + 1, i + 1
    return field, None, 0
