"""CSV injection defence: text cells a spreadsheet would run as a formula are neutralised.

Marketers open exported CSV files in spreadsheets, which treat a cell beginning with ``=``,
``+``, ``-`` or ``@`` as a formula (and a leading tab or carriage return can hide one). As
OWASP recommends ("CSV Injection"), every CSV writer passes its text cells (ids, titles,
labels, names) through :func:`safe_cell` / :func:`safe_column` / :func:`safe_table`, which
prefix such a cell with a single quote so the spreadsheet shows it as text. Numbers written
as numbers (scores, ranks) are left alone; Parquet files keep the exact strings.

A cell that begins with ``'`` itself is prefixed too, so the rule can be undone: every text
cell of our CSV files that begins with ``'`` carries exactly one added quote
(:func:`original_cell` removes it). Without that, users ``-1`` and ``'-1`` both came out as
``'-1``: two people in one. Parquet needs no undoing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

import pyarrow as pa
import pyarrow.compute as pc

#: first characters a spreadsheet may interpret (OWASP, CSV Injection)
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
#: first characters that get the quote: the dangerous ones, and the quote itself (reversible)
PREFIXED_FIRST = (*DANGEROUS_FIRST, QUOTE)
_PATTERN = "^[=+\\-@\t\r']"


def is_dangerous(text: str) -> bool:
    """Whether ``text`` would be neutralised."""
    return text.startswith(DANGEROUS_FIRST)


def safe_cell(text: str) -> str:
    """``text``, with a leading ``'`` when it begins with ``= + - @``, a tab, a CR or ``'``."""
    return QUOTE + text if text.startswith(PREFIXED_FIRST) else text


def original_cell(text: str) -> str:
    """The text a CSV cell of ours came from: :func:`safe_cell` undone."""
    return text[1:] if text.startswith(QUOTE) else text


def sheet_unquoted(text: str) -> str:
    """``text`` without the quote ``safe_cell`` adds (a quote, then a character it
    quotes), or ``text`` itself."""
    quoted = text.startswith(QUOTE) and text[1:].startswith(PREFIXED_FIRST)
    return original_cell(text) if quoted else text


def csv_unquoted(text: str) -> str:
    """A CSV cell's text without its double quotes (``"a""b"`` is ``a"b``), or ``text``
    itself when it is not one quoted cell."""
    inner = text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in inner.replace('""', ""):
        return inner.replace('""', '"')
    return text


def safe_column(values: Iterable[str]) -> list[str]:
    """:func:`safe_cell` of each text cell of a column."""
    return [QUOTE + v if v.startswith(PREFIXED_FIRST) else v for v in values]


def safe_row(values: Sequence[object]) -> list[object]:
    """A row of mixed cells: strings through :func:`safe_cell`, anything else (numbers,
    None) as it is."""
    return [safe_cell(v) if isinstance(v, str) else v for v in values]


def _safe_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
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


class CsvWriter:
    """``csv.writer`` with ``\\n`` line ends that also quotes a field holding a carriage
    return (``csv`` quotes only the line terminator's characters, so a lone ``\\r`` in a cell
    would otherwise end the row for most readers). Cells are written as given: neutralise text
    cells with :func:`safe_column` first."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._plain = csv.writer(out, lineterminator="\n")
        self._buf = io.StringIO()
        self._cr = csv.writer(self._buf, lineterminator="\r\n")  # quotes fields holding \r

    def writerow(self, row: Sequence[object]) -> None:
        if any(isinstance(cell, str) and "\r" in cell for cell in row):
            self._buf.seek(0)
            self._buf.truncate()
            self._cr.writerow(row)
            self._out.write(self._buf.getvalue()[:-2] + "\n")
        else:
            self._plain.writerow(row)

    def writerows(self, rows: Iterable[Sequence[object]]) -> None:
        rows = list(rows)
        if any("\r" in cell for row in rows for cell in row if isinstance(cell, str)):
            for row in rows:
                self.writerow(row)
        else:  # the common case, at the csv module's speed
            self._plain.writerows(rows)


def csv_writer(out: TextIO) -> CsvWriter:
    """A CSV writer for ``out`` (see :class:`CsvWriter`)."""
    return CsvWriter(out)
