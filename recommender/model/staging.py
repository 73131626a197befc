"""A private copy of a model folder from the models root, so that what is checked is what is read.

``artifact.publish`` with a models root checked the source folder's files by path (their links
followed), then loaded them by path: a file swapped for a link to a file outside the root (or
for a FIFO) between the two was read, and its size, a prefix of its SHA-256 or its first bytes
came back in the error, or the read waited on the FIFO for ever with the reload lock held.
Here every regular file of the folder is opened once, the open file is checked (a regular
file, inside the root as the kernel names it) and that same file is hard-linked (or copied)
into a folder only this process writes; the model is then loaded and published from there.
A copy (across file systems) is flushed, as the version links it; one a killed process left
is removed by the next publish on that host.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from recommender.errors import ArtifactError

META = "meta.json"
PREFIX = ".publish-"  # the private copy, inside the destination's versions/
# ``.publish-<host>-<pid>-...``: a copy whose process is gone (killed mid-publish) is removed
# by the next publish of that host (another host's, on a shared folder, is left to it)
HOST = socket.gethostname().replace("-", "_").replace(os.sep, "_")
OUTSIDE = ("the model named lies outside the models root (RECOMMENDER_MODELS_ROOT) once its "
           "links are followed")


def _opened(fd: int, path: Path) -> Path:
    """The path the kernel gives the open file ``fd`` (``path`` resolved where there is no
    ``/proc``)."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:  # pragma: no cover - not Linux
        return Path(os.path.realpath(path))


def _take(source: Path, target: Path, within: Path) -> None:
    """Hard-link (else copy) the file open at ``source`` to ``target``, once it is known to be a
    regular file inside ``within``; ``ArtifactError`` (naming no path) otherwise."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:  # not copied: loading the copy names what is missing
        return
    except OSError as e:
        raise ArtifactError(f"{source}: unreadable ({e.strerror})") from None
    try:
        if not _opened(fd, source).is_relative_to(within):
            raise ArtifactError(OUTSIDE)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ArtifactError(f"{source}: not a regular file (a FIFO, a device or a socket "
                                "is no model file)")
        try:
            os.link(f"/proc/self/fd/{fd}", target, follow_symlinks=True)
        except OSError:  # another file system, no /proc, or links not allowed: copy
            os.set_blocking(fd, True)
            with open(fd, "rb", closefd=False) as f, open(target, "xb") as out:
                shutil.copyfileobj(f, out)
                out.flush()  # the version hard-links this copy: it is the file served
                os.fsync(out.fileno())
    finally:
        os.close(fd)


def _names(meta: Path, folder: Path) -> list[str]:
    """The files the copied ``meta`` lists (plain names), or, for a folder written before
    checksums, its arrays and JSON files: not every file of the folder (a flat folder may hold
    a training log, copied for nothing across file systems)."""
    try:
        files = json.loads(meta.read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        files = None
    if isinstance(files, dict):
        return [n for n in files if isinstance(n, str) and n not in ("", ".", "..", META)
                and "/" not in n and "\\" not in n]
    return sorted(e.name for e in os.scandir(folder) if e.name != META and not e.is_dir()
                  and e.name.endswith((".npy", ".json")))


def _remove_left(place: Path) -> None:
    """Remove the copies in ``place`` that a process of this host, gone now, left (a publish
    killed while its copy existed: up to a model's size, never removed otherwise)."""
    from recommender.io.atomic import pid_alive

    for left in place.glob(f"{PREFIX}{HOST}-*-*"):
        pid = left.name[len(PREFIX) + len(HOST) + 1:].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)


@contextlib.contextmanager
def staged(folder: Path, within: Path, dest: Path) -> Iterator[Path]:
    """A private copy of the model files of ``folder`` (``_names``), made inside
    ``dest``'s ``versions/`` (the file system the version goes to) and removed afterwards. An
    ``ArtifactError`` raised in the block names ``folder``, not the copy."""
    place = dest / "versions" if dest.is_dir() else dest.parent
    place.mkdir(exist_ok=True)
    _remove_left(place)
    copy = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{HOST}-{os.getpid()}-", dir=place))
    try:
        _take(folder / META, copy / META, within)
        for name in _names(copy / META, folder):
            _take(folder / name, copy / name, within)
        try:
            yield copy
        except ArtifactError as e:
            raise ArtifactError(str(e).replace(str(copy), str(folder))) from None
    finally:
        shutil.rmtree(copy, ignore_errors=True)
