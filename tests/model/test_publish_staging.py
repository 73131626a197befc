"""publish with a models root reads only what it checked: no FIFO, no link swapped in."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import synthetic_model

from recommender.errors import ArtifactError
from recommender.model import artifact, layout


def _model(version: str, seed: int) -> Any:
    m = synthetic_model(n_users=60, n_films=12, seed=seed)
    m.meta["model_version"] = version
    return m


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    artifact.save(_model("old", 1), base / "served")
    artifact.save(_model("new", 2), base / "new")
    return base


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_the_source_folder_is_refused_not_waited_on(root: Path) -> None:
    """A meta.json that is a FIFO (inside the root) held the reload thread, and the reload lock
    with it, until something wrote to the FIFO: every later reload and the watcher waited."""
    meta = layout.resolve(root / "new").resolve() / artifact.META
    meta.unlink()
    os.mkfifo(meta)
    raised: list[BaseException] = []

    def publish() -> None:
        try:
            artifact.publish(root / "new", root / "served", within=root.resolve())
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            raised.append(e)

    worker = threading.Thread(target=publish, daemon=True)
    worker.start()
    worker.join(timeout=20)
    waited = worker.is_alive()
    if waited:  # the old code reads the FIFO: let it go
        fd = os.open(meta, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        worker.join(timeout=20)
    assert not waited, "publish waited on a FIFO"
    assert raised and isinstance(raised[0], ArtifactError)
    assert "not a regular file" in str(raised[0])


def test_a_file_swapped_for_a_link_after_the_check_is_not_read(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of the source swapped for a link to a file outside the root after publish had
    checked the folder was read: its size (or a prefix of its SHA-256, or its first bytes)
    came back in the error. What is loaded now is the copy made as the files were checked."""
    secret = tmp_path / "secret"
    secret.write_bytes(b"root:$6$very-secret-hash:19000::")
    version = layout.resolve(root / "new").resolve()
    load = artifact.load

    def swapped_then_load(path: Any, *args: Any, **kw: Any) -> Any:
        target = version / "user_ids.npy"
        if not target.is_symlink():
            target.unlink()
            target.symlink_to(secret)
        return load(path, *args, **kw)

    monkeypatch.setattr(artifact, "load", swapped_then_load)
    try:
        artifact.publish(root / "new", root / "served", within=root.resolve())
    except ArtifactError as e:
        message = str(e)
        assert "outside the models root" in message, message
        assert f"{secret.stat().st_size}" not in message and "root:" not in message
    served = layout.resolve(root / "served").resolve() / "user_ids.npy"
    assert not served.is_symlink()
    assert served.read_bytes() != secret.read_bytes()
    assert not list((root / "served" / layout.VERSIONS).glob(".publish-*"))


def test_a_copy_across_file_systems_is_flushed_before_it_is_served(
        root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The private copy is made on the destination's file system and the new version
    hard-links it: where the source lay on another file system the copy was never flushed,
    so a crash after ``current`` was swapped could leave the served files empty."""
    link, fsync = os.link, os.fsync
    flushed: set[tuple[int, int]] = set()

    def link_across(src: Any, dst: Any, **kw: Any) -> None:
        if str(src).startswith("/proc/self/fd/"):  # the copy's link: another file system
            raise OSError(18, "Invalid cross-device link")
        link(src, dst, **kw)

    def recorded(fd: int) -> None:
        st = os.fstat(fd)
        flushed.add((st.st_dev, st.st_ino))
        fsync(fd)

    monkeypatch.setattr(os, "link", link_across)
    monkeypatch.setattr(os, "fsync", recorded)
    artifact.publish(root / "new", root / "served", within=root.resolve())
    served = layout.resolve(root / "served").resolve()
    assert artifact.load(served).meta["model_version"] == "new"
    for f in served.iterdir():
        st = f.stat()
        assert (st.st_dev, st.st_ino) in flushed, f"{f.name} served unflushed"


def test_a_copy_left_by_a_killed_publish_is_removed_by_the_next(root: Path) -> None:
    """A publish killed while its private copy existed left it in ``versions/`` for ever
    (up to a model's size, again at each such kill): the next publish removes it."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from recommender.model import artifact\n"
        "def killed(*a, **k):\n"
        "    os._exit(9)\n"
        "artifact.load = killed\n"
        "root = Path(sys.argv[1])\n"
        "artifact.publish(root / 'new', root / 'served', within=root.resolve())\n")
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script, str(root)], timeout=120,
                          env={**os.environ, "PYTHONPATH": str(repo)}, capture_output=True)
    assert done.returncode == 9, done.stderr.decode(errors="replace")
    versions = root / "served" / layout.VERSIONS
    assert list(versions.glob(".publish-*")), "the killed publish left no copy"
    artifact.save(_model("newer", 3), root / "newer")
    artifact.publish(root / "newer", root / "served", within=root.resolve())
    assert artifact.load(layout.resolve(root / "served")).meta["model_version"] == "newer"
    assert not list(versions.glob(".publish-*"))
