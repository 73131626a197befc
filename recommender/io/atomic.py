"""Atomic writes: every file and folder the engine writes appears whole or not at all.

Both helpers write beside the destination (same file system, so the final step is one
``rename``) and clean up after any exception, ``KeyboardInterrupt`` included:

- :func:`atomic_file` yields a temporary path; on success it replaces ``dest``.
- :func:`atomic_dir` yields a temporary folder; on success it replaces ``dest``. An existing
  ``dest`` is moved aside first and put back if the final rename fails.

What is being written stays private (``0o600`` / ``0o700``); what appears gets the permissions
any other program's new file or folder would (``0o666`` / ``0o777`` less the process umask), so
a teammate or a service account reads a model or an export exactly as the umask allows.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from recommender.errors import InvalidParameterError


def umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the classic read-by-setting, restored at once
    os.umask(mask)
    return mask


def _model_folder(folder: Path) -> Path | None:
    """The model folder that ``folder`` (links followed) is or lies in: the nearest one that
    holds a model's own files (``_holds_a_model``), or a ``current`` link to such a folder
    beside ``versions/``; None otherwise."""
    try:
        real = folder.resolve()
    except OSError:
        return None
    for candidate in (real, *real.parents):
        if _holds_a_model(candidate) or (
                (candidate / "current").is_symlink() and (candidate / "versions").is_dir()
                and _holds_a_model(candidate / "current")):
            return candidate
    return None


def _holds_a_model(folder: Path) -> bool:
    """A model's own files: ``user_factors.npy`` beside a ``meta.json`` that names a model
    format (a deploy layout's ``current`` and ``versions/`` alone is not one)."""
    if not (folder / "user_factors.npy").is_file():
        return False
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "format_version" in meta and "model_version" in meta


def not_in_a_model(dest: str | os.PathLike[str]) -> None:
    """Refuse (``InvalidParameterError``) an output inside a model folder: a file written
    there may replace one of the model's (an export named ``MODEL/current/seen.npy`` left a
    model that no longer loads) or the ``meta.json`` link."""
    path = Path(dest)
    folder = _model_folder(path.parent)
    if folder is not None:
        raise InvalidParameterError(f"the output {path} is inside the model folder {folder}; "
                                    "a file written there could alter the model: write the "
                                    "output elsewhere")


def make_folder(folder: Path, named: str | os.PathLike[str] | None = None) -> None:
    """Create ``folder`` and those above it; a file where a folder should be is ``OSError``
    (ENOTDIR) naming that file and ``named`` (by default ``folder``): ``mkdir`` said "File
    exists" of an output that did not exist (``--out report/x.csv``, ``report`` a file)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        above = folder
        while not above.exists() and above != above.parent:
            above = above.parent
        if above.is_dir():
            raise
        raise OSError(errno.ENOTDIR, f"{above} is a file, not a folder",
                      str(folder if named is None else named)) from None


def private_file(path: str | os.PathLike[str]) -> None:
    """Create the file at ``path`` (and its folder) readable by its owner only, when it does
    not exist yet: a SQLite store holds every plan's user ids and every event, and SQLite
    would create it (and its journals, which take its mode) readable by all. A ``file:`` URI
    is left to SQLite."""
    p = Path(path)
    if str(path).startswith("file:"):
        return
    make_folder(p.parent, p)
    try:
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # an existing store keeps the mode it has


def check_writable(dest: str | os.PathLike[str]) -> None:
    """Raise ``OSError`` naming ``dest`` when a file could not be written there (a folder in
    the way, or a folder that cannot be written), and ``not_in_a_model``'s error inside a
    model folder: what would fail after a long run fails before it."""
    path = Path(dest)
    not_in_a_model(path)
    if path.is_dir():
        raise OSError(errno.EISDIR, "a folder is in the way of the file", str(path))
    if not os.access(folder_above(path), os.W_OK | os.X_OK):
        raise OSError(*refusal(folder_above(path)), str(path))


def refusal(path: str | os.PathLike[str]) -> tuple[int, str]:
    """Why ``os.access`` said ``path`` cannot be written: (errno, message) of a read-only file
    system when its mount is (a chmod or chown cannot help there; it was called "Permission
    denied" too), else of a permission refused."""
    try:
        read_only = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # gone meanwhile, or no statvfs (Windows)
        read_only = False
    return (errno.EROFS, "Read-only file system") if read_only else (
        errno.EACCES, "Permission denied")


def folder_above(path: Path) -> Path:
    """The nearest folder above ``path`` that exists (where the folders between are created),
    or ``OSError`` naming ``path`` when that is a file."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OSError(errno.ENOTDIR, f"{parent} is a file, not a folder", str(path))
    return parent


#: what a write raises when the device (or the user's quota) cannot take it: the error names
#: no file, and the CLI's one line then said "(writing the output)" without saying which
_DEVICE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextmanager
def _named_if_full(path: Path) -> Iterator[None]:
    """A write on a full device names no file (or the hidden temporary one's folder): said of
    ``path``, the output asked for."""
    try:
        yield
    except OSError as e:
        if e.filename is not None or e.errno not in _DEVICE_FULL:
            raise
        raise OSError(e.errno, e.strerror, str(path)) from None


#: the files ``atomic_file`` and the folders ``atomic_dir`` put in place in this process, in
#: order: a Ctrl-C after one was renamed into place (while the command finished, or deleted
#: the previous folder) said "interrupted" alone, which reads as the previous one kept; the
#: CLI names them (``recommender.cli.main``)
PLACED: list[str] = []


#: (folder, file) of each folder ``atomic_file`` created to write a file in (the topmost of
#: those it created): ``--out new/x.csv`` made ``new`` without a word, so a typo in a folder
#: name left the file somewhere unlooked-for; the CLI names them (``printing.folders_created``)
CREATED: list[tuple[str, str]] = []


def _topmost_missing(folder: Path) -> Path | None:
    """The topmost of ``folder`` and the folders above it that do not exist; None if it does."""
    top = None
    while not folder.exists() and folder != folder.parent:
        top, folder = folder, folder.parent
    return top


@contextmanager
def atomic_file(dest: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``dest`` (an empty private file already there); when the
    block ends without an exception, give it the umask's permissions and rename it to
    ``dest``; otherwise delete it. A folder it creates for ``dest`` is listed in ``CREATED``."""
    path = Path(dest)
    not_in_a_model(path)
    try:
        missing = _topmost_missing(path.parent)
        make_folder(path.parent, path)
        if missing is not None:
            CREATED.append((str(missing), str(path)))
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.{_HOST}-{os.getpid()}-",
                                    suffix=suffix, dir=path.parent)
    except OSError as e:  # named by the path asked for, not the hidden temporary one
        raise OSError(e.errno, e.strerror, str(path)) from None
    os.close(fd)
    tmp = Path(name)
    try:
        with _named_if_full(path):
            yield tmp
        os.chmod(tmp, 0o666 & ~umask())
        try:
            os.replace(tmp, path)
        except OSError as e:  # a folder in the way: named by the path asked for
            if e.errno is None:
                raise
            raise OSError(e.errno, e.strerror, str(path)) from None
        PLACED.append(str(path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sweep(path, suffix)


class FolderTurn:
    """A writer's turn at putting files in place in ``folder``: ``take()`` holds the folder
    itself (``flock`` on it, released by the kernel if the writer dies) until the block ends.
    Entered before the ``atomic_file``s whose renames it guards and taken just before they
    end, it is left after those renames: two writers putting a pair of files in place there
    (a plan and its summary) leave one writer's pair, not one file of each. Where ``flock``
    is missing or refused, ``take`` does nothing: a folder that can be written but not
    opened for reading (mode ``-wx``, a drop box), or a network filesystem whose ``flock``
    needs a file open for writing (NFS: ``EBADF``), are written as before. It is taken after
    the plan is stored, so a refusal there left a stored plan without its files."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._fd: int | None = None

    def __enter__(self) -> FolderTurn:
        return self

    def take(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux
            return
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:  # a folder this user may write but not read: no turn to take
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # flock refused (NFS: EBADF on a read-only descriptor; ENOLCK)
            os.close(fd)
            return
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the turn
            self._fd = None


#: this machine in a temporary file's name: a writer on another host (a shared volume, a
#: container) has a pid this machine cannot check, and its files are never swept here
_HOST = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _sweep(path: Path, suffix: str) -> None:
    """Remove the temporary files (``atomic_dir``: work folders) of earlier writes to
    ``path`` on this machine whose process is gone (killed with SIGKILL, or the machine
    stopped): their names carry the host and the writer's pid (``.NAME.HOST-PID-XXXXXXXX.tmp``,
    ``.NAME.HOST-PID-tmp-XXXXXXXX``, matched exactly, so another output whose name starts with
    this one's is not taken for it); a live writer's are never touched, nor a work folder
    holding the previous ``path`` it had moved aside."""
    mine = re.compile(rf"\.{re.escape(path.name)}\.{_HOST}-(\d+)-(tmp-)?[a-z0-9_]{{8}}"
                      rf"{re.escape(suffix)}")
    for old in path.parent.glob(f".{glob.escape(path.name)}.{_HOST}-*"):
        m = mine.fullmatch(old.name)
        if not m or int(m.group(1)) == os.getpid() or pid_alive(int(m.group(1))):
            continue
        if old.is_dir() and not old.is_symlink():  # atomic_dir's work
            if not (old / "old").exists():  # never a previous folder it had moved aside
                shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                old.unlink()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


@contextmanager
def atomic_dir(dest: str | os.PathLike[str], *, create: bool = True,
               mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary folder beside ``dest``; when the block ends without an exception it
    replaces ``dest`` (which, if it exists, must be a folder: the caller decides whether it may
    be overwritten). With ``create=False`` the yielded path does not exist yet, for writers
    that insist on creating their own output folder (Spark). The new folder is private
    while it is written and gets ``mode``, by default the umask's permissions
    (``0o777`` less the umask), when it appears."""
    path = Path(dest)
    make_folder(path.parent, path)
    try:  # named by the path asked for: a read-only folder named the hidden work folder
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}.{_HOST}-{os.getpid()}-tmp-",
                                     dir=path.parent))
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    new, old = work / "new", work / "old"
    keep_work = False  # True only while the previous folder sits in ``work`` unrestored
    try:
        if create:
            new.mkdir(mode=0o700)
        with _named_if_full(path):
            yield new
        os.chmod(new, 0o777 & ~umask() if mode is None else mode)
        if path.exists():
            os.replace(path, old)
        try:
            os.replace(new, path)
        except BaseException:
            if old.exists():
                keep_work = True  # if putting it back fails too, never delete it
                os.replace(old, path)  # put the previous folder back
                keep_work = False
            raise
        PLACED.append(str(path))  # the previous folder is deleted next (seconds, if large)
    finally:
        if not keep_work:
            shutil.rmtree(work, ignore_errors=True)
    _sweep(path, "")  # the work folders of writers killed outright (SIGKILL)
