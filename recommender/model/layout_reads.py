"""A model folder's names, and what a reader finds there: its current version, its versions.

``layout`` writes versioned model folders (its docstring draws one); these read them without
the lock: ``resolve`` (the folder holding the files served now), ``stamp`` (a cheap identity
of it), ``versions``, ``holder`` (the model folder a version belongs to) and ``owns`` (whether
a folder may be written as a model folder).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

CURRENT = "current"
VERSIONS = "versions"
LOCK = ".lock"
TMP_PREFIX = ".tmp-"            # a version being written, inside versions/
LINK_PREFIX = f".{CURRENT}.tmp-"  # a link (or an exchanged folder) being swapped, in MODEL
_VERSION_NAME = re.compile(r"(\d{6,})-[A-Za-z0-9._-]*")


def resolve(path: str | os.PathLike[str]) -> Path:
    """The folder that holds the files of the model at ``path`` now: the target of
    ``path/current`` when there is one (read once, so a concurrent swap cannot mix two
    versions), else ``path`` itself (a flat folder, or nothing)."""
    root = Path(path)
    link = root / CURRENT
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        return root
    except OSError:  # not a link: a copied folder, or ``path`` is not a folder
        return link if link.is_dir() else root
    return root / target


def stamp(path: str | os.PathLike[str], meta: str = "meta.json") -> str:
    """A cheap identity of what ``path`` serves now (two system calls): the resolved folder
    and its ``meta`` file's inode and modification time; "" when there is none. It changes
    with every save or switch, also of a flat folder replaced by an older library."""
    return folder_stamp(resolve(path), meta)


def folder_stamp(folder: str | os.PathLike[str], meta: str = "meta.json") -> str:
    """``stamp`` of the folder ``resolve`` gave (a version, or a flat folder): what a model
    loaded from it was, even when ``current`` has moved on since."""
    try:
        st = os.stat(Path(folder) / meta)
    except OSError:
        return ""
    return f"{folder}|{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}:{st.st_size}"


def is_versioned(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` has a ``current`` (link or folder)."""
    return os.path.lexists(Path(path) / CURRENT)


def holder(path: str | os.PathLike[str]) -> Path | None:
    """The model folder ``MODEL`` when ``path`` is its ``MODEL/current`` or one of its
    ``MODEL/versions/<name>``, as written or through links (``/srv/model`` linked to
    ``MODEL/current``), else None: a model folder of its own (with its ``current``) that
    happens to be named so is not a version."""
    written = Path(os.path.abspath(path))
    found = _holder(written)
    if found is None:  # through links: the path they lead to
        real = Path(os.path.realpath(written))
        found = _holder(real) if real != written else None
    return found


def _holder(p: Path) -> Path | None:
    if is_versioned(p):
        return None
    # p.parent / "current" is p itself: the parent is a model folder only with its versions
    if p.name == CURRENT and (p.is_symlink() or (p.parent / VERSIONS).is_dir()):
        return p.parent
    if p.parent.name == VERSIONS and is_versioned(p.parent.parent):
        return p.parent.parent
    return None


def owns(path: Path, marker: str) -> bool:
    """Whether the existing folder ``path`` may be written as a model folder: it is empty,
    has a ``current`` or the flat layout's ``marker`` file, or holds only what an interrupted
    first save leaves (``versions/``, the lock, a temporary link)."""
    if is_versioned(path) or (path / marker).is_file():
        return True
    return all(p.name in (VERSIONS, LOCK) or p.name.startswith(LINK_PREFIX)
               for p in path.iterdir())


def versions(root: Path) -> list[Path]:
    """The complete versions in ``root/versions``, oldest first."""
    folder = root / VERSIONS
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir()
             if (m := _VERSION_NAME.fullmatch(p.name)) and p.is_dir() and not p.is_symlink()]
    return [p for _, p in sorted(found)]
