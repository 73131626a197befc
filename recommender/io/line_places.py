"""Where a record is in its source, for messages: the line an editor shows, or a row number.

A record's line counts lines as an editor does: a quoted field may span lines, and a line may
end in LF, CRLF or CR alone. The file is read whole (``file_bytes``) on the error path only.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io.compressed import file_bytes, read_blocks


class Locator:
    """Turns a 0-based data row into a place in the source for messages."""

    def where(self, row: int) -> tuple[int | None, str]:
        raise NotImplementedError


class CsvLocator(Locator):
    """Data row -> the line it starts on, counting lines as an editor does: a quoted field
    may span lines (``quoting``; its quotes open after ``delimiter``), and a line may end in
    LF, CRLF or CR alone, as the reader accepts."""

    def __init__(self, path: Path, header: bool, quoting: bool = True,
                 delimiter: str = ",") -> None:
        self.path, self.header, self.quoting, self.delimiter = path, header, quoting, delimiter

    def where(self, row: int) -> tuple[int | None, str]:
        return physical_line(self.path, row + int(self.header), self.quoting,
                             self.delimiter), ""


class RowLocator(Locator):
    def where(self, row: int) -> tuple[int | None, str]:
        return None, f"row {row + 1}: "


def problem(path: Path, loc: Locator, row: int, message: str) -> DataError:
    """``DataError`` about data row ``row`` (0-based), placed by ``loc``."""
    line, prefix = loc.where(row)
    return DataError(str(path), prefix + message, line=line)


def _nonempty_lines(raw: bytes) -> NDArray[np.int64]:
    """1-based numbers of the non-empty lines of ``raw`` (pyarrow skips empty lines); a line
    ends in LF, CRLF or a CR alone."""
    if not (b := np.frombuffer(raw, dtype=np.uint8)).size:
        return np.zeros(0, dtype=np.int64)
    lf, cr = b == 10, b == 13
    ends = np.flatnonzero(lf | (cr & ~np.r_[lf[1:], False]))  # CR of a CRLF is not an end
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, b.size]
    lengths = stops - starts
    crlf = (lengths > 0) & (b[np.maximum(stops - 1, 0)] == 13) & (stops < b.size)
    lengths = lengths - crlf
    return np.flatnonzero(lengths > 0).astype(np.int64) + 1


def _record_line(raw: bytes, record: int, delimiter: str) -> int:
    """1-based line the ``record``-th (0-based) non-empty record starts on, reading quoted
    fields as pyarrow does (a quote opens a field only at its start; ``""`` inside is one
    quote); Python's csv module, so it runs on the error path only."""
    text = raw.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter[:1] or ",",
                        strict=False)
    seen, lines_read = -1, 0
    try:
        for fields in reader:
            first = lines_read + 1
            lines_read = reader.line_num
            if not fields:  # an empty line: pyarrow skips it
                continue
            seen += 1
            if seen == record:
                return first
    except csv.Error:  # a quote left open at the end: the record starts after the last one
        pass
    return lines_read + 1


def breaks_in_quotes(block: bytes, odd: bool) -> tuple[bool, bool]:
    """(a line break of ``block`` lies inside double quotes, the quote parity after it)."""
    if b'"' not in block:
        return odd and (b"\n" in block or b"\r" in block), odd
    b = np.frombuffer(block, np.uint8)
    quotes = (b == 34).view(np.uint8)
    quotes[0] ^= odd  # carry the parity of what came before
    parity = np.bitwise_xor.accumulate(quotes).view(bool)
    return bool(((b == 10) | (b == 13))[parity].any()), bool(parity[-1])


def _quoted_break_in(raw: bytes, chunk: int = 1 << 24) -> bool:
    """``quoted_line_break`` of bytes in memory, block by block (bounded work arrays)."""
    odd = False
    for start in range(0, len(raw), chunk):
        found, odd = breaks_in_quotes(raw[start:start + chunk], odd)
        if found:
            return True
    return False


def quoted_line_break(path: Path, chunk: int = 1 << 24) -> bool:
    """Whether a line break of the file at ``path`` (gzip read through) falls inside double
    quotes, by the parity of the quotes before it: a quoted field spanning lines, or a stray
    quote (a reader that honours quotes reads such a file as a line reader would). One pass,
    in chunks."""
    odd = False
    for block in read_blocks(path, chunk):
        found, odd = breaks_in_quotes(block, odd)
        if found:
            return True
    return False


def physical_line(path: Path, record: int, quoting: bool = True, delimiter: str = ","
                  ) -> int:
    """1-based line the ``record``-th (0-based) non-empty record of ``path`` starts on (a
    ``.gz`` file's line in the text it holds)."""
    raw = file_bytes(path)
    if quoting and _quoted_break_in(raw):  # a quoted field spans lines
        return _record_line(raw, record, delimiter)
    lines = _nonempty_lines(raw)
    if record < len(lines):
        return int(lines[record])
    return int(lines[-1]) + 1 if len(lines) else 1
