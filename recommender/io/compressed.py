"""Gzip-compressed text (a ``.gz`` name: ``log.csv.gz``) read through as the text it holds.

The readers stream it: pyarrow decompresses block by block as it parses (``arrow_source``),
and the scans for quotes or a header read it in blocks (``open_bytes``, ``read_blocks``), so a
compressed log is never held whole in memory on the way to its columns. Only the error paths
that place a bad line read the text whole (``file_bytes``), as they read a plain file.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

import pyarrow as pa

from recommender.errors import DataError

#: what a gzip stream's trouble raises: Python's gzip module (a bad header, a truncated or
#: corrupt stream) and pyarrow's decompressor (an OSError naming zlib)
GZIP_ERRORS = (OSError, EOFError, zlib.error)


def is_gzip(path: Path) -> bool:
    """Whether the file at ``path`` is read through gzip: its name ends in ``.gz``."""
    return path.name.lower().endswith(".gz")


def gzip_problem(path: Path, e: BaseException) -> DataError:
    """The error for a ``.gz`` file whose gzip stream cannot be read (``e``: why)."""
    return DataError(str(path), f"not a readable gzip file ({e}); expected gzip-compressed "
                     "text, complete (a download cut short ends too early): check it with "
                     "`gzip -t`")


def open_bytes(path: Path) -> BinaryIO:
    """The file at ``path`` opened for reading its bytes (a ``.gz`` file's decompressed)."""
    if is_gzip(path):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return open(path, "rb")  # noqa: SIM115


def read_blocks(path: Path, chunk: int = 1 << 24) -> Iterator[bytes]:
    """The bytes of the file at ``path`` (gzip read through) in blocks of ``chunk``."""
    try:
        with open_bytes(path) as fh:
            while block := fh.read(chunk):
                yield block
    except GZIP_ERRORS as e:
        if not is_gzip(path) or isinstance(e, FileNotFoundError | PermissionError):
            raise
        raise gzip_problem(path, e) from None


def file_bytes(path: Path) -> bytes:
    """The whole of the file at ``path`` (gzip read through): for the error paths, which
    place a bad line in the text."""
    return b"".join(read_blocks(path)) if is_gzip(path) else path.read_bytes()


def arrow_source(path: Path) -> pa.NativeFile | str:
    """What pyarrow reads the file at ``path`` from: its path, or for a ``.gz`` file a stream
    that decompresses as it is read (pyarrow's own detection by suffix misses ``.GZ``)."""
    return pa.input_stream(str(path), compression="gzip") if is_gzip(path) else str(path)
