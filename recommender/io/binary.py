"""Binary files given as text: named before any parsing, with what to do instead.

What no text file the readers accept holds: gzip's (under a name without .gz), bzip2's, xz's,
zstd's, zip's (an .xlsx), an .xls workbook's or Parquet's magic number, a UTF-16 byte-order
mark, a NUL byte; and JSON, whose first line read as a CSV header."""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from recommender.errors import DataError
from recommender.io.compressed import GZIP_ERRORS, gzip_problem, is_gzip, open_bytes

_PARQUET = b"PAR1"
_UTF16 = ("the file is UTF-16 text (it starts with a UTF-16 byte-order mark); expected UTF-8: "
          "re-save it as UTF-8, e.g. `iconv -f utf-16 -t utf-8`")
LOG_FORMATS = "a CSV or TSV log with a header line, Parquet or a .dat log"
"""What a training log may be, as a JSON file is told (``events import`` reads no .dat)."""
GZIP_NAME_HINT = ", or name it .csv.gz (or .tsv.gz) to have it read through gzip"
"""What a gzip-compressed log not named ``.gz`` is told (a ``.gz`` name is read through)."""
# each message, and what to do instead where the file is an interactions log (``hints``): an
# id list, a slate or a cinema table named .parquet was told to be named .parquet
_FIRST_BYTES = {b"\xff\xfe": (_UTF16, ""), b"\xfe\xff": (_UTF16, ""), b"\x1f\x8b": (
    "the file is gzip-compressed; expected plain text: decompress it first (`gunzip`)",
    GZIP_NAME_HINT), _PARQUET: (
    "the file is Parquet (it starts with Parquet's magic number PAR1); expected text here",
    ": name it .parquet to have it read as Parquet"),
    # an archive as downloaded, or a spreadsheet saved as a workbook: "NUL byte ... binary"
    b"PK\x03\x04": ("the file is a zip archive (as an Excel .xlsx workbook is); expected "
                     "plain text: save a workbook's sheet as CSV (UTF-8), or unzip an "
                     "archive first (a dataset's: give its folder)", ""),
    b"\xd0\xcf\x11\xe0": ("the file is an Excel .xls workbook (or another Office file); "
                           "expected plain text: save the sheet as CSV (UTF-8)", ""),
    # compressions other than gzip, which only a .gz name has read through
    **{magic: (f"the file is {kind}-compressed; expected plain text: decompress it first "
               f"(`{tool} -d`)", ", or recompress it with gzip and name it .csv.gz")
       for magic, kind, tool in ((b"BZh", "bzip2", "bzip2"), (b"\xfd7zXZ\x00", "xz", "xz"),
                                 (b"\x28\xb5\x2f\xfd", "zstd", "zstd"))}}


def _is_parquet(raw: bytes | mmap.mmap) -> bool:
    """``raw`` (starting with ``PAR1``) is Parquet, not text whose first line starts so (a
    ``.dat`` whose first user id is ``PAR1001``): Parquet's Thrift structures end in a NUL
    byte, the page header right after the magic number as the footer, and text holds none."""
    return raw.find(b"\x00", 4) >= 0


def _json_start(start: bytes) -> bool:
    """``start`` (a file's first bytes, without BOM and leading space) opens a JSON object
    (``{`` then a key or ``}``) or array (``[`` then an object, array, string or ``]``), or
    is a lone ``{`` or ``[`` (pretty-printed JSON): not an id such as a braced GUID
    (``{6F9619FF-8B86-...}``, as Windows writes them), which opens no JSON value."""
    after = start[1:].lstrip()[:1]
    return (start[:1] == b"{" and after in (b"", b'"', b"}")) or (
        start[:1] == b"[" and after in (b"", b"{", b"[", b'"', b"]"))


def text_problem(path: Path, raw: bytes | mmap.mmap, *, hints: bool = True,
                 header: str | None = None) -> DataError | None:
    """What no text file the readers accept holds: gzip's or Parquet's magic number, a UTF-16
    byte-order mark or a NUL byte (the first one is named by line and column); None for
    none. ``hints``: say how an interactions log so stored is read (Parquet named .parquet,
    gzip named .gz); False for a file only read as text (an id list, a slate). ``header``: the
    header line of the CSV expected (``--users``, ``--films``), named to a JSON file (told
    "expected plain text, one row per line", which JSON lines are)."""
    for magic, (why, hint) in _FIRST_BYTES.items():
        if bytes(raw[:len(magic)]) == magic and (magic != _PARQUET or _is_parquet(raw)) \
                and (magic != b"BZh" or bytes(raw[4:10]) == b"1AY&SY"):  # not text "BZh..."
            return DataError(str(path), why + (hint if hints else ""), line=1)
    start = bytes(raw[:64]).removeprefix(b"\xef\xbb\xbf").lstrip()
    if _json_start(start):  # JSON (lines): its keys were read as a CSV header
        # JSON lines (one object a line) or one JSON value (an array: lines=True refuses it)
        read = f"pandas.read_json(path{', lines=True' if start[:1] == b'{' else ''})"
        return DataError(str(path), f"the file is JSON (it starts with {start[:1].decode()!r}); "
                         + (f"expected {LOG_FORMATS}: convert it first, e.g. "
                            f"{read}.to_parquet(...)" if hints else
                            f"expected a CSV with the header line '{header}': convert it "
                            f"first, e.g. {read}.to_csv(..., index=False)" if header else
                            "expected plain text, one row per line"), line=1)
    off = raw.find(b"\x00")
    if off < 0:
        return None
    head = bytes(raw[:off])
    line = head.count(b"\n") + 1
    col = off - (head.rfind(b"\n") + 1) + 1
    return DataError(str(path), f"NUL byte (0x00) at byte offset {off} (column {col}); "
                     "expected text, which never holds one: the file is binary, or UTF-16 "
                     "without a byte-order mark", line=line)


def check_text_file(path: Path) -> None:
    """Raise ``text_problem``'s error for the file at ``path`` (memory-mapped: one fast scan,
    no copy; a ``.gz`` file's first 64 KB of text, its NUL bytes left to the checks of ids)."""
    if is_gzip(path):
        try:
            with open_bytes(path) as f:
                err = text_problem(path, f.read(1 << 16))
        except GZIP_ERRORS as e:
            err = gzip_problem(path, e)
        if err is not None:
            raise err
        return
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                err = text_problem(path, mm)
    except (OSError, ValueError):
        return  # not mappable (a pipe, a special file): pyarrow reports what it finds
    if err is not None:
        raise err


def not_utf8(path: Path, byte: int, off: int, line: int, col: int) -> DataError:
    """The undecodable ``byte`` at byte offset ``off`` (``line``, column ``col``) of the file
    at ``path``, and how to fix the file."""
    return DataError(
        str(path),
        f"byte 0x{byte:02x} at byte offset {off} (column {col}) is not valid UTF-8; "
        "expected UTF-8 text. The file is probably latin-1 (ISO-8859-1) or Windows-1252: "
        "re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8`",
        line=line,
    )


def decode_error(path: Path, raw: bytes, e: UnicodeDecodeError, hints: bool = True) -> DataError:
    """The undecodable byte of ``raw`` (line, byte offset, column; ``e`` from decoding ``raw``,
    or its text after a BOM by ``utf-8-sig``) and how to fix the file (``text_problem``)."""
    text = text_problem(path, raw, hints=hints)
    if text is not None:
        return text
    off = e.start + len(raw) - len(e.object)  # utf-8-sig's offsets start after the BOM: a
    # BOM-led file named the byte 3 before the undecodable one, on the wrong line or column
    line = raw.count(b"\n", 0, off) + 1
    col = off - (raw.rfind(b"\n", 0, off) + 1) + 1
    return not_utf8(path, raw[off], off, line, col)


def utf8_text(path: Path, raw: bytes) -> str:
    """``raw``, the bytes of a small text file read whole (an id list, a slate, a cinema
    table), as text without its UTF-8 BOM; ``DataError`` for binary or non-UTF-8 bytes, with
    the line and column of the first bad byte (``text_problem``, ``decode_error``)."""
    problem = text_problem(path, raw, hints=False)
    if problem is not None:
        raise problem
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise decode_error(path, raw, e, hints=False) from None
