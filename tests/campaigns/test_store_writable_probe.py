"""The poller's probe of a SQLite store (``writable.sqlite_write_state``) agrees with SQLite.

Oracle: a write by a fresh SQLite connection to the same file, made after the probe, with the
file or its folder made unwritable (as root both are still written, and the probe must say
so). Run as root, the cases are run again as ``nobody`` owning the files (a forked child), where
the modes refuse writes: as root alone every case said writable, and a probe that never looked
at a mode passed them all."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.campaigns.writable import sqlite_write_state


def _sqlite_writes(path: Path) -> bool:
    try:
        conn = sqlite3.connect(path, timeout=5)
    except sqlite3.Error:
        return False
    try:
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


NOBODY = 65534


def _as_nobody(work: Callable[[], object]) -> object:
    """``work()``'s answer, computed by a forked child that became ``nobody`` (real ids too:
    ``os.access`` checks those)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            os.write(write, json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    # a fork copies no other thread: one inside SQLite at the fork (a poller left by another
    # test) would leave its lock held in the child for ever; bounded, that fails, never hangs
    ready, _, _ = select.select([read], [], [], 60)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    with os.fdopen(read, "rb") as answer:
        said = answer.read()
    _, status = os.waitpid(pid, 0)
    assert ready, "the child as nobody gave no answer in 60 s"
    assert os.waitstatus_to_exitcode(status) == 0
    return json.loads(said)


@pytest.mark.parametrize("link", [False, True])
@pytest.mark.parametrize("user", ["self", "nobody"])
@pytest.mark.parametrize(("file_mode", "folder_mode", "wal_open"), [
    (0o600, 0o700, True), (0o400, 0o700, True), (0o600, 0o500, True), (0o600, 0o500, False),
    (0o400, 0o500, False)])
def test_the_probe_says_what_sqlite_does(tmp_path: Path, file_mode: int, folder_mode: int,
                                         wal_open: bool, user: str, link: bool) -> None:
    """``link``: the store named by a link in a folder of the other mode (SQLite makes its
    -wal and -shm beside the file the link points to, not beside the link)."""
    if user == "nobody" and os.geteuid() != 0:
        pytest.skip("only root can run a child as nobody")
    base = Path(tempfile.mkdtemp()) if user == "nobody" else tmp_path  # nobody must reach it
    folder = base / "store"
    folder.mkdir()
    path = folder / "store.db"
    if user == "nobody":  # nobody owns them, so that their modes refuse its writes
        os.chmod(base, 0o755)
        path.touch()
        for p in (folder, path):
            os.chown(p, NOBODY, NOBODY)
    holder = sqlite3.connect(path)  # as root, SQLite gives its -wal and -shm the file's owner
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    if not wal_open:  # the last connection closed: its -wal and -shm are gone
        holder.close()
        assert sorted(p.name for p in folder.iterdir()) == ["store.db"]
    links = base / "links"
    named = links / "store.db" if link else path
    if link:
        links.mkdir()
        named.symlink_to(path)
        if user == "nobody":
            os.chown(links, NOBODY, NOBODY)
    try:
        os.chmod(path, file_mode)
        os.chmod(folder, folder_mode)
        if link:
            os.chmod(links, 0o700 if folder_mode == 0o500 else 0o500)

        def probe_then_write() -> tuple[str | None, bool]:
            return sqlite_write_state(named), _sqlite_writes(named)

        said, writes = _as_nobody(probe_then_write) if user == "nobody" else probe_then_write()
        assert said in (None, "read_only")
        assert (said is None) == writes, said
    finally:
        os.chmod(folder, 0o700)
        os.chmod(path, 0o600)
        if link:
            os.chmod(links, 0o700)
        holder.close()
        if user == "nobody":
            shutil.rmtree(base)
