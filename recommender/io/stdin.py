"""Standard input as a log (``train --data -``, ``events import -``), copied once to a file.

The readers read a log more than once (its header, then its rows, and again to name a bad
line), which a pipe cannot be, so ``spooled`` copies standard input once, in blocks, into a
temporary file named by what it holds: gzip-compressed text (``stdin.csv.gz``, read through
as a ``.gz`` log is), Parquet (``stdin.parquet``) or else text (``stdin.csv``: a CSV or TSV
with a header line, its delimiter sniffed as a file's). A ``DataError`` naming that copy is
raised naming ``<stdin>`` instead, with the same line (or row); the copy is removed on exit.
The headerless formats (``.dat``, ``u.data``, FilmTrust's) are known by their file names
only, so they are not read from standard input.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from recommender.errors import DataError
from recommender.io.delimited import PathLike

STDIN = "-"
"""The path that stands for standard input."""
STDIN_NAME = "<stdin>"
"""How messages name standard input (as the id lists read from it do)."""
STDIN_FORMATS = ("a CSV or TSV log with a header line (plain or gzip-compressed) or a Parquet "
                 "file")
"""What standard input may hold, for the messages."""

_BLOCK = 1 << 20
_SPOOLS: dict[str, str] = {}  # each copy being read -> the name messages give it


def is_stdin(path: PathLike | None) -> bool:
    """Whether ``path`` is ``-``: standard input."""
    return path is not None and str(path) == STDIN


def is_spool(path: PathLike) -> bool:
    """Whether ``path`` is the copy of standard input being read (``spooled``)."""
    return str(path) in _SPOOLS


def shown(path: PathLike) -> str:
    """How a message names ``path``: ``<stdin>`` for the copy of standard input being read,
    else the path as given."""
    return _SPOOLS.get(str(path), str(path))


def _name(first: bytes) -> str:
    """The copy's file name by its first bytes (gzip's and Parquet's magic numbers; Parquet's
    Thrift header holds a NUL byte, which no text log's first line does)."""
    if first.startswith(b"\x1f\x8b"):
        return "stdin.csv.gz"
    if first.startswith(b"PAR1") and first.find(b"\x00", 4) >= 0:
        return "stdin.parquet"
    return "stdin.csv"


@contextmanager
def spooled(path: PathLike, stream: BinaryIO | None = None) -> Iterator[Path]:
    """``path`` as it is; for ``-``, standard input (``stream`` in tests) copied once to a
    temporary file (see the module docstring), whose ``DataError``s name ``<stdin>``.

    Raises:
        DataError: standard input is a terminal (nothing piped: the command would wait), is
            empty, or cannot be copied (the temporary folder full: ``TMPDIR`` says where).
    """
    if not is_stdin(path):
        yield Path(path)
        return
    if stream is None and sys.stdin is None:  # closed (`<&-`): Python sets it None
        raise DataError(STDIN_NAME, f"standard input is closed; expected {STDIN_FORMATS} "
                        "piped into it")
    src = sys.stdin.buffer if stream is None else stream
    if src.isatty():
        raise DataError(STDIN_NAME, f"standard input is a terminal; expected {STDIN_FORMATS} "
                        "piped into it (`zcat log.csv.gz | recommender ... -`), or give a file")
    with tempfile.TemporaryDirectory(prefix="recommender-stdin-") as tmp:
        first = src.read(_BLOCK)
        if not first:
            raise DataError(STDIN_NAME, f"standard input is empty; expected {STDIN_FORMATS}")
        spool = Path(tmp) / _name(first)
        try:
            with open(spool, "wb") as out:
                out.write(first)
                shutil.copyfileobj(src, out, _BLOCK)
        except OSError as e:
            raise DataError(STDIN_NAME, f"could not be copied to a temporary file in {tmp} "
                            f"({e.strerror or e}); it is read more than once, so it is kept "
                            "there while it is read: set TMPDIR to a folder with room") from None
        _SPOOLS[str(spool)] = STDIN_NAME
        try:
            yield spool
        except DataError as e:
            if e.path != str(spool):
                raise
            raise DataError(STDIN_NAME, e.reason.replace(str(spool), STDIN_NAME),
                            e.line) from None
        finally:
            del _SPOOLS[str(spool)]
