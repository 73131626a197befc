"""Readers: interaction logs, film catalogs and user attributes -> :class:`Interactions`.

``load(path)`` takes one interactions file or a dataset folder, detects its format and
returns merged :class:`~recommender.io.dataset.Interactions` (duplicated (user, film) pairs are
merged by :meth:`Interactions.from_columns`), with a :class:`Catalog` and a
:class:`UserTable` wherever the source has them.

Supported inputs (see ``datasets/README.md`` for examples):

* **CSV / TSV with a header** ``user_id,film_id[,rating][,weight][,timestamp]`` (MovieLens
  ``userId,movieId`` accepted; delimiter sniffed from the header: comma, tab or semicolon).
* **Parquet** with the same column names.
* **``.dat`` files** with ``::`` separators and no header: ``user::film[::rating[::timestamp]]``.
* **Folders**: the project's own format (``interactions.csv`` + optional ``films.csv`` and
  ``users.csv``), MovieLens 100K (``u.data``), MovieLens 1M/10M and MovieTweetings
  (``ratings.dat``), MovieLens latest (``ratings.csv`` + ``movies.csv``) and FilmTrust
  (``ratings.txt``).

Ids are read as strings and kept byte for byte (``"0104257"`` stays ``"0104257"``). Every
problem with the input raises :class:`~recommender.errors.DataError` naming the file, the
1-based line (the header is line 1) and what was expected.

Everything on the happy path is vectorised (pyarrow multithreaded CSV/Parquet readers, pyarrow
compute and numpy); the slower diagnostics run only once something is known to be wrong.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io.columns import (
    AGE_BAND,
    FILM_ID,
    GENDER,
    OCCUPATION,
    RATING,
    REGION,
    TIMESTAMP,
    USER_ID,
    WEIGHT,
)
from recommender.io.dataset import Catalog, Interactions, UserTable, age_band
from recommender.io.ids import IdMap

PathLike = str | os.PathLike[str]

__all__ = [
    "FOLDER_LAYOUTS",
    "ML1M_AGE_BANDS",
    "ML1M_OCCUPATIONS",
    "ZIP_REGIONS",
    "load",
    "read_films",
    "read_id_list",
    "read_users",
    "zip_region",
]

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

#: Accepted header spellings (compared case-insensitively, surrounding spaces ignored).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    USER_ID: ("user_id", "userid", "user"),
    FILM_ID: ("film_id", "filmid", "movie_id", "movieid", "item_id", "itemid", "film", "movie",
              "item"),
    RATING: ("rating",),
    WEIGHT: ("weight",),
    TIMESTAMP: ("timestamp", "rating_timestamp"),
}
_INTERACTION_COLUMNS = (USER_ID, FILM_ID, RATING, WEIGHT, TIMESTAMP)
_EXPECTED_HEADER = "user_id,film_id[,rating][,weight][,timestamp]"

#: First digit of a US ZIP code -> coarse region (the USPS national areas).
ZIP_REGIONS: tuple[str, ...] = (
    "New England",     # 0: CT MA ME NH NJ RI VT, PR VI
    "Mid-Atlantic",    # 1: DE NY PA
    "South Atlantic",  # 2: DC MD NC SC VA WV
    "Southeast",       # 3: AL FL GA MS TN
    "Great Lakes",     # 4: IN KY MI OH
    "Upper Midwest",   # 5: IA MN MT ND SD WI
    "Central",         # 6: IL KS MO NE
    "South Central",   # 7: AR LA OK TX
    "Mountain",        # 8: AZ CO ID NM NV UT WY
    "Pacific",         # 9: AK CA HI OR WA
)
NON_US_REGION = "non-US"

#: MovieLens 1M ``users.dat`` age codes (already bands; from the ML-1M README).
ML1M_AGE_BANDS: dict[str, str] = {
    "1": "under 18", "18": "18-24", "25": "25-34", "35": "35-44", "45": "45-49",
    "50": "50-55", "56": "56+",
}

#: MovieLens 1M ``users.dat`` occupation codes (from the ML-1M README).
ML1M_OCCUPATIONS: dict[str, str] = {
    "0": "other", "1": "academic/educator", "2": "artist", "3": "clerical/admin",
    "4": "college/grad student", "5": "customer service", "6": "doctor/health care",
    "7": "executive/managerial", "8": "farmer", "9": "homemaker", "10": "K-12 student",
    "11": "lawyer", "12": "programmer", "13": "retired", "14": "sales/marketing",
    "15": "scientist", "16": "self-employed", "17": "technician/engineer",
    "18": "tradesman/craftsman", "19": "unemployed", "20": "writer",
}

#: MovieLens 100K genre flag order (``u.genre``), used when ``u.genre`` is absent.
ML100K_GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)
_NO_GENRES = ("(no genres listed)", "unknown")

#: Folder layouts, in detection order: (layout name, the files that identify it).
FOLDER_LAYOUTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("project", ("interactions.csv", "interactions.parquet")),
    ("MovieLens 100K", ("u.data",)),
    ("MovieLens 1M/10M or MovieTweetings", ("ratings.dat",)),
    ("MovieLens latest", ("ratings.csv",)),
    ("FilmTrust", ("ratings.txt",)),
)

_YEAR_IN_TITLE = r"\((?P<y>\d{4})(?:[-" + "\u2013" + r"]\d{0,4})?\)\s*$"  # "(1995)", "(2006-2007)"
_ML100K_FILE = re.compile(r"u[0-9ab]?\.(data|base|test)")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_SEPARATOR_NAMES = {",": "','", "\t": "tab", ";": "';'", " ": "space", "|": "'|'", "::": "'::'"}

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def load(
    path: PathLike,
    *,
    films: PathLike | None = None,
    users: PathLike | None = None,
) -> Interactions:
    """Read one interactions file or a dataset folder into merged ``Interactions``.

    Args:
        path: a CSV/TSV (with header), Parquet or ``::``-separated ``.dat`` file, or a folder in
            one of the layouts of ``FOLDER_LAYOUTS`` (a folder holding exactly one such folder,
            as unzipped archives do, is accepted too).
        films: optional extra catalog CSV, header ``film_id,title,year,genres``; its rows take
            precedence over the catalog found in the folder.
        users: optional extra user-attribute CSV, header ``user_id,<attribute columns>``; its
            values take precedence over the folder's user attributes.

    Returns:
        ``Interactions`` with one row per distinct (user, film) pair. ``rating`` (float32),
        ``timestamp`` (int64 unix seconds) are present when the source has them; ``catalog``
        and ``user_table`` hold every row of the metadata files (also films/users without
        interactions).

    Raises:
        DataError: the path does not exist, the folder layout is not recognised, or the data
            is malformed (the message names the file, the line and what was expected).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(str(p), "no such file or folder")
    if p.is_dir():
        inter = _load_folder(p)
    else:
        inter = _load_file(p)
    if films is not None:
        extra_catalog = read_films(films)
        inter.catalog = (extra_catalog if inter.catalog is None
                         else _merge_catalogs(extra_catalog, inter.catalog))
    if users is not None:
        extra_users = read_users(users)
        inter.user_table = (extra_users if inter.user_table is None
                            else _merge_user_tables(extra_users, inter.user_table))
    return inter


def read_id_list(path: PathLike) -> list[str]:
    """Ids from a text file with one id per line (no header).

    Surrounding whitespace is stripped and blank lines are ignored; ids are otherwise kept
    exactly. Raises ``DataError`` when the file is missing, not UTF-8 or holds no id.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(str(p), "no such file" if not p.exists() else "expected a file, "
                        "found a folder")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _decode_error(p, raw, e) from None
    ids = [s for s in (line.strip() for line in text.splitlines()) if s]
    if not ids:
        raise DataError(str(p), "expected one id per line; the file holds no id")
    return ids


def read_films(path: PathLike) -> Catalog:
    """A film catalog CSV: header ``film_id,title,year,genres`` (``movieId`` accepted).

    Only ``film_id`` is required. ``year`` is an integer (empty = 0 = unknown); without a
    ``year`` column the year is parsed from a trailing ``(YYYY)`` in the title. ``genres`` is
    ``|``-separated (``(no genres listed)`` = none). A film id listed twice is an error.
    """
    p = _existing_file(path)
    return _read_catalog_csv(p, strict=True)


def read_users(path: PathLike) -> UserTable:
    """A user-attribute CSV: header ``user_id,<attribute columns>`` (``userId`` accepted).

    Every attribute is kept as a string column (names lower-cased). ``age_band`` is derived
    from an ``age`` column and ``region`` from a ``zip`` column when they are absent
    (see :func:`zip_region`). A user id listed twice is an error.
    """
    p = _existing_file(path)
    delimiter, names = _sniff_header(p)
    canon = [n.strip().lower().replace(" ", "_") for n in names]
    if "userid" in canon and "user_id" not in canon:
        canon[canon.index("userid")] = USER_ID
    if USER_ID not in canon:
        raise DataError(str(p), f"missing required column user_id; expected a header "
                        f"'user_id,<attributes>'; found columns {_quoted(names)}", line=1)
    _check_unique_names(p, names, canon)
    table = _read_delimited(_Delimited(p, delimiter, canon, header=True),
                            {c: pa.string() for c in canon})
    ids = _string_ids(p, table.column(USER_ID).combine_chunks(), USER_ID, _CsvLocator(p, True))
    _check_unique_ids(p, ids, USER_ID, _CsvLocator(p, True))
    attrs = {c: _np_str(table.column(c)) for c in canon if c != USER_ID}
    return UserTable(_np_str(ids), _derive_user_attributes(attrs))


def zip_region(zips: Sequence[str] | NDArray[np.str_]) -> NDArray[np.str_]:
    """Coarse region of postal codes: a code starting with a digit is a US ZIP code and maps
    by its first digit through ``ZIP_REGIONS``; any other non-empty code (e.g. Canadian
    ``T8H1N``) is ``"non-US"``; an empty code is ``""`` (unknown)."""
    z = np.char.strip(np.asarray(zips, dtype=str))
    first = np.asarray([s[:1] for s in z.tolist()], dtype=str) if z.size else z
    out = np.full(z.shape, NON_US_REGION, dtype=object)
    for digit, region in enumerate(ZIP_REGIONS):
        out[first == str(digit)] = region
    out[first == ""] = ""
    return out.astype(str)


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


def _load_file(p: Path) -> Interactions:
    name = p.name.lower()
    if p.suffix.lower() in _PARQUET_SUFFIXES:
        return _load_parquet(p)
    if p.suffix.lower() == ".dat":
        return _load_dat_ratings(p)
    if _ML100K_FILE.fullmatch(name):
        return _load_headerless(p, "\t", (USER_ID, FILM_ID, RATING, TIMESTAMP))
    if name == "ratings.txt":
        return _load_filmtrust(p)
    return _load_csv(p)


def _detect_layout(folder: Path) -> tuple[str, Path] | None:
    for layout, files in FOLDER_LAYOUTS:
        if any((folder / f).is_file() for f in files):
            return layout, folder
    return None


def _load_folder(folder: Path) -> Interactions:
    found = _detect_layout(folder)
    if found is None:
        subdirs = [d for d in sorted(folder.iterdir()) if d.is_dir()
                   and not d.name.startswith((".", "__"))]
        if len(subdirs) == 1:
            found = _detect_layout(subdirs[0])
    if found is None:
        looked = "; ".join(f"{' or '.join(files)} ({layout})" for layout, files in FOLDER_LAYOUTS)
        present = sorted(x.name for x in folder.iterdir())
        shown = ", ".join(present[:15]) + (" ..." if len(present) > 15 else "") or "nothing"
        raise DataError(str(folder), f"no recognised dataset layout; looked for {looked}; "
                        f"found: {shown}")
    layout, d = found
    if layout == "project":
        src = d / "interactions.csv"
        inter = _load_csv(src) if src.is_file() else _load_parquet(d / "interactions.parquet")
        if (d / "films.csv").is_file():
            inter.catalog = _read_catalog_csv(d / "films.csv", strict=True)
        if (d / "users.csv").is_file():
            inter.user_table = read_users(d / "users.csv")
    elif layout == "MovieLens 100K":
        inter = _load_headerless(d / "u.data", "\t", (USER_ID, FILM_ID, RATING, TIMESTAMP))
        if (d / "u.item").is_file():
            inter.catalog = _read_ml100k_items(d / "u.item", d / "u.genre")
        if (d / "u.user").is_file():
            inter.user_table = _read_ml100k_users(d / "u.user")
    elif layout.startswith("MovieLens 1M"):
        inter = _load_dat_ratings(d / "ratings.dat")
        if (d / "movies.dat").is_file():
            inter.catalog = _read_movies_dat(d / "movies.dat")
        if (d / "users.dat").is_file():
            inter.user_table = _read_users_dat(d / "users.dat")
    elif layout == "MovieLens latest":
        inter = _load_csv(d / "ratings.csv")
        if (d / "movies.csv").is_file():
            inter.catalog = _read_catalog_csv(d / "movies.csv", strict=False)
    else:
        inter = _load_filmtrust(d / "ratings.txt")
    inter.source = str(d)
    return inter


# --------------------------------------------------------------------------------------------
# Low-level delimited reading with precise diagnostics
# --------------------------------------------------------------------------------------------


@dataclass
class _Delimited:
    """How to read one delimited file. ``data`` (if given) replaces the file's bytes but must
    keep its line structure (the ``::`` -> one-character rewrite does)."""

    path: Path
    delimiter: str
    names: list[str]
    header: bool
    quoting: bool = True
    data: bytes | None = None
    shown_separator: str | None = None  # how messages name the separator (default: delimiter)


class _Locator:
    """Turns a 0-based data row into a place in the source for messages."""

    def where(self, row: int) -> tuple[int | None, str]:
        raise NotImplementedError


class _CsvLocator(_Locator):
    def __init__(self, path: Path, header: bool) -> None:
        self.path, self.header = path, header

    def where(self, row: int) -> tuple[int | None, str]:
        return _physical_line(self.path, row + int(self.header)), ""


class _RowLocator(_Locator):
    def where(self, row: int) -> tuple[int | None, str]:
        return None, f"row {row + 1}: "


def _nonempty_lines(path: Path) -> NDArray[np.int64]:
    """1-based numbers of the non-empty lines of a file (pyarrow skips empty lines)."""
    b = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    if b.size == 0:
        return np.zeros(0, dtype=np.int64)
    nl = np.flatnonzero(b == 10)
    starts = np.r_[0, nl + 1]
    ends = np.r_[nl, b.size]
    lengths = ends - starts
    has_cr = (lengths > 0) & (b[np.maximum(ends - 1, 0)] == 13)
    lengths = lengths - has_cr
    return np.flatnonzero(lengths > 0).astype(np.int64) + 1


def _physical_line(path: Path, record: int) -> int:
    """1-based line of the ``record``-th (0-based) non-empty line."""
    lines = _nonempty_lines(path)
    if record < len(lines):
        return int(lines[record])
    return int(lines[-1]) + 1 if len(lines) else 1


def _decode_error(path: Path, raw: bytes, e: UnicodeDecodeError) -> DataError:
    off = e.start
    line = raw.count(b"\n", 0, off) + 1
    col = off - (raw.rfind(b"\n", 0, off) + 1) + 1
    return DataError(
        str(path),
        f"byte 0x{raw[off]:02x} at byte offset {off} (column {col}) is not valid UTF-8; "
        "expected UTF-8 text. The file is probably latin-1 (ISO-8859-1) or Windows-1252: "
        "re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8`",
        line=line,
    )


def _utf8_problem(path: Path) -> DataError:
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return _decode_error(path, raw, e)
    return DataError(str(path), "invalid UTF-8 text; expected UTF-8")


def _sep_name(sep: str) -> str:
    return _SEPARATOR_NAMES.get(sep, repr(sep))


def _read_delimited(spec: _Delimited, types: dict[str, pa.DataType]) -> pa.Table:
    """Read the columns in ``types`` (by name) with pyarrow, multithreaded.

    Raises ``DataError`` for malformed rows and undecodable bytes. Numeric conversion errors
    are re-raised as ``_ConversionError`` so the caller can take the slow, diagnosing path.
    """
    source: pa.NativeFile | str = (pa.BufferReader(spec.data) if spec.data is not None
                                   else str(spec.path))
    read_opts = pacsv.ReadOptions(column_names=spec.names, skip_rows=int(spec.header),
                                  use_threads=True, block_size=1 << 24)
    parse_opts = pacsv.ParseOptions(delimiter=spec.delimiter,
                                    quote_char='"' if spec.quoting else False,
                                    ignore_empty_lines=True)
    convert_opts = pacsv.ConvertOptions(column_types=types, include_columns=list(types),
                                        null_values=[""], strings_can_be_null=False,
                                        quoted_strings_can_be_null=False)
    try:
        return pacsv.read_csv(source, read_options=read_opts, parse_options=parse_opts,
                              convert_options=convert_opts)
    except pa.ArrowInvalid as e:
        msg = str(e)
        if "UTF8" in msg or "UTF-8" in msg:
            raise _utf8_problem(spec.path) from None
        if "CSV parse error" in msg:
            raise _parse_problem(spec, msg) from None
        if "conversion error" in msg:
            raise _ConversionError(msg) from None
        raise DataError(str(spec.path), f"could not read the file: {msg}") from None
    except (OSError, pa.ArrowException) as e:
        raise DataError(str(spec.path), f"could not read the file: {e}") from None


class _ConversionError(Exception):
    """A numeric column did not convert on the fast path."""


def _parse_problem(spec: _Delimited, msg: str) -> DataError:
    """Locate a row with the wrong number of fields (single-threaded re-read)."""
    payload = spec.data if spec.data is not None else spec.path.read_bytes()
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return _utf8_problem(spec.path)  # pyarrow cannot show undecodable rows
    bad: list[tuple[int | None, str, int, int]] = []

    def handler(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text, row.expected_columns, row.actual_columns))
        return "error"

    source: pa.NativeFile | str = (pa.BufferReader(spec.data) if spec.data is not None
                                   else str(spec.path))
    try:
        pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=spec.names, skip_rows=int(spec.header),
                                           use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=spec.delimiter,
                                             quote_char='"' if spec.quoting else False,
                                             invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string()
                                                               for n in spec.names},
                                                 include_columns=spec.names[:1]),
        )
    except pa.ArrowException:
        pass
    sep = _sep_name(spec.shown_separator or spec.delimiter)
    if not bad:
        detail = msg.split(":", 1)[-1].strip()
        return DataError(str(spec.path), f"malformed line ({detail}); expected "
                         f"{len(spec.names)} fields separated by {sep}")
    number, text, expected, actual = bad[0]
    line = _physical_line(spec.path, number - 1) if number else None
    if spec.shown_separator is not None:
        text = text.replace(spec.delimiter, spec.shown_separator)
    hint = ""
    if actual == 1:
        for cand in (";", ",", "\t", "|", " "):
            if cand != spec.delimiter and cand in text:
                hint = f" — is the separator {_sep_name(cand)}?"
                break
    return DataError(str(spec.path), f"expected {expected} fields separated by {sep}"
                     f"{' (as in the header)' if spec.header else ''}; found {actual}: "
                     f"{text[:200]!r}{hint}", line=line)


# --------------------------------------------------------------------------------------------
# Column conversion
# --------------------------------------------------------------------------------------------


def _first_failing(arr: pa.Array, convert: Callable[[pa.Array], object]) -> int | None:
    """Index of the first element on which ``convert`` fails (bisection), or None."""
    try:
        convert(arr)
        return None
    except (pa.ArrowException, ValueError):
        pass
    lo, hi = 0, len(arr)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(arr.slice(lo, mid - lo))
            lo = mid
        except (pa.ArrowException, ValueError):
            hi = mid
    return lo


def _problem(path: Path, loc: _Locator, row: int, message: str) -> DataError:
    line, prefix = loc.where(row)
    return DataError(str(path), prefix + message, line=line)


def _value_of(arr: pa.Array, row: int) -> str:
    v = arr[row].as_py()
    return "" if v is None else str(v)


def _to_float(arr: pa.Array) -> pa.Array:
    return pc.cast(arr, pa.float64())


def _float_column(path: Path, col: pa.Array | pa.ChunkedArray, name: str,
                  loc: _Locator) -> NDArray[np.float64]:
    """A numeric column (already numeric or strings) as float64, every value finite."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        bad = _first_failing(arr, _to_float)
        if bad is not None:
            value = _value_of(arr, bad)
            what = f"empty {name}" if not value.strip() else f"{name} {value!r} is not a number"
            raise _problem(path, loc, bad, f"{what}; expected a number")
        arr = _to_float(arr)
    elif pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or \
            pa.types.is_decimal(arr.type):
        arr = pc.cast(arr, pa.float64())
    else:
        raise DataError(str(path), f"column {name} has type {arr.type}; expected numbers")
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise _problem(path, loc, row, f"empty {name}; expected a number")
    values = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise _problem(path, loc, row, f"{name} {values[row]!r} is not a finite number; "
                       "expected a number")
    return values


def _ts_int(arr: pa.Array) -> pa.Array:
    return pc.cast(arr, pa.int64())


def _ts_float(arr: pa.Array) -> pa.Array:
    out = pc.cast(arr, pa.float64())
    if out.null_count or not np.isfinite(out.to_numpy(zero_copy_only=False)).all():
        raise ValueError("non-finite timestamp")
    return pc.cast(pc.floor(out), pa.int64())


def _ts_iso_naive(arr: pa.Array) -> pa.Array:
    return pc.cast(pc.cast(arr, pa.timestamp("s")), pa.int64())


def _ts_iso_zoned(arr: pa.Array) -> pa.Array:
    return pc.cast(pc.cast(arr, pa.timestamp("s", tz="UTC")), pa.int64())


def _timestamp_column(path: Path, col: pa.Array | pa.ChunkedArray,
                      loc: _Locator) -> NDArray[np.int64]:
    """Timestamps as int64 unix seconds: integers, decimal seconds (floored) or ISO 8601
    strings (``2020-01-31``, ``2020-01-31 12:00:00``; naive times are taken as UTC, and a zone
    offset such as ``Z`` or ``+01:00`` is honoured)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        arr = pc.cast(pc.cast(arr, pa.timestamp("s", tz=getattr(arr.type, "tz", None))),
                      pa.int64())
    elif pa.types.is_floating(arr.type):
        arr = pc.cast(pc.floor(arr), pa.int64())
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        parsers = (_ts_int, _ts_float, _ts_iso_naive, _ts_iso_zoned)
        firsts = []
        for parse in parsers:
            bad = _first_failing(arr, parse)
            if bad is None:
                arr = parse(arr)
                break
            firsts.append(bad)
        else:
            row = max(firsts)
            value = _value_of(arr, row)
            what = "empty timestamp" if not value.strip() else f"timestamp {value!r} is not valid"
            raise _problem(path, loc, row, f"{what}; expected unix seconds or an ISO 8601 date "
                           "such as 2020-01-31 or 2020-01-31T12:00:00Z")
    elif not pa.types.is_integer(arr.type):
        raise DataError(str(path), f"column timestamp has type {arr.type}; expected unix "
                        "seconds or ISO 8601 dates")
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise _problem(path, loc, row, "empty timestamp; expected unix seconds")
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)


def _string_ids(path: Path, col: pa.Array | pa.ChunkedArray, name: str,
                loc: _Locator) -> pa.Array:
    """An id column as a non-empty string array (ids are never reformatted)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_floating(arr.type):
        raise DataError(str(path), f"column {name} holds floating-point numbers; store ids "
                        "as strings (or integers)")
    if not pa.types.is_string(arr.type):
        try:
            arr = pc.cast(arr, pa.string())
        except pa.ArrowException as e:
            raise DataError(str(path), f"column {name} has type {arr.type}; expected string "
                            f"ids ({e})") from None
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise _problem(path, loc, row, f"missing {name}; expected a non-empty id")
    empty = pc.equal(pc.binary_length(arr), 0)
    if pc.any(empty).as_py():
        row = int(np.flatnonzero(empty.to_numpy(zero_copy_only=False))[0])
        raise _problem(path, loc, row, f"empty {name}; expected a non-empty id")
    return arr


def _check_unique_ids(path: Path, ids: pa.Array, name: str, loc: _Locator) -> None:
    if len(pc.unique(ids)) == len(ids):
        return
    values = _np_str(ids)
    _, first = np.unique(values, return_index=True)
    dup = np.ones(len(values), dtype=bool)
    dup[first] = False
    row = int(np.flatnonzero(dup)[0])
    raise _problem(path, loc, row, f"{name} {str(values[row])!r} is listed twice; expected one "
                   "row per id")


def _build(path: Path, columns: dict[str, pa.Array | pa.ChunkedArray], loc: _Locator,
           first_data_line: int | None) -> Interactions:
    """Validate canonical columns and build ``Interactions`` (merging duplicates)."""
    n = len(columns[USER_ID])
    if n == 0:
        raise DataError(str(path), "no interactions: expected at least one data line",
                        line=first_data_line)
    users = _string_ids(path, columns[USER_ID], USER_ID, loc)
    films = _string_ids(path, columns[FILM_ID], FILM_ID, loc)
    rating = _float_column(path, columns[RATING], RATING, loc) if RATING in columns else None
    weight = _float_column(path, columns[WEIGHT], WEIGHT, loc) if WEIGHT in columns else None
    ts = _timestamp_column(path, columns[TIMESTAMP], loc) if TIMESTAMP in columns else None
    return Interactions.from_columns(users, films, rating=rating, weight=weight, timestamp=ts,
                                     source=str(path))


def _load_table(spec: _Delimited, wanted: Sequence[str]) -> Interactions:
    """Fast path: typed pyarrow read. Slow path (only after a conversion error): strings, then
    per-column conversion that finds the offending line."""
    fast = {USER_ID: pa.string(), FILM_ID: pa.string(), RATING: pa.float64(),
            WEIGHT: pa.float64(), TIMESTAMP: pa.int64()}
    loc = _CsvLocator(spec.path, spec.header)
    first_line = 2 if spec.header else 1
    try:
        table = _read_delimited(spec, {c: fast[c] for c in wanted})
    except _ConversionError:
        table = _read_delimited(spec, {c: pa.string() for c in wanted})
    return _build(spec.path, {c: table.column(c) for c in wanted}, loc, first_line)


# --------------------------------------------------------------------------------------------
# Interaction files
# --------------------------------------------------------------------------------------------


def _existing_file(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataError(str(p), "no such file")
    if not p.is_file():
        raise DataError(str(p), "expected a file, found a folder")
    return p


def _sniff_header(p: Path) -> tuple[str, list[str]]:
    """The delimiter (comma, tab or semicolon) and the header's field names."""
    with open(p, "rb") as f:
        head = f.read(1 << 16)
    if not head.strip():
        raise DataError(str(p), "the file is empty; expected a header line "
                        f"'{_EXPECTED_HEADER}' followed by data lines")
    first = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise _utf8_problem(p) from None
    if not text.strip():
        raise DataError(str(p), f"expected a header line '{_EXPECTED_HEADER}'; found an empty "
                        "line", line=1)
    counts = {d: text.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        hint = ""
        others = [c for c in ("|", "::", " ", ":") if c in text.strip()]
        if others:
            hint = f" — is the separator {_sep_name(others[0])}?"
        raise DataError(str(p), "expected columns separated by ',', tab or ';'; found a single "
                        f"column {text!r}{hint}", line=1)
    names = next(csv.reader([text], delimiter=delimiter))
    return delimiter, [n.strip() for n in names]


def canonical_column(name: str) -> str | None:
    """The canonical column a header name stands for (``COLUMN_ALIASES``), or None."""
    key = name.strip().lower()
    for canon, aliases in COLUMN_ALIASES.items():
        if key in aliases:
            return canon
    return None


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _check_unique_names(p: Path, names: Sequence[str], canon: Sequence[str]) -> None:
    seen: dict[str, str] = {}
    for orig, c in zip(names, canon, strict=True):
        if c in seen:
            raise DataError(str(p), f"columns {seen[c]!r} and {orig!r} both name {c}; expected "
                            "each column once", line=1)
        seen[c] = orig


def _looks_numeric(fields: Sequence[str]) -> bool:
    return all(re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", f) for f in fields)


def _interaction_columns(p: Path, names: list[str]) -> tuple[list[str], list[str]]:
    """Physical names for pyarrow (canonical where recognised) and the canonical ones found."""
    canon = [canonical_column(n) for n in names]
    physical = [c if c is not None else f"_column{i}" for i, c in enumerate(canon)]
    _check_unique_names(p, names, physical)
    missing = [c for c in (USER_ID, FILM_ID) if c not in canon]
    if missing:
        if _looks_numeric(names):
            raise DataError(str(p), f"expected a header line '{_EXPECTED_HEADER}'; the first "
                            f"line {names!r} looks like data", line=1)
        raise DataError(str(p), f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)}; expected columns {_EXPECTED_HEADER} "
                        f"(MovieLens userId,movieId also accepted); found columns "
                        f"{_quoted(names)}", line=1)
    wanted = [c for c in _INTERACTION_COLUMNS if c in canon]
    return physical, wanted


def _load_csv(p: Path) -> Interactions:
    delimiter, names = _sniff_header(p)
    physical, wanted = _interaction_columns(p, names)
    return _load_table(_Delimited(p, delimiter, physical, header=True), wanted)


def _load_headerless(p: Path, delimiter: str, columns: Sequence[str]) -> Interactions:
    if not p.read_bytes()[:1 << 16].strip():
        raise DataError(str(p), f"the file is empty; expected lines "
                        f"{_sep_name(delimiter).join(columns)}")
    return _load_table(_Delimited(p, delimiter, list(columns), header=False), list(columns))


def _load_filmtrust(p: Path) -> Interactions:
    return _load_headerless(p, " ", (USER_ID, FILM_ID, RATING))


def _free_delimiter(raw: bytes) -> str:
    for cand in ("\x1f", "\x1e", "\x1d", "\x1c", "\t", "|"):
        if cand.encode() not in raw:
            return cand
    raise DataError("", "no free delimiter character")  # pragma: no cover


def _dat_bytes(p: Path, raw: bytes | None = None) -> tuple[bytes, str, int]:
    """The file's bytes with ``::`` replaced by a one-byte delimiter, that delimiter and the
    number of fields on the first line."""
    raw = p.read_bytes() if raw is None else raw
    if not raw.strip():
        raise DataError(str(p), "the file is empty; expected lines user::film::rating::timestamp")
    delim = _free_delimiter(raw)
    data = raw.replace(b"::", delim.encode())
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0]
    return data, delim, first.count(delim.encode()) + 1


def _load_dat_ratings(p: Path) -> Interactions:
    data, delim, n_fields = _dat_bytes(p)
    if n_fields < 2:
        raise DataError(str(p), "expected fields separated by '::' "
                        "(user::film[::rating[::timestamp]]); found a single field", line=1)
    columns = [USER_ID, FILM_ID, RATING, TIMESTAMP][:n_fields]
    names = columns + [f"_column{i}" for i in range(len(columns), n_fields)]
    spec = _Delimited(p, delim, names, header=False, quoting=False, data=data,
                      shown_separator="::")
    return _load_table(spec, columns)


def _load_parquet(p: Path) -> Interactions:
    try:
        pf = pq.ParquetFile(p)
        names = list(pf.schema_arrow.names)
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(p), f"not a readable Parquet file ({e}); expected Parquet with "
                        f"columns {_EXPECTED_HEADER}") from None
    canon = [canonical_column(n) for n in names]
    missing = [c for c in (USER_ID, FILM_ID) if c not in canon]
    _check_unique_names(p, names, [c or f"_{i}" for i, c in enumerate(canon)])
    if missing:
        raise DataError(str(p), f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)}; expected columns {_EXPECTED_HEADER}; found "
                        f"columns {_quoted(names)}")
    pick = {c: n for n, c in zip(names, canon, strict=True) if c is not None}
    try:
        table = pf.read(columns=list(pick.values()))
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(p), f"could not read the Parquet file: {e}") from None
    columns = {c: table.column(n) for c, n in pick.items()}
    return _build(p, columns, _RowLocator(), None)


# --------------------------------------------------------------------------------------------
# Catalogs
# --------------------------------------------------------------------------------------------


def _np_str(arr: pa.Array | pa.ChunkedArray) -> NDArray[np.str_]:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=str)


def _year_from(col: pa.Array, pattern: str) -> pa.Array:
    return pc.struct_field(pc.extract_regex(col, pattern), "y")


def _years(*candidates: pa.Array) -> NDArray[np.int32]:
    """First non-null candidate (decimal strings) per row as int32; 0 when none."""
    merged = pc.coalesce(*candidates, pa.scalar("0"))
    return np.asarray(pc.cast(merged, pa.int32()).to_numpy(zero_copy_only=False),
                      dtype=np.int32)


def _clean_genres(col: pa.Array) -> NDArray[np.str_]:
    g = _np_str(col)
    return np.where(np.isin(g, _NO_GENRES), "", g).astype(str)


def _dedupe_catalog(cat: Catalog) -> Catalog:
    _, first = np.unique(cat.film_ids, return_index=True)
    if len(first) == len(cat.film_ids):
        return cat
    keep = np.sort(first)
    return Catalog(cat.film_ids[keep], cat.titles[keep], cat.years[keep], cat.genres[keep])


def _read_catalog_csv(p: Path, *, strict: bool) -> Catalog:
    """``film_id,title,year,genres`` CSV (or MovieLens ``movieId,title,genres``)."""
    delimiter, names = _sniff_header(p)
    canon = [n.strip().lower() for n in names]
    canon = [FILM_ID if canonical_column(n) == FILM_ID else n for n in canon]
    if FILM_ID not in canon:
        raise DataError(str(p), "missing required column film_id; expected a header "
                        f"'film_id,title,year,genres'; found columns {_quoted(names)}", line=1)
    physical = [c if c in (FILM_ID, "title", "year", "genres") else f"_column{i}"
                for i, c in enumerate(canon)]
    _check_unique_names(p, names, physical)
    wanted = [c for c in (FILM_ID, "title", "year", "genres") if c in physical]
    table = _read_delimited(_Delimited(p, delimiter, physical, header=True),
                            {c: pa.string() for c in wanted})
    loc = _CsvLocator(p, True)
    ids = _string_ids(p, table.column(FILM_ID), FILM_ID, loc)
    n = len(ids)
    titles = (table.column("title").combine_chunks() if "title" in wanted
              else pa.array([""] * n, pa.string()))
    if "year" in wanted:
        year_col = pc.utf8_trim_whitespace(table.column("year").combine_chunks())
        ok = pc.match_substring_regex(year_col, r"^(\d{1,4})?$")
        if not pc.all(ok).as_py():
            row = int(np.flatnonzero(~ok.to_numpy(zero_copy_only=False))[0])
            raise _problem(p, loc, row, f"year {_value_of(year_col, row)!r} is not a whole "
                           "number; expected a year such as 1995 (empty = unknown)")
        years = _years(pc.if_else(pc.equal(year_col, ""), pa.scalar(None, pa.string()),
                                  year_col))
    else:
        years = _years(_year_from(titles, _YEAR_IN_TITLE))
    genres = (_clean_genres(table.column("genres").combine_chunks()) if "genres" in wanted
              else np.full(n, "", dtype=str))
    cat = Catalog(_np_str(ids), _np_str(titles), years, genres)
    if strict:
        _check_unique_ids(p, ids, FILM_ID, loc)
        return cat
    return _dedupe_catalog(cat)


def _decode_text(p: Path) -> bytes:
    """The file re-encoded as UTF-8 bytes: tried as UTF-8, then latin-1 (always decodes)."""
    raw = p.read_bytes()
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError:
        return raw.decode("latin-1").encode("utf-8")


def _read_ml100k_genres(p: Path) -> list[str]:
    if not p.is_file():
        return list(ML100K_GENRES)
    pairs = []
    for line in p.read_bytes().decode("latin-1").splitlines():
        if "|" in line:
            name, _, idx = line.rpartition("|")
            if idx.strip().isdigit():
                pairs.append((int(idx), name))
    return [name for _, name in sorted(pairs)] or list(ML100K_GENRES)


def _read_ml100k_items(p: Path, genre_file: Path) -> Catalog:
    """``u.item``: ``id|title|release date|video release date|IMDb URL|19 genre flags``."""
    genres = _read_ml100k_genres(genre_file)
    names = [FILM_ID, "title", "release", "video", "url"] + [f"g{i}" for i in range(len(genres))]
    data = _decode_text(p)
    spec = _Delimited(p, "|", names, header=False, quoting=False, data=data)
    table = _read_delimited(spec, {c: pa.string() for c in names})
    ids = _string_ids(p, table.column(FILM_ID), FILM_ID, _CsvLocator(p, False))
    titles = table.column("title").combine_chunks()
    years = _years(_year_from(table.column("release").combine_chunks(), r"(?P<y>\d{4})\s*$"),
                   _year_from(titles, _YEAR_IN_TITLE))
    joined = np.full(len(ids), "", dtype=object)
    for i, genre in enumerate(genres):
        if genre in _NO_GENRES:
            continue
        on = _np_str(table.column(f"g{i}")) == "1"
        joined[on] = np.where(joined[on] == "", genre, joined[on] + "|" + genre)
    return _dedupe_catalog(Catalog(_np_str(ids), _np_str(titles), years, joined.astype(str)))


def _read_movies_dat(p: Path) -> Catalog:
    """``movies.dat``: ``id::Title (year)::Genre|Genre`` (UTF-8 or latin-1)."""
    data, delim, n_fields = _dat_bytes(p, _decode_text(p))
    names = [FILM_ID, "title", "genres"] + [f"_column{i}" for i in range(3, n_fields)]
    names = names[:max(n_fields, 2)]
    spec = _Delimited(p, delim, names, header=False, quoting=False, data=data,
                      shown_separator="::")
    table = _read_delimited(spec, {c: pa.string() for c in names if not c.startswith("_")})
    ids = _string_ids(p, table.column(FILM_ID), FILM_ID, _CsvLocator(p, False))
    titles = table.column("title").combine_chunks()
    genres = (_clean_genres(table.column("genres").combine_chunks()) if "genres" in names
              else np.full(len(ids), "", dtype=str))
    years = _years(_year_from(titles, _YEAR_IN_TITLE))
    return _dedupe_catalog(Catalog(_np_str(ids), _np_str(titles), years, genres))


def _merge_catalogs(first: Catalog, second: Catalog) -> Catalog:
    """Union of two catalogs; ``first`` wins for films in both."""
    extra = ~np.isin(second.film_ids, first.film_ids)
    return Catalog(
        np.concatenate([first.film_ids, second.film_ids[extra]]).astype(str),
        np.concatenate([first.titles, second.titles[extra]]).astype(str),
        np.concatenate([first.years, second.years[extra]]).astype(np.int32),
        np.concatenate([first.genres, second.genres[extra]]).astype(str),
    )


# --------------------------------------------------------------------------------------------
# User attributes
# --------------------------------------------------------------------------------------------


def _ages(values: NDArray[np.str_]) -> NDArray[np.int64]:
    """Ages in years; anything not a number -> -1 (unknown)."""
    arr = pc.utf8_trim_whitespace(pa.array(values, pa.string()))
    ok = pc.match_substring_regex(arr, r"^\d+(\.\d*)?$")
    nums = pc.cast(pc.if_else(ok, arr, "-1"), pa.float64())
    return np.asarray(nums.to_numpy(zero_copy_only=False), dtype=np.float64).astype(np.int64)


def _derive_user_attributes(attrs: dict[str, NDArray[np.str_]]) -> dict[str, NDArray[np.str_]]:
    """Add ``age_band`` (from ``age``) and ``region`` (from ``zip``) when missing."""
    out = dict(attrs)
    if AGE_BAND not in out and "age" in out:
        out[AGE_BAND] = age_band(_ages(out["age"]))
    zip_col = next((c for c in ("zip", "zip_code", "zipcode", "zip-code") if c in out), None)
    if REGION not in out and zip_col is not None:
        out[REGION] = zip_region(out[zip_col])
    return out


def _read_ml100k_users(p: Path) -> UserTable:
    """``u.user``: ``id|age|gender|occupation|zip``."""
    names = [USER_ID, "age", GENDER, OCCUPATION, "zip"]
    spec = _Delimited(p, "|", names, header=False, quoting=False, data=_decode_text(p))
    table = _read_delimited(spec, {c: pa.string() for c in names})
    ids = _string_ids(p, table.column(USER_ID), USER_ID, _CsvLocator(p, False))
    age = _np_str(table.column("age"))
    zips = _np_str(table.column("zip"))
    attrs = {
        AGE_BAND: age_band(_ages(age)),
        GENDER: _np_str(table.column(GENDER)),
        OCCUPATION: _np_str(table.column(OCCUPATION)),
        REGION: zip_region(zips),
        "age": age,
        "zip": zips,
    }
    return UserTable(_np_str(ids), attrs)


def _lookup(values: NDArray[np.str_], table: dict[str, str], default: str | None) -> \
        NDArray[np.str_]:
    out = np.asarray(values, dtype=object).copy() if default is None else \
        np.full(len(values), default, dtype=object)
    for code, label in table.items():
        out[values == code] = label
    return out.astype(str)


def _read_users_dat(p: Path) -> UserTable | None:
    """``users.dat``: ML-1M ``id::gender::age::occupation::zip`` or MovieTweetings
    ``user_id::twitter_id``. Other layouts are skipped with a warning."""
    data, delim, n_fields = _dat_bytes(p, _decode_text(p))
    if n_fields == 5:
        names = [USER_ID, GENDER, "age_code", "occupation_code", "zip"]
    elif n_fields == 2:
        names = [USER_ID, "twitter_id"]
    else:
        warnings.warn(f"{p}: {n_fields} fields per line; expected 5 (MovieLens 1M) or 2 "
                      "(MovieTweetings); user attributes skipped", stacklevel=3)
        return None
    spec = _Delimited(p, delim, names, header=False, quoting=False, data=data,
                      shown_separator="::")
    table = _read_delimited(spec, {c: pa.string() for c in names})
    ids = _string_ids(p, table.column(USER_ID), USER_ID, _CsvLocator(p, False))
    cols = {c: _np_str(table.column(c)) for c in names if c != USER_ID}
    if n_fields == 2:
        return UserTable(_np_str(ids), cols)
    attrs = {
        AGE_BAND: _lookup(cols["age_code"], ML1M_AGE_BANDS, "unknown"),
        GENDER: cols[GENDER],
        OCCUPATION: _lookup(cols["occupation_code"], ML1M_OCCUPATIONS, None),
        REGION: zip_region(cols["zip"]),
        "age_code": cols["age_code"],
        "occupation_code": cols["occupation_code"],
        "zip": cols["zip"],
    }
    return UserTable(_np_str(ids), attrs)


def _merge_user_tables(first: UserTable, second: UserTable) -> UserTable:
    """Union of two user tables; ``first``'s values win for users it lists."""
    extra = ~np.isin(second.user_ids, first.user_ids)
    ids = IdMap(np.concatenate([first.user_ids, second.user_ids[extra]]).astype(str))
    a, b = first.aligned_to(ids), second.aligned_to(ids)
    in_first = np.arange(len(ids)) < len(first.user_ids)
    out: dict[str, NDArray[np.str_]] = {}
    for name in list(first.attributes) + [k for k in second.attributes
                                          if k not in first.attributes]:
        if name in a.attributes and name in b.attributes:
            out[name] = np.where(in_first, a.attributes[name], b.attributes[name]).astype(str)
        else:
            out[name] = (a.attributes if name in a.attributes else b.attributes)[name]
    return UserTable(ids.ids.copy(), out)
