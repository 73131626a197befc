"""What the driver checks as Spark reads a log, beyond Spark's own reading of it.

A local CSV's quoted line breaks, UTF-8 and lines of blanks alone, id columns of bytes that
are not UTF-8, ids the local reader refuses (empty, holding a NUL byte, past its longest),
and merged weights past what a 32-bit float holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.errors import DataError
from recommender.io.binary import not_utf8, text_problem
from recommender.io.compressed import read_blocks
from recommender.io.convert import BLANK_ID, MAX_ID_BYTES, PLACEHOLDER_IDS
from recommender.io.delimited import breaks_in_quotes
from recommender.spark.timestamps import _quoted

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

FLOAT32_MAX = float(np.finfo(np.float32).max)  # the engine keeps weights as 32-bit floats
#: the Spark types of an id column refused, by name, with what they hold (as the local
#: reader's ``convert.string_ids`` refuses them)
REFUSED_ID_TYPES = {"FloatType": "floating-point numbers", "DoubleType": "floating-point numbers",
                    "BooleanType": "true/false values"}


def id_checks(name: str) -> list[tuple[str, str, Column, str]]:
    """The local reader's checks of an id column (``convert.string_ids``) as the conditions of
    ``reading._validate_events`` (what, the column shown, condition, what was expected): an
    empty id or one of blanks only (``BLANK_ID``), a placeholder for a missing id
    (``PLACEHOLDER_IDS``: ``NULL``, ``nan``; every row without an id one user), one holding a
    NUL byte (its model kept it without the NUL, a second user of another's id), one past
    ``MAX_ID_BYTES`` UTF-8 bytes."""
    from pyspark.sql import functions as sf

    v = sf.col(name)
    return [(f"empty {name}", name, v.isNull() | v.rlike(BLANK_ID), "expected a non-empty id"),
            (f"a placeholder for a missing {name} (not an id: trained, one "
             f"{name.removesuffix('_id')} of every row without an id)", name,
             v.isin(sorted(PLACEHOLDER_IDS)), f"fill in those rows' {name} or drop the rows"),
            (f"{name} holding a NUL byte", name, sf.instr(v, "\x00") > 0,
             "expected text ids"),
            (f"{name} past {MAX_ID_BYTES:,} UTF-8 bytes", name,
             sf.octet_length(v) > MAX_ID_BYTES, f"expected an id of at most {MAX_ID_BYTES:,} "
             "bytes (is a quote left open, or a column misplaced?)")]


def number_checks(name: str) -> list[tuple[str, str, Column, str]]:
    """The local reader's checks of a rating or weight column (``numbers.float_column``), as
    ``id_checks``: a value that is no number or not finite as written (``inf``, ``NaN``), and
    one past what a float32 holds (``1e39``; ``1e400`` too, which a double reads as infinity:
    it was "bad", as if written ``inf``), each shown as written."""
    from pyspark.sql import functions as sf

    # the blanks a cast to double trims, a tab too (``trim`` takes spaces only: "inf\t" was
    # "past 3.4e+38", where the local reader says it is not finite)
    v, written = sf.col(name), sf.lower(sf.col(f"_raw_{name}"))
    infinite = (sf.abs(v) == float("inf")) & written.rlike(
        r"^[\x00-\x20]*[+-]?inf(inity)?[\x00-\x20]*$")
    return [(f"bad {name}", f"_raw_{name}", v.isNull() | sf.isnan(v) | infinite,
             "expected a finite number"),
            (f"{name} past 3.4e+38", f"_raw_{name}", sf.abs(v) > FLOAT32_MAX,
             "expected a finite number of at most 3.4e+38 (the engine keeps 32-bit floats)")]


def refuse_summed_past_float32(merged: DataFrame, source: str) -> None:
    """``DataError`` naming a (user, film) whose events' weights sum past the largest float32
    in ``merged`` (``reading.merge_events``), as the local reader's
    ``dataset._check_float32_sums``: each weight is checked as read, but two of 3e38 summed
    past it, and the model came out of float32 infinities."""
    from pyspark.sql import functions as sf

    from recommender.io.columns import FILM_ID, USER_ID, WEIGHT

    over = merged.filter(sf.abs(sf.col(WEIGHT)) > FLOAT32_MAX)
    first = over.select(USER_ID, FILM_ID, WEIGHT).limit(1).collect()
    if first:
        n = over.count()
        user, film, total = first[0]
        raise DataError(source or "the log", f"the events of user {user!r} and film {film!r} "
                        f"(merged into one interaction) have weights summing to {total:g}, past "
                        "3.4e+38 (the engine keeps 32-bit floats); expected a sum per user and "
                        f"film of at most that ({n:,} such pair{'' if n == 1 else 's'})")


def refuse_byte_ids(raw: DataFrame, fields: Mapping[str, Any], picked: Mapping[str, str],
                    ids: tuple[str, ...], path: str,
                    failure: Callable[[BaseException], str]) -> None:
    """``DataError`` for an id column (``ids``, read from ``picked``'s column) that holds
    bytes (Parquet ``binary``) which are not UTF-8: cast to a string as they are, such an id
    ended training in a pyarrow traceback (exit 1) when the ids came back to the driver."""
    from pyspark.sql import functions as sf
    from pyspark.sql import types as st

    for c in ids:
        if not isinstance(fields[picked[c]], st.BinaryType):
            continue
        column = sf.col(_quoted(picked[c]))
        bad = raw.filter(~sf.is_valid_utf8(column.cast("string")))
        try:
            n_bad = bad.count()
            first = bad.select(sf.hex(column)).limit(1).collect() if n_bad else []
        except Exception as e:
            raise DataError(path, failure(e)) from None
        if n_bad:
            raise DataError(path, f"{n_bad:,} row{'s' if n_bad > 1 else ''} whose {c} is not "
                            f"UTF-8 text (column {picked[c]!r} holds bytes), e.g. "
                            f"0x{first[0][0]}; expected ids stored as UTF-8 strings")


def csv_sep(path: str) -> str:
    """The separator of the CSV or TSV file at ``path``, by its name's ending (a ``.tsv`` in
    a folder's name made Spark read the ``.csv`` file in it as TSV: no column found)."""
    return "\t" if path.lower().rstrip("/").endswith((".tsv", ".tsv.gz")) else ","


_BLANKS = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x20]+")  # bytes up to a space, no line break
_AS_SPACE = bytes(32 if c <= 32 and c not in (10, 13) else c for c in range(256))
_BLANK_LINE = re.compile(rb"[\r\n]( +)(?=[\r\n])")  # in a block with blanks as spaces
_BREAK = re.compile(rb"[\r\n]")


class _BlankLines:
    """The byte offset of a CSV's first line of blanks alone (``found``): bytes up to a space,
    none a line break, outside quotes (by their parity, as ``delimited.breaks_in_quotes``
    reads them), fed block by block (a line may span blocks). Spark's CSV reader skips such a
    line (Java's ``trim`` leaves it empty), the local reader refuses it by line."""

    def __init__(self) -> None:
        self.odd = 0  # the quote parity before the next block
        self.run: int | None = 0  # bytes of the unfinished line, all blanks; None: not blank
        self.start = 0  # its byte offset
        self.offset = 0  # bytes fed
        self.found: int | None = None

    def feed(self, block: bytes) -> None:
        """Reads ``block``; ``b""`` ends the file (its unfinished last line is a line)."""
        if self.found is not None or not block:
            if not block and self.found is None and self.run:
                self.found = self.start
            return
        first = _BREAK.search(block)
        head = block if first is None else block[:first.start()]
        run = None if self.run is None or (head and not _BLANKS.fullmatch(head)) \
            else self.run + len(head)
        if first is not None:
            if run:  # the line the blocks before left unfinished ends here
                self.found = self.start
                return
            quotes, at = self.odd, 0  # the parity before byte ``at``
            spaced = block.translate(_AS_SPACE)  # a memmem first: a log of rows has none
            lines = _BLANK_LINE.finditer(spaced) if b"\n " in spaced or b"\r " in spaced \
                else iter(())
            for m in lines:
                quotes ^= block.count(b'"', at, m.start(1)) & 1
                at = m.start(1)
                if not quotes:
                    self.found = self.offset + at
                    return
            end = max(block.rfind(b"\n"), block.rfind(b"\r")) + 1
            tail = block[end:]
            inside = (quotes ^ block.count(b'"', at, end)) & 1
            run = None if inside or (tail and not _BLANKS.fullmatch(tail)) else len(tail)
            self.start = self.offset + end
        self.run, self.offset = run, self.offset + len(block)
        self.odd ^= block.count(b'"') & 1


def _line_at(path: Path, offset: int) -> int:
    """The 1-based line of byte ``offset`` of the file at ``path`` (a line ends in LF, CRLF
    or a CR alone, as the local reader counts them)."""
    ends, cr = 0, False  # whether the byte before was a CR
    for block in read_blocks(path):
        part = block[:offset]
        if part:
            ends += part.count(b"\n") + part.count(b"\r") - part.count(b"\r\n") - (
                cr and part[:1] == b"\n")
            cr = part[-1:] == b"\r"
        offset -= len(part)
        if offset <= 0:
            break
    return ends + 1


def spark_csv_scan(path: Path, chunk: int = 1 << 24, sep: str = ",") -> bool:
    """``delimited.quoted_line_break`` of the file at ``path`` (``delimited.read_blocks``), in the
    same pass checking that the whole file is UTF-8: Spark's CSV reader replaces an
    undecodable byte with U+FFFD without a word (two latin-1 ids ``caf\\xe9`` and ``caf\\xe8``
    became one user ``caf\\ufffd``), so the first one is refused here, by line and column,
    with the local reader's words (``binary.decode_error``); and that no quoted field is
    followed by more text before its ``sep`` (``refuse_text_after_quote``), and that no line
    holds blanks alone (``_BlankLines``: Spark skipped one that the local reader refuses)."""
    import codecs
    import itertools

    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    odd = found = suspect = False
    quoted = closing = False  # quote parity, and whether the block before ended closing one
    stray = _stray_quote(sep)
    tail = b""  # the last bytes of the block before, for a quote cut by the block end
    offset = lines = 0  # bytes and line breaks before ``block``
    last_nl = -1  # byte offset of the last line break before ``block``
    first = b""  # the file's first bytes
    blanks = _BlankLines()
    for block in itertools.chain(read_blocks(path, chunk), [b""]):  # b"": the end
        pending = decoder.getstate()[0]  # the start of a character cut by the block end
        try:
            decoder.decode(block, final=not block)
        except UnicodeDecodeError as e:
            if (named := text_problem(path, first if offset else block)) is not None:
                raise named from None  # a zip (an .xlsx), an .xls: named as the local reader does
            data = pending + block  # what the decoder read (``pending`` holds no LF)
            start = offset - len(pending)
            nl = data.rfind(b"\n", 0, e.start)
            col_from = start + nl if nl >= 0 else last_nl
            off = start + e.start
            raise not_utf8(path, data[e.start], off,
                           lines + data.count(b"\n", 0, e.start) + 1,
                           off - col_from) from None
        if not offset:
            first = block[:1 << 16]  # its magic number and first line (``text_problem``)
        if not found and block:
            found, odd = breaks_in_quotes(block, odd)
        blanks.feed(block)
        # a memchr first: most logs hold no quote at all
        if not suspect and (b'"' in block or b'"' in tail):
            suspect = stray.search(tail + block) is not None
        if not suspect and block and (closing or b'"' in block):
            suspect, quoted, closing = _closing_then_text(block, quoted, closing, sep)
        tail = (tail + block)[-2:]
        nl = block.rfind(b"\n")
        if nl >= 0:
            last_nl = offset + nl
            lines += block.count(b"\n")
        offset += len(block)
    if blanks.found is not None:
        raise DataError(str(path), "a line of blanks alone (no data): delete it (the local "
                        "reader refuses it; Spark's CSV reader would skip it without a word)",
                        line=_line_at(path, blanks.found))
    if suspect:
        refuse_text_after_quote(path, sep)
    return found


def _closing_then_text(block: bytes, quoted: bool, closing: bool, sep: str
                       ) -> tuple[bool, bool, bool]:
    """(a quote that closes a field by the quote parity is followed by a byte that is not
    ``sep``, a quote or a line end, the parity after ``block``, whether ``block`` ends in a
    closing quote), ``quoted`` and ``closing`` those of the blocks before: the text after a
    quoted field whose last byte is ``sep`` or a line break (``"a,"c``), which looks like an
    opening quote to ``_stray_quote``. A quote in an unquoted field (``a"b``) shifts the
    parity, which only sends more files to ``refuse_text_after_quote``."""
    b = np.frombuffer(block, np.uint8)
    is_quote = b == 34
    flips = is_quote.view(np.uint8).copy()
    flips[0] ^= quoted
    parity = np.bitwise_xor.accumulate(flips).view(bool)
    ends = is_quote & ~parity  # a quote with the parity even after it: one that closes
    text = ~(is_quote | (b == 10) | (b == 13) | (b == ord(sep)))
    hit = bool(closing and text[0]) or bool((ends[:-1] & text[1:]).any())
    return hit, bool(parity[-1]), bool(ends[-1])


def _stray_quote(sep: str) -> re.Pattern[bytes]:
    """A quote after a byte that is neither ``sep`` nor a line end (a quote included: the
    closing quote of ``""c``, an empty field's) and before one that is neither these nor a
    quote: the bytes of a closing quote followed by text (``"ab"c``), which
    ``refuse_text_after_quote`` then tells from a quote inside an unquoted field (``a"b``)
    or after a doubled one (``"x""y"``), read alike by both readers."""
    other = re.escape(sep.encode())
    return re.compile(rb'[^' + other + rb'\r\n]"[^' + other + rb'"\r\n]')


def refuse_text_after_quote(path: Path, sep: str = ",") -> None:
    """``DataError`` at the first line where text follows a quoted field's closing quote
    before ``sep`` (``"ab"c``, ``"x"  ``; RFC 4180 has none): the local reader keeps it
    (``abc``, ``x  ``), Spark's CSV reader does not (``"ab"c``, ``x``), so the two engines
    trained different ids from the same file, without a word."""
    import csv
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter=sep, quotechar='"', doublequote=True, strict=True)
        try:
            for _ in reader:
                pass
        except csv.Error as e:
            if "expected after" not in str(e):
                return  # not this problem (a field past csv's size limit...): Spark reads on
            raise DataError(str(path), "text follows the closing quote of a quoted field "
                            f"before the next {sep!r}; Spark's CSV reader and the local "
                            "reader read such a field differently (different ids): quote "
                            "the whole field, doubling each quote inside it (RFC 4180), or "
                            "train with the local engine", line=reader.line_num) from None


#: the largest local file read again by the local reader to name the line of a problem Spark
#: found (Spark's checks count rows and show an example, but know no line)
LOCAL_LINE_LIMIT = 256 << 20
_ROW = re.compile(r"row [0-9,]+: ")


def as_typed(error: DataError, resolved: str, typed: str) -> DataError:
    """``error`` naming ``typed`` (the path as the user gave it) where it names ``resolved``
    (the absolute path Spark was given), as the local reader's errors name it."""
    if error.path != resolved or resolved == typed:
        return error
    return DataError(typed, error.reason, error.line)


def with_line(error: DataError, local: Path | None) -> DataError:
    """``error`` (Spark's: a count and an example, no line) with the line (a CSV's) or row (a
    Parquet file's) where the local reader stops on the same file, when ``local`` is a plain
    file of at most ``LOCAL_LINE_LIMIT`` bytes, or the local reader's words for an empty file;
    ``error`` itself otherwise, or when the local reader names no place (or reads the file)."""
    if error.line is not None or local is None or local.name.lower().endswith(".gz"):
        return error
    try:
        if not local.is_file() or local.stat().st_size > LOCAL_LINE_LIMIT:
            return error
        from recommender.io.blank_ratings import refusal_engine
        from recommender.io.readers import load

        with refusal_engine("spark"):  # a blank rating's choices: those Spark's train takes
            load(local)
    except DataError as found:
        if found.line is not None:
            return DataError(error.path, f"{error.reason}; the local reader stops at line "
                             f"{found.line:,}: {found.reason}")
        if _ROW.match(found.reason):  # a Parquet file's row (``delimited.RowLocator``)
            return DataError(error.path, f"{error.reason}; the local reader stops at "
                             f"{found.reason}")
        if found.reason.startswith("the file is empty"):  # Spark: "found columns " (none)
            return DataError(error.path, found.reason)
    except Exception:  # noqa: S110 - Spark's words stand
        pass
    return error


def short_failure(e: BaseException) -> str:
    """The reason of a Spark failure in one line: its error class where Spark names one
    (the first line of a Py4J error only names the Java call), else the first line."""
    text = str(e).strip()
    if "MALFORMED_CSV_RECORD" in text or "Malformed CSV record" in text:
        # Spark names the record (not its line): shown, so that it can be found
        found = re.search(r"Malformed CSV record: (.*?) SQLSTATE", text)
        record = f" {found.group(1)[:200]!r}" if found else ""
        return (f"a malformed CSV record{record}: its fields differ in number from the "
                "header's, or it holds a quote Spark's CSV reader cannot parse even reading "
                "quoted fields across lines; the local engine names its line (and may read "
                "such a quote), or convert the file to Parquet")
    for line in text.splitlines():
        if "[" in line and "]" in line and line.split("[", 1)[1].split("]", 1)[0].isupper():
            return line.strip()[:300]  # Spark's [ERROR_CLASS] message
    lines = text.splitlines()
    return lines[0][:300] if lines else type(e).__name__
