"""CSV injection defence: text cells a spreadsheet would run as a formula are neutralised.

Marketers open exported CSV files in spreadsheets, which treat a cell beginning with ``=``,
``+``, ``-`` or ``@`` as a formula (and a leading tab, carriage return or NUL can hide one;
Excel in Japanese and Chinese settings takes the full-width ``＝＋－＠`` as the ASCII ones). As
OWASP recommends ("CSV Injection"), every CSV writer passes its text cells (ids, titles,
labels, names) through :func:`safe_cell` / :func:`safe_column` / :func:`safe_table`, which
prefix such a cell with a single quote so the spreadsheet shows it as text. Numbers written
as numbers (scores, ranks) are left alone; Parquet files keep the exact strings.

A spreadsheet that splits a double-clicked CSV on ``;`` (Excel in German, French, Spanish,
Italian or Dutch settings) or on tabs, and ends a row at a line break wherever it stands,
starts a cell inside ours after each ``;``, tab, CR or LF of a cell, where the CSV quoting
of a cell that is not the first of its row means nothing to it: ``x;=1+1`` was the cell
``=1+1`` there, quoted or not. So a quote also goes after such a separator (and one double
quote, which that spreadsheet reads as an empty quoted start) where a character the first
rule quotes follows: ``x;'=1+1``. The writers also quote a cell holding ``;`` or a tab, so
that the first cell of a row stays one cell there.

A cell that begins with ``'`` itself is prefixed too, and so is a ``'`` after a separator,
so the rule can be undone: every text cell of our CSV files that begins with ``'`` carries
exactly one added quote, and so does every separator (or separator and double quote) followed
by ``'`` (:func:`original_cell` removes them). Without that, users ``-1`` and ``'-1`` both
came out as ``'-1``: two people in one. Parquet needs no undoing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import TextIO

import pyarrow as pa
import pyarrow.compute as pc

#: first characters a spreadsheet may interpret (OWASP, CSV Injection; ASVS 1.2.10 names NUL),
#: and the full-width forms of the four formula signs
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"
#: first characters that get the quote: the dangerous ones, and the quote itself (reversible)
PREFIXED_FIRST = (*DANGEROUS_FIRST, QUOTE)
# regular expressions (Python's ``re`` and Arrow's RE2 read both): a first character quoted;
# a separator (``;``, tab, CR, LF: a spreadsheet splitting on ``;`` or tabs starts a cell or
# a row after it), maybe one double quote, then a character quoted after it (the separators
# themselves aside: the last of a run of them is the one a cell starts after); its undoing
_FIRST = "=+\\-@\\t\\r\\x00\uff1d\uff0b\uff0d\uff20'"
_AFTER = "=+\\-@\\x00\uff1d\uff0b\uff0d\uff20'"
_PATTERN = f"^[{_FIRST}]"
_INNER = f'([;\\t\\r\\n]"?)([{_AFTER}])'
_INNER_RE = re.compile(_INNER)
_ADDED_RE = re.compile('([;\\t\\r\\n]"?)\'')
_ADDED_BEFORE_RE = re.compile(f"([;\\t\\r\\n]\"?)'([{_AFTER}])")
_DANGER_AFTER_RE = re.compile(f'[;\\t\\r\\n]"?[{_AFTER[:-1]}]')  # the quote aside
#: a cell holding a quote :func:`safe_cell` adds, read as :func:`sheet_unquoted` reads it
#: (for Arrow's ``match_substring_regex``)
QUOTED_PATTERN = f"^'[{_FIRST}]|[;\\t\\r\\n]\"?'[{_AFTER}]"


def is_dangerous(text: str) -> bool:
    """Whether ``text`` would be neutralised for what a spreadsheet may run: a dangerous first
    character, or one after a separator (a quote, quoted only to be undone, aside)."""
    return text.startswith(DANGEROUS_FIRST) or _DANGER_AFTER_RE.search(text) is not None


def safe_cell(text: str) -> str:
    """``text``, with a leading ``'`` when it begins with ``= + - @``, a tab, a CR, a NUL,
    ``＝＋－＠`` or ``'``, and a ``'`` after each ``;``, tab, CR or LF (and one ``"``) that
    one of those (but a tab or CR) follows."""
    text = _INNER_RE.sub("\\1'\\2", text)
    return QUOTE + text if text.startswith(PREFIXED_FIRST) else text


def original_cell(text: str) -> str:
    """The text a CSV cell of ours came from: :func:`safe_cell` undone."""
    return _ADDED_RE.sub("\\1", text[1:] if text.startswith(QUOTE) else text)


def sheet_unquoted(text: str) -> str:
    """``text`` without the quotes ``safe_cell`` adds (a quote, then a character it quotes, at
    the start or after a separator), or ``text`` itself."""
    quoted = text.startswith(QUOTE) and text[1:].startswith(PREFIXED_FIRST)
    return _ADDED_BEFORE_RE.sub("\\1\\2", text[1:] if quoted else text)


def csv_unquoted(text: str) -> str:
    """A CSV cell's text without its double quotes (``"a""b"`` is ``a"b``), or ``text``
    itself when it is not one quoted cell."""
    inner = text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in inner.replace('""', ""):
        return inner.replace('""', '"')
    return text


def safe_column(values: Iterable[str]) -> list[str]:
    """:func:`safe_cell` of each text cell of a column."""
    values = list(values)
    # one search over the column for a separator the rule quotes after (rare); the joint,
    # no separator, double quote or quoted character, makes no match across two cells
    if _INNER_RE.search("\x1f".join(values)) is not None:
        values = [_INNER_RE.sub("\\1'\\2", v) for v in values]
    return [QUOTE + v if v.startswith(PREFIXED_FIRST) else v for v in values]


def safe_row(values: Sequence[object]) -> list[object]:
    """A row of mixed cells: strings through :func:`safe_cell`, anything else (numbers,
    None) as it is."""
    return [safe_cell(v) if isinstance(v, str) else v for v in values]


def _safe_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if pc.any(pc.match_substring_regex(array, _INNER)).as_py():  # rare: replaced only then
        array = pc.replace_substring_regex(array, _INNER, "\\1'\\2")
    mask = pc.match_substring_regex(array, _PATTERN)
    quoted = pc.binary_join_element_wise(pa.scalar(QUOTE, array.type), array,
                                         pa.scalar("", array.type))
    return pc.if_else(mask, quoted, array)


def safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every string column neutralised (vectorised, in Arrow); other columns
    and the schema unchanged. For CSV output only: Parquet keeps the exact strings."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = _safe_array(column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)


#: what ``csv`` does not quote by itself: a lone CR (most readers end the row there), and
#: ``;`` and tabs (a spreadsheet splitting on them keeps a quoted first cell whole)
_ALSO_QUOTED = "\r;\t"
_ALSO_QUOTED_RE = re.compile("[\r;\t]")


class CsvWriter:
    """``csv.writer`` with ``\\n`` line ends that also quotes a field holding a carriage
    return, a ``;`` or a tab (``csv`` quotes only the delimiter's, the quote's and the line
    terminator's characters). Cells are written as given: neutralise text cells with
    :func:`safe_column` first."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._plain = csv.writer(out, lineterminator="\n")
        self._buf = io.StringIO()
        # a terminator holding them quotes fields holding them; cut from the written line
        self._quoting = csv.writer(self._buf, lineterminator="\n" + _ALSO_QUOTED)

    def writerow(self, row: Sequence[object]) -> None:
        if any(isinstance(cell, str) and _ALSO_QUOTED_RE.search(cell) for cell in row):
            self._buf.seek(0)
            self._buf.truncate()
            self._quoting.writerow(row)
            self._out.write(self._buf.getvalue()[:-len(_ALSO_QUOTED)])
        else:
            self._plain.writerow(row)

    def writerows(self, rows: Iterable[Sequence[object]]) -> None:
        rows = list(rows)
        if any(_ALSO_QUOTED_RE.search(cell) for row in rows for cell in row
               if isinstance(cell, str)):
            for row in rows:
                self.writerow(row)
        else:  # the common case, at the csv module's speed
            self._plain.writerows(rows)


def csv_writer(out: TextIO) -> CsvWriter:
    """A CSV writer for ``out`` (see :class:`CsvWriter`)."""
    return CsvWriter(out)


#: Excel's text-keeping form of a cell, ``="0041"`` (a formula whose value is the text, so
#: that a spreadsheet keeps the leading zeros: a CSV holds it as ``"=""0041"""``), its text
#: inside (``""`` an escaped double quote); read as an id, the formula is the id (for
#: Arrow's ``replace_substring_regex`` too: RE2 reads it)
SHEET_TEXT = '^="((?:[^"]|"")+)"$'
_SHEET_TEXT_RE = re.compile(SHEET_TEXT)


def sheet_text(text: str) -> str | None:
    """The text ``text`` keeps in Excel's form ``="0041"`` (``0041``), or None for text in
    no such form (an empty one, ``=""``, keeps no id)."""
    m = _SHEET_TEXT_RE.fullmatch(text.strip())
    return m.group(1).replace('""', '"') if m else None


def sheet_text_column(ids: pa.Array) -> pa.Array:
    """``ids`` with each in Excel's ``="0041"`` taken out of it (``sheet_text``; the
    others as they are)."""
    inner = pc.replace_substring_regex(ids, pattern=SHEET_TEXT, replacement="\\1")
    changed = pc.not_equal(inner, ids)
    if not pc.any(changed).as_py():
        return ids
    return pc.if_else(changed, pc.replace_substring(inner, pattern='""', replacement='"'), ids)
