"""How the records of a delimited file end (LF, CRLF or CR), read outside double quotes.

Spark's multi-line CSV reader must be told the line end: left to detect it, it also turns the
one it detects into an LF inside quoted fields, so ids would not be kept byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_LINE_END_NAMES = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}


def line_end_name(end: str) -> str:
    return _LINE_END_NAMES.get(end, repr(end))


@dataclass
class LineEnds:
    """How the records of a file end (its line breaks outside double quotes): ``first``, the
    first such break (``"\\n"``, ``"\\r\\n"`` or ``"\\r"``; None when there is none); where a
    later one differs, the 1-based line it ends (counted as an editor does, every LF, CRLF
    and CR alone, quoted or not) and what it is."""

    first: str | None
    other_line: int | None = None
    other: str | None = None


def _line_ends_in(block: bytes, odd: bool, lines: int, first: str | None
                  ) -> tuple[LineEnds | None, str | None, bool, int]:
    """One block of ``record_line_ends`` (a CRLF never split between blocks): the answer once
    a differing line end is found, else (None, first, quote parity, lines ended so far)."""
    b = np.frombuffer(block, np.uint8)
    lf, cr = b == 10, b == 13
    next_lf = np.r_[lf[1:], False]
    prev_cr = np.r_[False, cr[:-1]]
    ends = cr | (lf & ~prev_cr)  # each line end at its first byte (the CR of a CRLF)
    quotes = (b == 34).view(np.uint8)
    quotes[0] ^= odd  # carry the parity of what came before
    inside = np.bitwise_xor.accumulate(quotes).view(bool)
    at = np.flatnonzero(ends & ~inside)
    if at.size:
        kinds = np.where(cr[at], np.where(next_lf[at], 1, 2), 0)  # LF, CRLF, CR
        names = ("\n", "\r\n", "\r")
        if first is None:
            first = names[int(kinds[0])]
        differ = np.flatnonzero(kinds != names.index(first))
        if differ.size:
            pos = int(at[differ[0]])
            return (LineEnds(first, lines + int(ends[:pos].sum()) + 1,
                             names[int(kinds[differ[0]])]), first, False, lines)
    return None, first, bool(inside[-1]), lines + int(ends.sum())


def record_line_ends(path: Path, chunk: int = 1 << 22) -> LineEnds:
    """The line ends of the records of the file at ``path`` (gzip read through), by the parity
    of the quotes before each line break, as ``delimited.quoted_line_break`` reads it. One
    pass in 4 MiB blocks (about 7 bytes of work arrays a byte), up to the first line end
    that differs from the first."""
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    odd, lines, first = False, 0, None
    with opener(path, "rb") as fh:
        while block := fh.read(chunk):
            if block.endswith(b"\r"):
                block += fh.read(1)  # the LF of a CRLF stays with its CR
            found, first, odd, lines = _line_ends_in(block, odd, lines, first)
            if found is not None:
                return found
    return LineEnds(first)


def first_line_end(head: bytes) -> str | None:
    """The first line break outside double quotes in ``head`` (the start of a file), or None
    when it holds none. A CR as the last byte reads as a CR alone (the LF of a CRLF may not
    have been read yet): pass a head that ends in a CR only where the file does."""
    return _line_ends_in(head, False, 0, None)[1] if head else None
