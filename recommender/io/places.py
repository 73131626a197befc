"""Where users are: the place attributes, and the cinema table (``cinemas.csv``) with its reader.

A user attribute is a *place* when it names where a member watches: ``region``, ``city``,
``cinema`` (the member's most-visited cinema) or ``zip_zone`` (the first digit of a US ZIP
code, the USPS national area; see :mod:`recommender.io.public`). Demand is broken down and
screens are shared out only by these attributes.

``cinemas.csv`` has the header ``cinema_id,city,region,screens,seats``: one row per cinema,
``screens`` a positive whole number, ``seats`` a whole number (over all its screens; 0: not
recorded, and no cap reads it), ``city`` and
``region`` never blank where the header has them; other columns (a name, an address) are
left unread, but one a letter or two from a missing column's name (``seat``, ``cty``) is
refused as the typo it likely is. A city name may recur in two regions (a
Springfield in each): the distribution tells such towns apart by their region,
``Springfield (North)`` (``recommender.distribution.homonyms``).
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io.binary import utf8_text
from recommender.io.columns import REGION
from recommender.io.text import plural

CITY = "city"
CINEMA = "cinema"
ZIP_ZONE = "zip_zone"
PLACE_ATTRIBUTES: tuple[str, ...] = (REGION, CITY, CINEMA, ZIP_ZONE)
"""User attributes that name a place (the ``by`` of a distribution)."""

CINEMAS_FILE = "cinemas.csv"
CINEMA_ID = "cinema_id"
SCREENS = "screens"
SEATS = "seats"
CINEMA_COLUMNS: tuple[str, ...] = (CINEMA_ID, CITY, REGION, SCREENS, SEATS)
MAX_COUNT = 2**31 - 1
"""The most screens (or seats) a file may give one cinema or one film."""


#: a number as text (a file's cell, an argument): ASCII digits with an optional fraction and
#: exponent, no sign, space or underscore (``screens.whole_value`` reads text by it too)
NUMBER_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def whole_count(text: str, low: int = 0, high: int = MAX_COUNT) -> int | None:
    """``text`` as a whole number in ``[low, high]``, else None: ``NUMBER_TEXT`` whose value
    is whole, so ``"3.0"`` (a column pandas wrote as floats) is 3 as HTTP's ``3.0`` and the
    CLI's ``--screens 3.0`` are (``str.isdigit`` also takes ``"²"``, which ``int`` refuses;
    exact: ``"1.0000000000000001"`` is not whole, though ``float`` makes it 1.0)."""
    if not NUMBER_TEXT.fullmatch(text):
        return None
    number = Decimal(text)
    if not low <= number <= high or number != number.to_integral_value():
        return None
    return int(number)


def duplicate_columns(path: Path, head: list[str]) -> None:
    """``DataError`` (line 1) when a header names a column twice (which one would count?)."""
    twice = sorted(h for h, n in Counter(head).items() if n > 1)  # head.count(h): n^2
    if twice:
        raise DataError(str(path), f"the header names the column {twice[0]!r} more than once",
                        line=1)


@dataclass(frozen=True)
class Cinemas:
    """The cinema table, rows in file order: ids, city, region, screens and seats."""

    ids: NDArray[np.str_]
    city: NDArray[np.str_]
    region: NDArray[np.str_]
    screens: NDArray[np.int64]
    seats: NDArray[np.int64]
    source: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    def screens_of(self, cinema_ids: NDArray[np.str_]) -> NDArray[np.int64]:
        """Screens of each id in ``cinema_ids`` (0 for an id the table does not hold)."""
        return self.screens_in(CINEMA, cinema_ids)

    def cities_of(self, cinema_ids: list[str]) -> list[str | None]:
        """The city the table gives each of ``cinema_ids`` (None: an id it does not hold, or
        no city, as a ``cinema_id,screens`` table gives none); by a map of its rows."""
        city = dict(zip(self.ids.tolist(), np.char.strip(self.city.astype(str)).tolist(),
                        strict=True))
        return [city.get(c) or None for c in cinema_ids]

    def with_cities(self, table: Cinemas | None) -> Cinemas:
        """These cinemas (sent as ``cinema_id,screens``, no city) with each one's city from
        ``table`` (the server's or the model's cinema table), blank where it holds none."""
        if table is None:
            return self
        found = np.asarray([c or "" for c in table.cities_of(self.ids.tolist())], dtype=str)
        return Cinemas(self.ids, found, self.region, self.screens,
                       self.seats, self.source)

    def column(self, by: str) -> NDArray[np.str_]:
        """Each row's place for ``by``: its id (``cinema``), ``city`` or ``region``."""
        return {CINEMA: self.ids, CITY: self.city, REGION: self.region}[by]

    def screens_in(self, by: str, places: NDArray[np.str_]) -> NDArray[np.int64]:
        """The screens of the table's cinemas in each of ``places`` (cinema ids, cities or
        regions, as ``by`` says; 0 for a place no row names), summed in whole numbers."""
        return screens_by_place(self.column(by), self.screens, places)


def screens_by_place(rows: NDArray[np.str_], screens: NDArray[np.int64],
                     places: NDArray[np.str_]) -> NDArray[np.int64]:
    """The sum of ``screens`` over the table rows whose place (``rows``) is each of
    ``places`` (0 for a place no row names), in whole numbers."""
    names, code = np.unique(np.asarray(rows, dtype=str), return_inverse=True)
    sums = np.zeros(len(names), np.int64)
    np.add.at(sums, code.ravel(), screens)
    want = np.asarray(places, dtype=str)
    if not len(names):
        return np.zeros(len(want), np.int64)
    pos = np.clip(np.searchsorted(names, want), 0, len(names) - 1)
    return np.where(names[pos] == want, sums[pos], 0).astype(np.int64)


def read_cinemas(path: str | os.PathLike[str], header: str = "") -> Cinemas:
    """Read a ``cinemas.csv`` (see the module docstring); ``DataError`` names the file, the
    line and what was expected. ``screens`` and ``seats`` may be the only columns besides
    ``cinema_id`` (``--screens-per-cinema`` files): a missing city or region reads as "".
    ``header``: the header a missing or empty file is told to have (by default the whole
    table's; ``cinema_id,screens`` for a file that needs no more, as a screens file)."""
    p = Path(path)
    header = header or ",".join(CINEMA_COLUMNS)
    try:
        # bytes, not read_text: its universal newlines turned a CR in a quoted cinema_id
        # into an LF (cinema "C\r2" read as "C\n2", a cinema no user names)
        data = p.read_bytes()
    except FileNotFoundError:
        raise DataError(str(p), "no such file (expected a cinemas CSV with the header "
                        f"{header})") from None
    except IsADirectoryError:
        raise DataError(str(p), "expected a cinemas CSV, found a folder") from None
    except OSError as e:  # no permission, an I/O error: said, as any input problem is
        raise DataError(str(p), f"cannot be read ({e.strerror or e})") from None
    records = csv_records(utf8_text(p, data), p)  # a bad byte named by line and column
    rows = [row for _, row in records]
    if not rows:
        raise DataError(str(p), f"empty file; expected the header {header}", line=1)
    head = [h.strip().lower() for h in rows[0]]
    if CINEMA_ID not in head or SCREENS not in head:
        raise DataError(str(p), f"the header must name {CINEMA_ID} and {SCREENS} (expected "
                        f"{header}); found {','.join(rows[0])}", line=1)
    duplicate_columns(p, head)
    # other columns (a name, an address) are not read; one close to a missing column's name
    # is the typo it likely is
    missing = [c for c in CINEMA_COLUMNS if c not in head]
    for name in (h for h in head if h not in CINEMA_COLUMNS):
        meant = difflib.get_close_matches(name, missing, n=1, cutoff=0.75)
        if meant:
            raise DataError(str(p), f"column {name!r} is not one the table reads: did you mean "
                            f"{meant[0]!r}? (it reads {','.join(CINEMA_COLUMNS)}; other "
                            "columns, such as a name or an address, are left unread)", line=1)
    col = {name: head.index(name) for name in CINEMA_COLUMNS if name in head}
    ids: list[str] = []
    values: dict[str, list[str]] = {CITY: [], REGION: []}
    numbers: dict[str, list[int]] = {SCREENS: [], SEATS: []}
    seen: dict[str, int] = {}  # each id's line: a repeated one names both (as users' do)
    for line, row in data_rows(records, len(head), p):
        cid = row[col[CINEMA_ID]]
        if not cid.strip():  # a blank id: no user can name it (no place)
            raise DataError(str(p), f"a blank ({cid!r}) {CINEMA_ID}", line=line)
        if cid in seen:
            raise DataError(str(p), f"a repeated {CINEMA_ID} {cid!r} (first on line "
                            f"{seen[cid]}); expected one row per cinema", line=line)
        seen[cid] = line
        ids.append(cid)
        for name in (CITY, REGION):
            text = row[col[name]] if name in col else ""
            if name in col and not text.strip():  # it could cap no city or region
                raise DataError(str(p), f"cinema {cid!r}: a blank {name} ({text!r}); every "
                                f"row names its {name} when the header has the column", line=line)
            values[name].append(text)
        for name in (SCREENS, SEATS):
            raw = row[col[name]].strip() if name in col else "0"
            value = whole_count(raw)
            # seats 0: not recorded (a model trained on such a table still reads it; no cap
            # reads seats)
            if value is None or (name == SCREENS and value < 1):
                raise DataError(str(p), f"{name} must be a whole number"
                                f"{' >= 1' if name == SCREENS else ''} and at most "
                                f"{MAX_COUNT}, got {raw!r}", line=line)
            numbers[name].append(value)
    if not ids:
        raise DataError(str(p), "the file lists no cinema (only a header)", line=1)
    return Cinemas(np.asarray(ids, dtype=str), np.asarray(values[CITY], dtype=str),
                   np.asarray(values[REGION], dtype=str), np.asarray(numbers[SCREENS], np.int64),
                   np.asarray(numbers[SEATS], np.int64), str(p))


def delimiter_of(text: str) -> str:
    """The separator of a small CSV of ours (a slate, cinemas): ``,``, or ``;`` or a tab when
    the first line holds one and no comma (a spreadsheet's export where the comma is the
    decimal mark)."""
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]  # any line ending (a Mac's CR)
    return next((d for d in (";", "\t") if d in first and "," not in first), ",")


def csv_records(text: str, path: str | os.PathLike[str], delimiter: str | None = None
                ) -> list[tuple[int, list[str]]]:
    """The CSV records of ``text`` (read from ``path``), each with the file line it starts on.
    Records end at a line break outside quotes only: ``\\n``, ``\\r\\n`` or a lone ``\\r``
    (``str.splitlines`` also split at U+2028, U+0085 and other Unicode breaks, refusing a
    valid row, and lost a quoted newline). ``delimiter`` by default: ``delimiter_of``. Text
    the csv module cannot read (a quote left open over more than its field limit) is
    ``DataError`` naming the line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or delimiter_of(text))
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            out.append((start, row))
            start = reader.line_num + 1
    except csv.Error as e:
        raise DataError(str(path), f"not readable as CSV from here on ({e}; a quote left "
                                   "open?)", line=start) from None
    return out


def data_rows(records: list[tuple[int, list[str]]], fields: int, path: str | os.PathLike[str]
              ) -> Iterator[tuple[int, list[str]]]:
    """The rows of ``records`` (``csv_records``) after the header, each with its line: blank
    ones skipped, one of another number of fields than ``fields`` refused naming its line."""
    for line, row in records[1:]:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != fields:
            raise DataError(str(path), f"{plural(len(row), 'field')}, expected {fields}",
                            line=line)
        yield line, row


def cinemas_beside(data: str | os.PathLike[str]) -> Path | None:
    """The ``cinemas.csv`` of the training data ``data`` (in the folder, or beside the file),
    read once to check it (``DataError`` names the file and line); None when there is none.
    ``recommender train`` copies it into the model."""
    d = Path(data)
    path = (d if d.is_dir() else d.parent) / CINEMAS_FILE
    if not path.is_file():
        return None
    read_cinemas(path)
    return path.resolve()
