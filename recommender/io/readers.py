"""Readers: interaction logs, film catalogs and user attributes -> :class:`Interactions`.

``load(path)`` takes one interactions file or a dataset folder, detects its format and
returns merged :class:`~recommender.io.dataset.Interactions` (duplicated (user, film) pairs are
merged by :meth:`Interactions.from_columns`), with a :class:`Catalog` and a
:class:`UserTable` wherever the source has them.

Supported inputs (see ``datasets/README.md`` for examples):

* **CSV / TSV with a header** ``user_id,film_id[,rating][,weight][,timestamp]`` (MovieLens
  ``userId,movieId`` accepted; delimiter sniffed from the header: comma, tab or semicolon),
  plain or gzip-compressed (a name ending ``.gz``: ``log.csv.gz``, read through as it streams).
* **Parquet** with the same column names.
* **``.dat`` files** with ``::`` separators and no header: ``user::film[::rating[::timestamp]]``,
  plain or gzip-compressed (``ratings.dat.gz``; the other headerless formats gzipped,
  ``u.data.gz`` and ``ratings.txt.gz``, are refused as such).
* **Folders**: the project's own format (``interactions.csv`` + optional ``films.csv`` and
  ``users.csv``), MovieLens 100K (``u.data``), MovieLens 1M/10M and MovieTweetings
  (``ratings.dat``), MovieLens latest (``ratings.csv`` + ``movies.csv``; these two layouts'
  files each plain or gzipped, ``ratings.dat.gz``: ``layouts``) and FilmTrust
  (``ratings.txt``); and a folder of Parquet part files, flat or Hive-partitioned, as Spark
  writes a table (``part_files``).

Ids are read as strings and kept byte for byte (``"0104257"`` stays ``"0104257"``). Every
problem with the input raises :class:`~recommender.errors.DataError` naming the file, the
1-based line (the header is line 1) and what was expected.

Everything on the happy path is vectorised (pyarrow multithreaded CSV/Parquet readers, pyarrow
compute and numpy); the slower diagnostics run only once something is known to be wrong.

This module detects the format and dispatches; the formats live beside it: ``project`` (files
with a header: interactions CSV/Parquet, ``films.csv``, ``users.csv``), ``public`` (the public
datasets' own files), ``delimited`` (pyarrow reading and the line-precise messages),
``convert`` (checked ids, numbers and timestamps) and ``extra_tables`` (``--films`` and
``--users`` merged with the dataset's own).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from recommender.errors import DataError
from recommender.io.blank_ratings import blank_ratings as read_blank_ratings
from recommender.io.columns import FILM_ID, USER_ID
from recommender.io.dataset import Interactions
from recommender.io.delimited import PathLike, existing_file
from recommender.io.extra_tables import merge_catalogs, merge_user_tables
from recommender.io.first_line import header_fields
from recommender.io.id_list_columns import ID_LIST_HEADERS
from recommender.io.id_lists import read_id_list, read_id_list_as_known, read_id_list_index
from recommender.io.layouts import (
    FOLDER_LAYOUTS,
    ML100K_FILE,
    companion,
    find_layout,
    headerless,
    layout_log,
)
from recommender.io.part_files import find_parts, load_parts, parts_columns
from recommender.io.project import (
    canonical_column,
    header_names,
    load_csv,
    load_parquet,
    read_catalog_csv,
    read_films,
    read_users,
    unread_catalog_columns,
)
from recommender.io.public import (
    ML1M_AGE_BANDS,
    ML1M_OCCUPATIONS,
    ZIP_REGIONS,
    load_dat_ratings,
    load_filmtrust,
    load_ml100k_ratings,
    read_ml100k_items,
    read_ml100k_users,
    read_movies_dat,
    read_users_dat,
    zip_region,
)
from recommender.io.side_files import read_film_file, read_user_file

__all__ = [
    "FOLDER_LAYOUTS",
    "ID_LIST_HEADERS",
    "ML1M_AGE_BANDS",
    "ML1M_OCCUPATIONS",
    "ZIP_REGIONS",
    "canonical_column",
    "folder_metadata",
    "public_users_file",
    "load",
    "read_films",
    "read_id_list",
    "read_id_list_as_known",
    "read_id_list_index",
    "read_users",
    "zip_region",
]

_PARQUET_SUFFIXES = (".parquet", ".pq")

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def load(
    path: PathLike,
    *,
    films: PathLike | None = None,
    users: PathLike | None = None,
    blank_ratings: str = "refuse",
    rating_floor: float | None = None,
    command: str = "train",
) -> Interactions:
    """Read one interactions file or a dataset folder into merged ``Interactions``.

    Args:
        path: a CSV/TSV (with header), Parquet or ``::``-separated ``.dat`` file, or a folder in
            one of the layouts of ``FOLDER_LAYOUTS`` (a folder holding exactly one such folder,
            as unzipped archives do, is accepted too).
        films: optional extra catalog CSV (or ``.parquet``), header
            ``film_id,title,year,genres``, or MovieLens' ``u.item`` or ``movies.dat`` by that
            name (``side_files``); its rows take precedence over the catalog found in
            the folder, in the columns it has.
        users: optional extra user-attribute CSV (or ``.parquet``), header
            ``user_id,<attribute columns>``, or MovieLens' ``u.user`` or ``users.dat``; its
            values take precedence over the folder's user attributes.
        blank_ratings: what a rating column's blank cells are (``io.blank_ratings``):
            ``"refuse"`` (a ``DataError`` naming the first lines), ``"drop"`` (those rows
            left out) or ``"implicit"`` (kept as views; a pair no event rates is given the
            median of the log's ratings, at least ``rating_floor``).
        rating_floor: with ``"implicit"``, the least rating an unrated view is given (the
            model's ``min_rating``).
        command: the CLI command reading it, named in a pipe's refusal (``zcat log.csv.gz |
            recommender COMMAND --data - ...``).

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
    if not p.exists() and str(path) == "-":  # the CLI copies it to a file first (io.stdin)
        raise DataError("-", "no such file or folder; standard input (-) is read by the "
                        "CLI's `train`, `evaluate` and `tune` (--data -) and `events import "
                        "-`, which copy it to a file first (io.stdin.spooled): give a file")
    if not p.exists():
        raise DataError(str(p), "no such file or folder")
    with read_blank_ratings(blank_ratings, rating_floor):  # a pipe: told --data - reads one
        inter = (_load_folder(p) if p.is_dir()
                 else _load_file(existing_file(p, "--data -", command)))
    inter.blank_ratings = blank_ratings  # meta.json records it (and the rows it applied to)
    if films is not None:
        extra_catalog = read_film_file(films)  # u.item, movies.dat: as their folders
        inter.catalog = (extra_catalog if inter.catalog is None else merge_catalogs(
            extra_catalog, inter.catalog, lacks=unread_catalog_columns(films)[1]))
    if users is not None:
        extra_users = read_user_file(users)
        inter.user_table = (extra_users if inter.user_table is None
                            else merge_user_tables(extra_users, inter.user_table))
    return inter


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


def _load_file(p: Path) -> Interactions:
    name = p.name.lower()
    _refuse_compressed_public(p, name)
    if p.suffix.lower() in _PARQUET_SUFFIXES:
        return load_parquet(p)
    if name.removesuffix(".gz").endswith(".dat"):  # plain or gzipped: read whole either way
        return load_dat_ratings(p)
    if ML100K_FILE.fullmatch(name):
        return load_ml100k_ratings(p)
    if name == "ratings.txt":
        return _load_ratings_txt(p)
    return load_csv(p)


#: what a ``ratings.txt`` is read as, said where reading it so fails on its first line
_FILMTRUST_NAME = ("a file named ratings.txt is read as FilmTrust's ratings (user film rating, "
                   "space-separated, no header); a log of another layout is read under "
                   "another name: log.csv or log.tsv, comma-, tab- or semicolon-separated "
                   "with a header")


def _load_ratings_txt(p: Path) -> Interactions:
    """A ``ratings.txt``: a delimited log with a header where its first line is one
    (``_headed_log``: a tab-separated export of that name trained as ``log.txt`` did, and
    was refused as a FilmTrust file of one field per line), else FilmTrust's; a refusal of
    its first line says what the name is read as."""
    if _headed_log(p):
        return load_csv(p)
    try:
        return load_filmtrust(p)
    except DataError as e:
        if e.line != 1:
            raise
        raise DataError(e.path, f"{e.reason}; {_FILMTRUST_NAME}", e.line) from None


def _headed_log(p: Path) -> bool:
    """Whether the first line of ``p`` is a header the CSV reader reads (comma, tab or
    semicolon between names) naming a user and a film column (``canonical_column``):
    never a line of FilmTrust's, whose fields are numbers between spaces."""
    with p.open("rb") as f:
        line = f.readline(1 << 16).decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")
    for delimiter in (",", "\t", ";"):
        if delimiter in line:
            names = {canonical_column(n) for n in header_fields(line, delimiter)}
            if {USER_ID, FILM_ID} <= names:
                return True
    return False


def _refuse_compressed_public(p: Path, name: str) -> None:
    """Refuse a gzip-compressed file of MovieLens 100K (``u.data.gz``) or FilmTrust
    (``ratings.txt.gz``): it went to the CSV reader, which refused it with a separator
    message. Their readers read plain text; the ``::`` reader reads ``ratings.dat.gz``
    (it holds the text whole anyway, to rewrite its separator)."""
    inner = name.removesuffix(".gz")
    if inner == name:
        return
    kind = ("MovieLens 100K" if ML100K_FILE.fullmatch(inner) else "FilmTrust"
            if inner == "ratings.txt" else "")
    if kind:
        raise DataError(str(p), f"a gzip-compressed {kind} file is not read (gzip is read "
                        "through for CSV and TSV logs and '::'-separated .dat files only: "
                        "log.csv.gz, ratings.dat.gz); decompress it first "
                        f"(`gunzip -k {p.name}`) and give {p.name[:-3]}")


def folder_metadata(path: PathLike) -> tuple[Path | None, Path | None]:
    """The users and films tables (``users.csv`` or ``users.parquet``...) that ``load`` reads
    from a project folder at ``path`` (None for each it does not: a file, another layout, a
    file absent)."""
    p = Path(path)
    found = find_layout(p) if p.is_dir() else None
    if found is None or found[0] != "project":
        return None, None
    films, users = side_tables(found[1])
    return users, films


def public_users_file(path: PathLike) -> Path | None:
    """The users file a public dataset folder at ``path`` is read with (MovieLens 100K's
    ``u.user``, 1M's ``users.dat``): the dataset's own, whose columns ``--users`` adds to but
    cannot take away; None for a project folder, a file, or a folder without one."""
    p = Path(path)
    found = find_layout(p) if p.is_dir() else None
    name = None if found is None else {"MovieLens 100K": "u.user",
                                       "MovieLens 1M/10M or MovieTweetings": "users.dat"
                                       }.get(found[0])
    return None if found is None or name is None else companion(found[1], name)


def unread_log_columns(path: PathLike) -> list[str]:
    """The columns of the interactions file ``load`` reads at ``path`` (``log_columns``) that
    it never reads (``COLUMN_ALIASES`` names none of them)."""
    return [n for n in log_columns(path) if canonical_column(n) is None]


def log_columns(path: PathLike) -> list[str]:
    """The header names of the interactions file ``load`` reads at ``path`` (a CSV/TSV/Parquet
    file, or a project folder's ``interactions.csv``/``.parquet``); none for the public
    formats, whose columns are fixed."""
    p = Path(path)
    if p.is_dir():
        found = find_layout(p)
        if found is None:  # a folder of Parquet parts: theirs and the partition keys
            return parts_columns(p)
        if found[0] != "project":
            return []
        p = found[1] / "interactions.csv"
        p = p if p.is_file() else p.with_suffix(".parquet")
    if not p.is_file() or (headerless(p.name) and not (
            p.name.lower() == "ratings.txt" and _headed_log(p))):
        return []
    return header_names(p, parquet=p.suffix.lower() in _PARQUET_SUFFIXES)


def _load_folder(folder: Path) -> Interactions:
    found = find_layout(folder)
    if found is None and (parts := find_parts(folder)) is not None:
        return load_parts(parts)
    if found is None:
        looked = "; ".join(f"{' or '.join(files)} ({layout})" for layout, files in FOLDER_LAYOUTS)
        present = sorted(x.name for x in folder.iterdir())
        shown = ", ".join(present[:15]) + (" ..." if len(present) > 15 else "") or "nothing"
        raise DataError(str(folder), f"no recognised dataset layout; looked for {looked} "
                        f"or Parquet parts (part-*.parquet, key=value/part-*.parquet); "
                        f"found: {shown}")
    layout, d = found
    if layout == "project":
        src = d / "interactions.csv"
        inter = load_csv(src) if src.is_file() else load_parquet(d / "interactions.parquet")
        films, users = side_tables(d)
        if films is not None:
            inter.catalog = read_films(films)
        if users is not None:
            inter.user_table = read_users(users)
        _warn_unread_tables(d)
    elif layout == "MovieLens 100K":
        inter = load_ml100k_ratings(d / "u.data")
        if (d / "u.item").is_file():
            inter.catalog = read_ml100k_items(d / "u.item", d / "u.genre")
        if (d / "u.user").is_file():
            inter.user_table = read_ml100k_users(d / "u.user")
    elif layout.startswith("MovieLens 1M"):  # each file plain or gzipped (``companion``)
        movies, users = companion(d, "movies.dat"), companion(d, "users.dat")
        inter = load_dat_ratings(layout_log(d, layout))
        if movies is not None:
            inter.catalog = read_movies_dat(movies)
        if users is not None:
            inter.user_table = read_users_dat(users)
    elif layout == "MovieLens latest":
        movies = companion(d, "movies.csv")
        inter = load_csv(layout_log(d, layout))
        if movies is not None:
            inter.catalog = read_catalog_csv(movies, strict=False)
    else:
        inter = _load_ratings_txt(d / "ratings.txt")
    inter.source = str(d)
    return inter


#: a project folder's side tables, as read: CSV or Parquet (one of the two)
SIDE_TABLES = {kind: (f"{kind}.csv", f"{kind}.parquet") for kind in ("films", "users")}


def side_tables(d: Path) -> tuple[Path | None, Path | None]:
    """The films and users tables of the project folder ``d`` (None for one it lacks);
    ``DataError`` for a folder holding both ``users.csv`` and ``users.parquet`` (or films):
    which one to read is not clear, as for two logs."""
    found: list[Path | None] = []
    for kind, names in SIDE_TABLES.items():
        present = [d / n for n in names if (d / n).is_file()]
        if len(present) > 1:
            raise DataError(str(d), f"holds both {' and '.join(q.name for q in present)}; "
                            f"which {kind} table to read is not clear: keep one in the folder")
        found.append(present[0] if present else None)
    return found[0], found[1]


_SIDE_TABLE = re.compile(r"(users|films|movies)\.(csv|tsv|txt|parquet|pq|jsonl?|xlsx?)(\.gz)?",
                         re.IGNORECASE)


def _warn_unread_tables(d: Path) -> None:
    """Warn of a project folder's users or films table under another name than ``SIDE_TABLES``
    (``users.pq``, ``Films.csv``, ``films.tsv``): the model trained without its attributes or
    titles, without a word), or of a folder named as one (``users.parquet/`` of part files, as
    Spark writes it: ``side_tables`` reads files only)."""
    read = {n for names in SIDE_TABLES.values() for n in names}
    for q in sorted(d.iterdir()):
        if _SIDE_TABLE.fullmatch(q.name) and q.is_dir():
            kind = "users" if q.name.lower().startswith("users") else "films"
            warnings.warn(f"{q} is a folder, not read: a project folder's {kind} table is one "
                          f"file, {kind}.csv or {kind}.parquet; write it as one file (or give "
                          f"one as --{kind})", stacklevel=3)
        elif _SIDE_TABLE.fullmatch(q.name) and q.name not in read:
            kind = "users" if q.name.lower().startswith("users") else "films"
            text = q.name.lower().endswith((".csv", ".tsv", ".txt"))  # sniffed: renamed, read
            parquet = q.name.lower().endswith((".parquet", ".pq"))
            warnings.warn(f"{q} is not read: a project folder's {kind} table is {kind}.csv, "
                          f"a CSV (or TSV) with a header, or {kind}.parquet; "
                          + (f"rename it {kind}.csv (or give it as --{kind})" if text else
                             f"rename it {kind}.parquet (or give it as --{kind})" if parquet
                             else f"convert it to {kind}.csv (or give the CSV as --{kind})"),
                          stacklevel=3)
