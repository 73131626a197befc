"""Versioned model folders: complete versions under ``versions/`` and an atomically swapped link.

Layout of a model folder ``MODEL`` (``artifact.save`` writes it)::

    MODEL/current -> versions/000007-<model version>   a relative symbolic link
    MODEL/meta.json -> current/meta.json               so MODEL/meta.json describes it
    MODEL/versions/000007-<model version>/             one complete model (meta.json, *.npy)
    MODEL/versions/000006-<model version>/             the previous one, kept for rollback
    MODEL/.lock                                        held by a writer (``flock``) while saving

A save writes a new version under a temporary name inside ``versions/``, flushes every file
and the folder to disk, renames it to its final name, makes a new link beside ``current`` and
renames it over ``current`` (one ``rename``: a reader sees the old target or the new one,
never nothing). Leftovers of an interrupted save (temporary folders and links, versions beyond
the newest ``keep``, the files of a flat folder written by an older version of this library
and the ``.MODEL.tmp-*`` folders its saves left beside it) are removed by the next save.

A flat folder (the files directly in ``MODEL``, the layout before versions) still loads, and
a save over one migrates it without a gap: the version and ``current`` are written inside it
while its files stay readable, and readers prefer ``current`` once it exists; only then are
the flat files removed. The flat model is first made a version of its own (its files
hard-linked, ``_keep_flat``) when the caller says it can be, kept to roll back to. A
``current`` that is a real folder (``shutil.copytree`` follows links) loads too, and is
exchanged for a link atomically where Linux allows (``renameat2(RENAME_EXCHANGE)``).

Nothing here knows what a model is: ``artifact`` decides which files a version holds.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from recommender.io.atomic import folder_above, make_folder, refusal, umask
from recommender.model.flat import not_kept
from recommender.model.layout_reads import (  # noqa: F401 (re-exported: read as layout.NAME)
    CURRENT,
    LINK_PREFIX,
    LOCK,
    TMP_PREFIX,
    VERSIONS,
    folder_stamp,
    holder,
    is_versioned,
    owns,
    resolve,
    stamp,
    versions,
)

KEEP = 2                        # versions kept by default: the current one and the one before
OnSwap = Callable[[Path, Path | None], None]  # ``new_version``'s: (new version, previous)


class NothingToWriteError(Exception):
    """Raised in ``new_version``'s block when it finds, with the lock held, that the folder
    holds what it was to write already: the new version is dropped and nothing changes."""


def step(label: str) -> None:
    """Called between every two steps of a save that change the disk; tests replace it to
    interrupt a save (``SIGKILL``) at each step in turn."""


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new names, renames) to disk, where the system allows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold ``root/.lock`` exclusively (``flock``; released by the kernel if the writer dies),
    so that two saves to one folder take turns and a save never cleans up another's work.
    ``root`` is created when missing. A lock file removed while this waited for it (a first
    save that failed removes the folder it created, with the lock held) locks nothing any
    more: this starts again, on the folder and lock file as they are now."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux
        make_folder(root)  # a file in the way named, not "Not a directory"
        yield
        return
    while True:
        make_folder(root)  # a file in the way named, not "Not a directory"
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                held = os.path.samestat(os.fstat(fd), os.stat(root / LOCK))
            except OSError:
                held = False
        except BaseException:
            os.close(fd)
            raise
        if held:
            break
        os.close(fd)
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


def _label(text: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", text)[:64].strip("._")
    return safe or "model"


def _next_name(root: Path, label: str) -> Path:
    """The name the next version takes (``<sequence>-<label>``, not taken yet; the caller
    holds the lock, so no other save takes it meanwhile)."""
    existing = versions(root)
    seq = int(existing[-1].name.split("-", 1)[0]) + 1 if existing else 1
    while True:
        final = root / VERSIONS / f"{seq:06d}-{_label(label)}"
        if not os.path.lexists(final):
            return final
        seq += 1


def _is_current(root: Path, version: Path) -> bool:
    """Whether ``root/current`` points at ``version`` now."""
    return os.path.realpath(resolve(root)) == os.path.realpath(version)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``);
    False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(rc == 0)


def _point(root: Path, version: Path) -> None:
    """Make ``root/current`` point at ``version`` in one ``rename``."""
    link = root / CURRENT
    tmp_link = root / f"{LINK_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:  # the link too: a Ctrl-C or SIGTERM right after it was made left it behind
        os.symlink(os.path.relpath(version, root), tmp_link)
        step("linked")
        if link.is_dir() and not link.is_symlink():  # a copied folder, not a link
            if not _exchange(tmp_link, link):
                # no atomic exchange here: a reader in the gap between these two renames
                # finds no model and retries (artifact.load)
                aside = Path(tempfile.mkdtemp(prefix=LINK_PREFIX, dir=root))
                os.rename(link, aside / CURRENT)
                os.replace(tmp_link, link)
        else:
            os.replace(tmp_link, link)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_link.unlink()
        raise
    fsync_dir(root)
    step("swapped")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    step(f"removed {path.name}")


def cleanup(root: Path, keep: int, flat_files: Callable[[Path], Iterable[str]],
            sound: Callable[[Path], bool] | None = None, previous: Path | None = None
            ) -> None:
    """Remove what earlier saves left: the flat layout's files (once ``current`` exists),
    temporary versions and links, versions beyond the newest ``keep`` (never the one
    ``current`` points at) and the old layout's ``.MODEL.tmp-*`` folders beside ``root``.
    With ``sound``, only versions it passes count toward ``keep``: a damaged one is kept
    beside them, not in place of the last one that loads (the rollback). ``previous``, the
    version ``current`` pointed at before this save, counts first: a version a killed save
    had renamed but never swapped in is newer, and took the rollback's place (the model
    served until then was removed, and a never-served one kept). Call with the lock held."""
    if is_versioned(root):
        for name in flat_files(root):  # meta.json first: the rest is no model without it
            if (root / name).is_file() and not (root / name).is_symlink():
                _remove(root / name)
    for p in sorted(root.glob(f"{LINK_PREFIX}*")):
        _remove(p)
    for p in sorted((root / VERSIONS).glob(f"{TMP_PREFIX}*")):
        _remove(p)
    current = resolve(root).resolve()
    complete = versions(root)
    room = max(1, keep) - any(p.resolve() == current for p in complete)
    before = previous.resolve() if previous is not None else None
    # the previous version first, then the others newest first (sorted is stable)
    for p in sorted(reversed(complete), key=lambda v: v.resolve() != before):
        if p.resolve() == current:
            continue
        if room <= 0:
            _remove(p)
        elif sound is None or sound(p):
            room -= 1
    for p in sorted(root.parent.glob(f".{root.name}.tmp-*")):  # the old atomic_dir's work
        if p.is_dir() and {c.name for c in p.iterdir()} <= {"new", "old"}:
            _remove(p)


def expose(root: Path, names: Iterable[str]) -> None:
    """Make ``root/<name>`` a link to ``current/<name>`` for each of ``names`` (one rename
    each), so that a reader of ``MODEL/meta.json`` reads the current version's."""
    for name in names:
        link, target = root / name, f"{CURRENT}/{name}"
        if link.is_symlink() and os.readlink(link) == target:
            continue
        tmp_link = root / f"{LINK_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        os.symlink(target, tmp_link)
        os.replace(tmp_link, link)
        step(f"exposed {name}")


def check_writable(root: Path) -> Path:
    """``root`` when ``new_version`` could write a version there, else ``OSError`` naming the
    folder it could not write in: the model folder or its ``versions`` (both written), or the
    nearest folder above a new one (where it is created). ``train`` checks it before the run:
    a folder it could not write failed at the save, after the whole training. An existing
    ``.lock`` is opened for writing too (``_locked``): one another user's save left there
    failed the save the same way."""
    if root.is_symlink() and not root.exists():  # the save's mkdir: "File exists"
        raise OSError(errno.ENOENT, f"a link to {os.readlink(root)}, which does not exist",
                      str(root))
    folders = [root / VERSIONS, root]
    lock = root / LOCK
    if lock.exists() and not os.access(lock, os.R_OK | os.W_OK):
        code, why = refusal(lock)
        raise OSError(code, f"{why}: the model folder's lock cannot be opened for writing, so "
                      "no model can be written there", str(lock))
    if not root.exists():
        folders = [folder_above(root)]  # where it is created
    for folder in folders:
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            code, why = refusal(folder)
            raise OSError(code, f"{why}: no model can be written there", str(folder))
    return root


def _keep_flat(root: Path, label: Callable[[Path], str | None],
               flat_files: Callable[[Path], Iterable[str]],
               sound: Callable[[Path], bool] | None) -> Path | None:
    """The flat model of ``root`` made a version (its files hard-linked: no copy), so that the
    migration keeps it to roll back to; the one a killed migration made (the same
    ``meta.json``), or None when ``label`` gives none, links are not allowed, or the version
    linked is not ``sound``. Call with the lock held."""
    name = label(root)
    names = [n for n in flat_files(root) if (root / n).is_file() and not (root / n).is_symlink()]
    if not names:
        return None
    if name is None:
        not_kept(root, "its meta.json records no checksums to check its files against")
        return None
    for version in versions(root):
        with contextlib.suppress(OSError):
            if os.path.samefile(version / names[0], root / names[0]):
                return version
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=root / VERSIONS))
    try:
        for n in names:
            os.link(root / n, tmp / n)
        if sound is not None and not sound(tmp):
            raise OSError("some of its files are missing or not at the sizes its meta.json "
                          "records")
        os.chmod(tmp, 0o777 & ~umask())
        fsync_dir(tmp)
        final = _next_name(root, name)
        os.rename(tmp, final)
        fsync_dir(root / VERSIONS)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        not_kept(root, str(e) if e.errno is None else
                  f"its files could not be hard-linked into one ({e.strerror})")
        return None
    step("kept the flat model")
    return final


@contextmanager
def new_version(root: Path, label: str, flat_files: Callable[[Path], Iterable[str]],
                keep: int = KEEP, exposed: Iterable[str] = (),
                sound: Callable[[Path], bool] | None = None,
                flat_label: Callable[[Path], str | None] | None = None,
                on_swap: OnSwap | None = None) -> Iterator[Path]:
    """Yield an empty private folder inside ``root/versions``; when the block ends without
    an exception it becomes the next version (named ``<sequence>-<label>``) and ``current``
    points at it (``on_swap(new, previous)`` is then called, the lock held), leftovers are
    cleaned (``cleanup``, with ``sound``) and ``exposed`` files are linked at the top
    (``expose``). Over a flat folder, ``flat_label`` (the flat model's label, or None)
    keeps its model as a version first (``_keep_flat``). The caller writes (and
    ``fsync``s) the files. On an exception the new version is removed and nothing else
    changes (a ``root`` this call created is removed again; a flat model kept as a version
    stays, and the flat files still load); ``NothingToWriteError`` raised
    by the block (a check made with the lock held) leaves everything as it was."""
    created = not root.exists()
    swapped = False
    with _locked(root):
        try:
            (root / VERSIONS).mkdir(exist_ok=True)
            step("locked")
            # a killed save's unfinished version (up to a model's size) goes before this one
            # is written, not after: on a disk it filled, the save failed for want of room
            # and the leftover stayed. With the lock held no other save is writing one, and
            # ``current`` never points at one
            for left in sorted((root / VERSIONS).glob(f"{TMP_PREFIX}*")):
                _remove(left)
            previous = resolve(root) if os.path.islink(root / CURRENT) else None
            if flat_label is not None and not is_versioned(root):
                previous = _keep_flat(root, flat_label, flat_files, sound)
            tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=root / VERSIONS))
            final: Path | None = None
            try:
                yield tmp
                os.chmod(tmp, 0o777 & ~umask())
                fsync_dir(tmp)
                step("written")
                final = _next_name(root, label)
                os.rename(tmp, final)
                fsync_dir(root / VERSIONS)
                step("renamed")
                _point(root, final)
                swapped = True
                if on_swap is not None:
                    on_swap(final, previous)
            except NothingToWriteError:  # the block's check, under the lock (``publish``)
                shutil.rmtree(tmp, ignore_errors=True)
                return
            except BaseException:
                # a Ctrl-C or SIGTERM (raised in this thread) may land after ``current``
                # was swapped (while the folder is flushed): the new version is the model
                # now, and removing it left ``current`` pointing at nothing
                if final is not None and _is_current(root, final):
                    swapped = True
                else:  # not swapped in: the version, renamed or not, goes
                    shutil.rmtree(tmp, ignore_errors=True)
                    if final is not None:
                        shutil.rmtree(final, ignore_errors=True)
                raise
            with contextlib.suppress(OSError):  # the save is done; the next one retries
                cleanup(root, keep, flat_files, sound, previous)
                expose(root, exposed)
        finally:
            # only empty folders and the lock: never another's work. With the lock held: a
            # save waiting for it then finds its lock file gone, and starts again (after
            # the lock was released, the waiting save wrote into a folder removed under it)
            if created and not swapped:
                with contextlib.suppress(OSError):
                    (root / VERSIONS).rmdir()
                    (root / LOCK).unlink()
                    root.rmdir()
