"""The catalog and user files ``--films`` and ``--users`` name: a public dataset's own by its name.

A public dataset's own catalog or users file given by itself is read by the reader its folder
is read with (``public``), known by its name as ``--data`` knows a log's: MovieLens 100K's
``u.item`` (with the ``u.genre`` beside it, when there is one) and ``u.user``, ``|``-separated
without a header, and MovieLens 1M's ``movies.dat`` and ``users.dat`` (plain or gzipped),
``::``-separated. Any other file is the project's CSV/TSV or Parquet with a header
(``project``). ``--data ml-100k/u1.base --films ml-100k/u.item`` refused u.item as a CSV of
one column and asked "is the separator '|'?", which no option sets, where the folder's load
read it.
"""

from __future__ import annotations

from pathlib import Path

from recommender.errors import DataError
from recommender.io.dataset import Catalog, UserTable
from recommender.io.delimited import PathLike, existing_file
from recommender.io.layouts import plain_name
from recommender.io.project import read_films, read_users
from recommender.io.public import (
    read_ml100k_items,
    read_ml100k_users,
    read_movies_dat,
    read_users_dat,
)

#: the public users files read by their own names (lower case, without ``.gz``)
PUBLIC_USERS = ("u.user", "users.dat")


def public_users_named(path: PathLike | None) -> bool:
    """Whether ``path`` names a public dataset's own users file (``u.user``, ``users.dat``),
    whose columns are fixed: one is left out by giving a CSV without it instead."""
    return path is not None and plain_name(Path(path).name) in PUBLIC_USERS


def read_film_file(path: PathLike) -> Catalog:
    """The catalog ``--films`` names: ``u.item`` and ``movies.dat`` as their folders' loads
    read them (``public``), any other file as the project's (``project.read_films``)."""
    p = _not_gzipped_100k(existing_file(path))
    name = plain_name(p.name)
    if name == "u.item":
        return read_ml100k_items(p, p.parent / "u.genre")
    if name == "movies.dat":
        return read_movies_dat(p)
    return read_films(p)


def read_user_file(path: PathLike) -> UserTable:
    """The user table ``--users`` names: ``u.user`` and ``users.dat`` as their folders' loads
    read them (``public``), any other file as the project's (``project.read_users``)."""
    p = _not_gzipped_100k(existing_file(path))
    name = plain_name(p.name)
    if name == "u.user":
        return read_ml100k_users(p)
    if name == "users.dat":
        table = read_users_dat(p)
        if table is None:  # a layout of neither dataset: said, and no attribute to add
            raise DataError(str(p), "expected MovieLens 1M's users.dat "
                            "(id::gender::age::occupation::zip) or MovieTweetings' "
                            "(id::twitter_id); give another users file as a CSV with a header "
                            "'user_id,<attributes>'")
        return table
    return read_users(p)


def _not_gzipped_100k(p: Path) -> Path:
    """``p``; ``DataError`` for a gzipped ``u.item.gz`` or ``u.user.gz``: the MovieLens 100K
    readers read plain text (as ``--data u.data.gz`` is refused)."""
    if plain_name(p.name) in ("u.item", "u.user") and p.name.lower().endswith(".gz"):
        raise DataError(str(p), "a gzip-compressed MovieLens 100K file is not read (gzip is "
                        "read through for CSV and TSV files and '::'-separated .dat files "
                        f"only); decompress it first (`gunzip -k {p.name}`) and give "
                        f"{p.name[:-3]}")
    return p
