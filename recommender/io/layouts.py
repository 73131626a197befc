"""Dataset folder layouts: which log a folder holds, and its companion files, plain or gzipped.

A public dataset's files may come gzip-compressed as downloaded mirrors keep them
(``ratings.dat.gz`` beside ``movies.dat.gz`` and ``users.dat.gz``; MovieLens latest's
``ratings.csv.gz`` and ``movies.csv.gz``): each name of a layout is also looked for with
``.gz`` after it where its reader reads gzip through (``GZIPPED``), and a folder holding a
file both plain and gzipped is refused (which one to read is not clear).
"""

from __future__ import annotations

import re
from pathlib import Path

from recommender.errors import DataError

#: Folder layouts, in detection order: (layout name, the files that identify it).
FOLDER_LAYOUTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("project", ("interactions.csv", "interactions.parquet")),
    ("MovieLens 100K", ("u.data",)),
    ("MovieLens 1M/10M or MovieTweetings", ("ratings.dat", "ratings.dat.gz")),
    ("MovieLens latest", ("ratings.csv", "ratings.csv.gz")),
    ("FilmTrust", ("ratings.txt",)),
)

#: the public files whose readers read gzip through (the ``::`` ones and the CSV ones)
GZIPPED = frozenset({"ratings.dat", "movies.dat", "users.dat", "ratings.csv", "movies.csv"})

ML100K_FILE = re.compile(r"u[0-9ab]?\.(data|base|test)")


def detect_layout(folder: Path) -> tuple[str, Path] | None:
    """The layout of ``folder`` by the log it holds; ``DataError`` when it holds two logs
    (``interactions.csv`` and ``interactions.parquet``, ``ratings.dat`` and
    ``ratings.dat.gz``, or those of two layouts): the first was read and the other left
    unread without a word."""
    logs = [(layout, f) for layout, files in FOLDER_LAYOUTS for f in files
            if (folder / f).is_file()]
    if len(logs) > 1:
        raise DataError(str(folder), f"holds {len(logs)} interaction logs "
                        f"({', '.join(f for _, f in logs)}); which one to read is not clear: "
                        "keep one in the folder, or give the file itself as --data (with "
                        "--films/--users for its catalog and user table)")
    return (logs[0][0], folder) if logs else None


def find_layout(folder: Path) -> tuple[str, Path] | None:
    """The folder's layout, or that of the one folder it holds (as unzipped archives do); a
    model folder beside it (``train --out data/model``) is not a second folder: with it, the
    same ``train`` again found no layout."""
    found = detect_layout(folder)
    if found is None:
        subdirs = [d for d in sorted(folder.iterdir()) if d.is_dir()
                   and not d.name.startswith((".", "__")) and not (d / "meta.json").exists()]
        if len(subdirs) == 1:
            found = detect_layout(subdirs[0])
    return found


def companion(folder: Path, name: str) -> Path | None:
    """The file ``name`` of ``folder`` (``movies.dat``), or its gzipped form (``movies.dat.gz``)
    where its reader reads gzip (``GZIPPED``); None when neither is there. ``DataError`` for a
    folder holding both: which one to read is not clear."""
    names = [name, f"{name}.gz"] if name in GZIPPED else [name]
    present = [folder / n for n in names if (folder / n).is_file()]
    if len(present) > 1:
        raise DataError(str(folder), f"holds both {' and '.join(q.name for q in present)}; "
                        "which one to read is not clear: keep one in the folder")
    return present[0] if present else None


def layout_log(folder: Path, layout: str) -> Path:
    """The log file of ``folder``, whose layout is ``layout`` (``detect_layout``)."""
    files = dict(FOLDER_LAYOUTS)[layout]
    return next(folder / f for f in files if (folder / f).is_file())


def plain_name(name: str) -> str:
    """A file's name (lower case) without its ``.gz``: the name its format is known by."""
    return name.lower().removesuffix(".gz")


def headerless(name: str) -> bool:
    """Whether a file of this name is read by a public reader without a header (``.dat``,
    MovieLens 100K's ``u.data``, FilmTrust's ``ratings.txt``), gzipped or not."""
    inner = plain_name(name)
    return inner.endswith(".dat") or bool(ML100K_FILE.fullmatch(inner)) or inner == "ratings.txt"
