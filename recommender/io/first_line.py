"""The first bytes of a delimited file, its whole header line among them however wide."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from recommender.errors import DataError
from recommender.io.compressed import GZIP_ERRORS, gzip_problem, is_gzip, open_bytes

#: the longest header line read (bytes, pyarrow's read block: a longer line cannot be read)
MAX_HEADER_BYTES = 1 << 24
_LINE_END = re.compile(rb"[\r\n]")


def head_bytes(p: Path, expected: str) -> bytes:
    """The first 64 KB of ``p``, and more up to the end of its first line when that is
    longer (a 40,004-column header was cut at 64 KB, and its file told it had 10,949
    fields); ``DataError`` naming line 1 when the first line passes ``MAX_HEADER_BYTES``
    (``expected``: the header the file should have). A ``.gz`` file's are those of the text
    it holds (``DataError`` for a gzip stream that cannot be read)."""
    try:
        with open_bytes(p) as f:
            head = f.read(1 << 16)
            while (len(head) < MAX_HEADER_BYTES and not _LINE_END.search(head)
                   and (more := f.read(1 << 20))):
                head += more
    except GZIP_ERRORS as e:
        if not is_gzip(p) or isinstance(e, FileNotFoundError | PermissionError):
            raise
        raise gzip_problem(p, e) from None
    # the line's length, not the bytes read: a line end read past the limit (a last read of
    # 1 MB) let a first line of 16 MB through to pyarrow, which could not skip it
    end = _LINE_END.search(head)
    if (len(head) if end is None else end.start()) >= MAX_HEADER_BYTES:
        raise DataError(str(p), f"the first line is over {MAX_HEADER_BYTES >> 20} MB long: "
                        f"expected a header line '{expected}'", line=1)
    return head


def header_fields(text: str, delimiter: str) -> list[str]:
    """The fields of the header line ``text``, however long one is: the csv module refuses a
    field past its limit (131,072 characters) with its own ``csv.Error``, which a column
    name past 64 KB, read whole since ``head_bytes``, met; the limit is raised to the line's
    length (at most ``MAX_HEADER_BYTES``), never lowered."""
    if len(text) > csv.field_size_limit():
        csv.field_size_limit(len(text))
    return next(csv.reader([text], delimiter=delimiter))
