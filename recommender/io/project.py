"""The project's own files: interactions, films and users as CSV/TSV or Parquet with a header.

A project folder holds ``interactions.csv`` (or ``interactions.parquet``) and optionally
``films.csv`` (``film_id,title,year,genres``) and ``users.csv`` (``user_id,<attributes>``), or
those two as ``films.parquet`` and ``users.parquet`` with the same columns. Headers are matched
by name (case-insensitively; MovieLens ``userId,movieId`` accepted), so any single interactions
file with a header is read here too. A Parquet side table's id column may be text or integers
(written as Arrow casts them: decimal digits, a ``-`` for a negative, no padding: ``42`` and
never ``0042`` or ``42.0``); its other columns are read as text, as a CSV's cells are (a null
is a cell without a value).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io import arrow_numpy as an
from recommender.io.columns import (
    AGE,
    AGE_BAND,
    CATALOG_COLUMNS,
    FILM_ID,
    GENRES,
    INTERACTION_COLUMNS,
    RATING,
    REGION,
    TIMESTAMP,
    TITLE,
    USER_ID,
    WEIGHT,
    YEAR,
    ZIP,
    attribute_array,
)
from recommender.io.convert import (
    check_unique_ids,
    np_str,
    string_ids,
    value_of,
    year_from,
    years,
)
from recommender.io.dataset import Catalog, Interactions, UserTable, age_bands
from recommender.io.delimited import (
    EXPECTED_HEADER,
    CsvLocator,
    Delimited,
    PathLike,
    RowLocator,
    check_unique_names,
    existing_file,
    problem,
    quoted,
    read_delimited,
    sniff_header,
)
from recommender.io.log_table import build, load_table
from recommender.io.public import YEAR_IN_TITLE, clean_genres, dedupe_catalog, zip_region

#: Accepted header spellings (compared case-insensitively, surrounding spaces ignored).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    USER_ID: (USER_ID, "userid", "user"),
    FILM_ID: (FILM_ID, "filmid", "movie_id", "movieid", "item_id", "itemid", "film", "movie",
              "item"),
    RATING: (RATING,),
    WEIGHT: (WEIGHT,),
    TIMESTAMP: (TIMESTAMP, "rating_timestamp"),
}
CATALOG_HEADER = "film_id,title,year,genres"
ZIP_COLUMNS = (ZIP, "zip_code", "zipcode", "zip-code")  # region is derived from one


def canonical_column(name: str) -> str | None:
    """The canonical column a header name stands for (``COLUMN_ALIASES``), or None."""
    key = name.strip().lower()
    for canon, aliases in COLUMN_ALIASES.items():
        if key in aliases:
            return canon
    return None


# --------------------------------------------------------------------------------------------
# Interactions
# --------------------------------------------------------------------------------------------


def _looks_numeric(fields: Sequence[str]) -> bool:
    return all(re.fullmatch(r"\s*[-+]?\d+(\.\d*)?\s*", f) for f in fields)


def header_is_data(path: str, names: Sequence[str]) -> DataError | None:
    """The error for an interactions header that names no id column and reads as a line of
    data (every field a number, or none a known column and one a number: 'u00001,5268074,
    3.5,1731662743', a log saved without its header) or that is Excel's ``sep=,`` line, else
    None. Both engines' readers."""
    canon = [canonical_column(n) for n in names]
    if not names:  # an empty file: its own message
        return None
    if names[0].strip().lower().startswith("sep=") and len(names) <= 2:  # Excel's first line
        return DataError(path, "the first line is Excel's 'sep=' delimiter line, not a "
                         f"header: delete it so that the header '{EXPECTED_HEADER}' is the "
                         "first line", line=1)
    if _looks_numeric(names) or (not any(canon) and any(_looks_numeric([n]) for n in names)):
        return DataError(path, f"expected a header line '{EXPECTED_HEADER}'; the first line "
                         f"{list(names)!r} looks like data", line=1)
    return None


def _interaction_columns(p: Path, names: list[str]) -> tuple[list[str], list[str]]:
    """Physical names for pyarrow (canonical where recognised) and the canonical ones found."""
    canon = [canonical_column(n) for n in names]
    physical = [c if c is not None else f"_column{i}" for i, c in enumerate(canon)]
    check_unique_names(p, names, physical)
    missing = [c for c in (USER_ID, FILM_ID) if c not in canon]
    if missing:
        if (err := header_is_data(str(p), names)) is not None:
            raise err
        raise DataError(str(p), f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)}; expected columns {EXPECTED_HEADER} "
                        f"(MovieLens userId,movieId also accepted); found columns "
                        f"{quoted(names)}", line=1)
    wanted = [c for c in INTERACTION_COLUMNS if c in canon]
    return physical, wanted


def header_names(p: Path, parquet: bool) -> list[str]:
    """The header names of an interactions CSV/TSV (or ``parquet``) file; [] when it cannot
    be read (the reader then says why)."""
    try:
        return list(pq.ParquetFile(p).schema_arrow.names) if parquet else sniff_header(p)[1]
    except (DataError, pa.ArrowException, OSError):
        return []


def load_csv(p: Path) -> Interactions:
    """An interactions CSV/TSV with a header (delimiter sniffed: comma, tab or semicolon)."""
    delimiter, names = sniff_header(p)
    physical, wanted = _interaction_columns(p, names)
    return load_table(Delimited(p, delimiter, physical, header=True), wanted)


def load_parquet(p: Path) -> Interactions:
    """An interactions Parquet file with the same column names as the CSV."""
    if p.stat().st_size == 0:
        raise DataError(str(p), f"the file is empty; expected Parquet with columns "
                        f"{EXPECTED_HEADER}")
    try:
        pf = pq.ParquetFile(p)
        names = list(pf.schema_arrow.names)
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(p), f"not a readable Parquet file ({e}); expected Parquet with "
                        f"columns {EXPECTED_HEADER}") from None
    canon = [canonical_column(n) for n in names]
    missing = [c for c in (USER_ID, FILM_ID) if c not in canon]
    check_unique_names(p, names, [c or f"_{i}" for i, c in enumerate(canon)], line=None)
    if missing:
        raise DataError(str(p), f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)}; expected columns {EXPECTED_HEADER}; found "
                        f"columns {quoted(names)}")
    pick = {c: n for n, c in zip(names, canon, strict=True) if c is not None}
    try:
        table = pf.read(columns=list(pick.values()))
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(p), f"could not read the Parquet file: {e}") from None
    columns = {c: table.column(n) for c, n in pick.items()}
    return build(p, columns, RowLocator(), None)


# --------------------------------------------------------------------------------------------
# Side tables as Parquet (films.parquet, users.parquet, --films/--users FILE.parquet)
# --------------------------------------------------------------------------------------------


def is_parquet(p: Path) -> bool:
    """Whether ``p`` is read as Parquet (by its name: ``.parquet`` or ``.pq``)."""
    return p.suffix.lower() in (".parquet", ".pq")


def parquet_names(p: Path, expected: str) -> list[str]:
    """The column names of a Parquet side table (pandas' index ``""``); ``DataError`` for an
    empty or unreadable file (``expected``: the columns, for the message)."""
    if p.stat().st_size == 0:
        raise DataError(str(p), f"the file is empty; expected Parquet with columns {expected}")
    try:
        names = list(pq.read_schema(p).names)
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(p), f"not a readable Parquet file ({e}); expected Parquet with "
                        f"columns {expected}") from None
    # pandas' index (to_parquet of a filtered frame) is unnamed, as a CSV's index column is
    return ["" if re.fullmatch(r"__index_level_\d+__", n) else n for n in names]


def parquet_text(p: Path, physical: Sequence[str], ids: str) -> pa.Table:
    """A Parquet side table with its columns named ``physical``: the ``ids`` column as stored
    (``convert.string_ids`` reads it), every other one as text, nulls as ``""`` (a CSV's empty
    cell); a column of no text form (a list, a struct) is a ``DataError`` naming it."""
    try:
        table = pq.read_table(p)
    except (pa.ArrowException, OSError) as e:
        raise DataError(str(p), f"could not read the Parquet file: {e}") from None
    columns = []
    for name, given, col in zip(physical, table.column_names, table.columns, strict=True):
        arr = col.combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        if name != ids:
            try:
                arr = pc.fill_null(pc.cast(arr, pa.string()), "")
            except (pa.ArrowException, ValueError) as e:
                raise DataError(str(p), f"column {given!r} has type {arr.type}, which has no "
                                f"text form ({e}); expected text or numbers") from None
        columns.append(arr)
    return pa.Table.from_arrays(columns, names=list(physical))


# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


def read_films(path: PathLike) -> Catalog:
    """A film catalog CSV (or Parquet, ``.parquet``): header ``film_id,title,year,genres``
    (``movieId`` accepted).

    Only ``film_id`` is required. ``year`` is an integer (empty = 0 = unknown); without a
    ``year`` column the year is parsed from a trailing ``(YYYY)`` in the title. ``genres`` is
    ``|``-separated (``(no genres listed)`` = none). A film id listed twice is an error.
    """
    p = existing_file(path)
    return read_catalog_csv(p, strict=True)  # a Parquet file by its name


def unread_catalog_columns(path: PathLike) -> tuple[list[str], list[str]]:
    """The header names of a catalog CSV that name no catalog column (their values are never
    read), and the catalog columns (``title``, ``year``, ``genres``) it lacks: a ``name`` or
    ``movie_title`` column gave every film an empty title without a word. Both empty for a
    file whose header cannot be read (``read_films`` says why)."""
    try:
        names = (parquet_names(Path(path), CATALOG_HEADER) if is_parquet(Path(path)) else
                 sniff_header(Path(path), CATALOG_HEADER, alone=COLUMN_ALIASES[FILM_ID])[1])
    except (DataError, OSError):
        return [], []
    canon = [FILM_ID if canonical_column(n) == FILM_ID else n.strip().lower() for n in names]
    unread = [n for n, c in zip(names, canon, strict=True) if c not in CATALOG_COLUMNS]
    return unread, [c for c in (TITLE, YEAR, GENRES) if c not in canon]


def read_catalog_csv(p: Path, *, strict: bool) -> Catalog:
    """``film_id,title,year,genres`` CSV (or MovieLens ``movieId,title,genres``), or Parquet of
    those columns (``is_parquet``). A film listed twice is an error when ``strict``, else its
    first row is kept."""
    table, loc, ids, wanted = _catalog_table(p)
    n = len(ids)
    parquet = isinstance(loc, RowLocator)
    if n == 0:
        raise DataError(str(p), "no films: expected at least one " + (
            "row" if parquet else "data line after the header"), line=None if parquet else 2)
    titles = (table.column(TITLE).combine_chunks() if TITLE in wanted
              else pa.array([""] * n, pa.string()))
    if YEAR in wanted:
        # a whole number written as a float ("1995.0": pandas writes a year column holding a
        # missing value so) is that year; "1995.5" is refused
        year_col = pc.replace_substring_regex(
            pc.utf8_trim_whitespace(table.column(YEAR).combine_chunks()), r"^(\d{1,4})\.0+$",
            r"\1")
        ok = pc.match_substring_regex(year_col, r"^(\d{1,4})?$")
        if not pc.all(ok).as_py():
            row = int(np.flatnonzero(~ok.to_numpy(zero_copy_only=False))[0])
            raise problem(p, loc, row, f"year {value_of(year_col, row)!r} is not a whole "
                          "number; expected a year such as 1995 (empty = unknown)")
        year = years(pc.if_else(pc.equal(year_col, an.scalar("", year_col.type)),
                                an.scalar(None, pa.string()), year_col))
    else:
        year = years(year_from(titles, YEAR_IN_TITLE))
    genres = (clean_genres(table.column(GENRES).combine_chunks()) if GENRES in wanted
              else np.full(n, "", dtype=str))
    cat = Catalog(np_str(ids), np_str(titles), year, genres)
    if strict:
        check_unique_ids(p, ids, FILM_ID, loc)
        return cat
    return dedupe_catalog(cat)


def _catalog_table(p: Path) -> tuple[pa.Table, CsvLocator | RowLocator, pa.Array, list[str]]:
    """(the catalog ``p``'s columns read as text, its locator, its film ids, the columns read)."""
    parquet = is_parquet(p)
    delimiter, names = (("", parquet_names(p, CATALOG_HEADER)) if parquet else
                        sniff_header(p, CATALOG_HEADER, alone=COLUMN_ALIASES[FILM_ID]))
    header = None if parquet else 1
    canon = [n.strip().lower() for n in names]
    canon = [FILM_ID if canonical_column(n) == FILM_ID else n for n in canon]
    if FILM_ID not in canon:
        raise DataError(str(p), "missing required column film_id; expected "
                        f"{'columns' if parquet else 'a header'} '{CATALOG_HEADER}'; found "
                        f"columns {quoted(names)}", line=header)
    physical = [c if c in CATALOG_COLUMNS else f"_column{i}" for i, c in enumerate(canon)]
    check_unique_names(p, names, physical, line=header)
    wanted = [c for c in CATALOG_COLUMNS if c in physical]
    loc: CsvLocator | RowLocator
    if parquet:
        table, loc = parquet_text(p, physical, FILM_ID).select(wanted), RowLocator()
    else:
        table = read_delimited(Delimited(p, delimiter, physical, header=True),
                               {c: pa.string() for c in wanted})
        loc = CsvLocator(p, True, delimiter=delimiter)
    return table, loc, string_ids(p, table.column(FILM_ID), FILM_ID, loc), wanted


#: a title's line break or other control character (a quoted CSV cell spanning lines)
TITLE_BREAK = r"[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]"


def title_breaks(p: Path) -> tuple[int, list[tuple[int | None, str, str]]]:
    """(how many titles of the catalog ``p`` hold a line break or another control character,
    the first three as (their line, or None in Parquet; film id; title))."""
    table, loc, ids, wanted = _catalog_table(p)
    if TITLE not in wanted:
        return 0, []
    titles = table.column(TITLE).combine_chunks()
    hit = pc.fill_null(pc.match_substring_regex(titles, TITLE_BREAK), False)
    rows = np.flatnonzero(np.asarray(hit.to_numpy(zero_copy_only=False), bool))
    return len(rows), [(loc.where(int(r))[0], ids[int(r)].as_py(), titles[int(r)].as_py())
                       for r in rows[:3]]


# --------------------------------------------------------------------------------------------
# User attributes
# --------------------------------------------------------------------------------------------


def read_users(path: PathLike) -> UserTable:
    """A user-attribute CSV (or Parquet, ``.parquet``): header ``user_id,<attribute columns>``
    (``userId`` accepted).

    Every attribute is kept as a string column (names lower-cased). ``age_band`` is derived
    from an ``age`` column and ``region`` from a ``zip`` column when they are absent
    (see :func:`zip_region`). A user id listed twice is an error.
    """
    p = existing_file(path)
    parquet = is_parquet(p)
    delimiter, names = (("", parquet_names(p, "user_id,<attributes>")) if parquet else
                        sniff_header(p, "user_id,<attributes>", alone=(USER_ID, "userid")))
    header = None if parquet else 1
    canon = [n.strip().lower().replace(" ", "_") for n in names]
    if "userid" in canon and USER_ID not in canon:
        canon[canon.index("userid")] = USER_ID
    if USER_ID not in canon:
        raise DataError(str(p), f"missing required column user_id; expected "
                        f"{'columns' if parquet else 'a header'} 'user_id,<attributes>'; "
                        f"found columns {quoted(names)}", line=header)
    # an unnamed column (pandas' index, a spreadsheet's trailing comma) is not read: it was
    # an attribute "" (the index: a row number per user), and two of them were refused
    physical = [c or f"_column{i}" for i, c in enumerate(canon)]
    check_unique_names(p, names, physical, line=header)
    _check_file_names(p, names, canon, header)
    loc: CsvLocator | RowLocator
    if parquet:
        table, loc = parquet_text(p, physical, USER_ID), RowLocator()
    else:
        table = read_delimited(Delimited(p, delimiter, physical, header=True),
                               {c: pa.string() for c in physical})
        loc = CsvLocator(p, True, delimiter=delimiter)
    ids = string_ids(p, table.column(USER_ID).combine_chunks(), USER_ID, loc)
    if len(ids) == 0:
        raise DataError(str(p), "no users: expected at least one " + (
            "row" if parquet else "data line after the header"), line=None if parquet else 2)
    check_unique_ids(p, ids, USER_ID, loc)
    attrs = {c: np_str(table.column(c)) for c in canon if c and c != USER_ID}
    return _derive_user_attributes(np_str(ids), attrs)


#: the longest name of a file (bytes) most file systems take: a model keeps each attribute as
#: ``user_attr_<name>.npy`` (``columns.attribute_array``)
_FILE_NAME_BYTES = 255


def _check_file_names(p: Path, names: list[str], canon: list[str], line: int | None) -> None:
    """Refuse an attribute whose name cannot name the model's file for it.

    A file name past 255 bytes is refused, and so are two columns whose files are one file on
    a file system that ignores case or Unicode normalisation (macOS': ``café`` typed twice,
    composed and decomposed): a model saved with both read one's values as the other's there.
    A ``/`` or ``\\`` (``M/F``) is no reason: the file spells it (``attribute_array``).
    """
    seen: dict[str, str] = {}
    for orig, c in zip(names, canon, strict=True):
        if not c or c == USER_ID:
            continue
        file = f"{attribute_array(c)}.npy"
        if len(file.encode()) > _FILE_NAME_BYTES:
            raise DataError(str(p), f"the column {orig!r} is too long: a model keeps each "
                            f"attribute in a file named after it, of at most "
                            f"{_FILE_NAME_BYTES} bytes of UTF-8 ({file!r}); rename the column",
                            line=line)
        key = unicodedata.normalize("NFC", file).casefold()
        if key in seen:
            raise DataError(str(p), f"the columns {seen[key]!r} and {orig!r} differ only in "
                            "case or Unicode normalisation: a model keeps each attribute in a "
                            "file named after it, and a file system that ignores both (macOS') "
                            "takes theirs for one file; rename one of them", line=line)
        seen[key] = orig


def _derive_user_attributes(ids: NDArray[np.str_],
                            attrs: dict[str, NDArray[np.str_]]) -> UserTable:
    """The table, with ``age_band`` (from ``age``) and ``region`` (from ``zip``) added when
    missing, and named as derived."""
    out, derived = dict(attrs), {}
    if AGE_BAND not in out and AGE in out:
        out[AGE_BAND], derived[AGE_BAND] = age_bands(out[AGE]), AGE
    zip_col = next((c for c in ZIP_COLUMNS if c in out), None)
    if REGION not in out and zip_col is not None:
        out[REGION], derived[REGION] = zip_region(out[zip_col]), zip_col
    return UserTable(ids, out, derived)
