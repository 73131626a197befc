"""Saves and publishes to one model folder at the same time: what one checks, another cannot
change before it acts (the checks are made under the folder's lock), and a first save that
fails never takes a waiting one's folder away. Interleavings are forced with hooks."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

import pytest
from helpers import synthetic_model

from recommender.model import artifact, layout
from recommender.model.model import Model


def tiny(version: str, seed: int) -> Model:
    m = synthetic_model(n_users=60, n_films=12, seed=seed)
    m.meta["model_version"] = version
    return m


def flock_watch(monkeypatch: pytest.MonkeyPatch, thread_name: str) -> threading.Event:
    """An event set when the thread named ``thread_name`` asks for a folder's lock (before it
    may wait for it)."""
    asked = threading.Event()
    flock = fcntl.flock

    def watched(fd: int, op: int) -> None:
        if threading.current_thread().name == thread_name:
            asked.set()
        flock(fd, op)

    monkeypatch.setattr(fcntl, "flock", watched)
    return asked


def test_two_reloads_of_one_model_at_once_keep_the_rollback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers reload the same folder at once (a client's retry lands on the other
    worker): each asked "is it served already?" before either published, so both published
    it; two copies of it filled the kept versions and the rollback was deleted."""
    served = artifact.save(tiny("old", 1), tmp_path / "served")
    source = artifact.save(tiny("new", 2), tmp_path / "source")
    rollback = layout.resolve(served).resolve()
    asked = flock_watch(monkeypatch, "other-worker")
    check = artifact._serves_already
    other = threading.Thread(target=artifact.publish, args=(source, served),
                             name="other-worker")

    def checked_then_the_other_worker_runs(dest: Path, src: Path) -> bool:
        answer = check(dest, src)
        if threading.current_thread() is not other and not other.is_alive():
            other.start()  # it publishes now, or waits for the lock this one holds
            while other.is_alive() and not asked.is_set():
                other.join(0.01)
        return answer

    monkeypatch.setattr(artifact, "_serves_already", checked_then_the_other_worker_runs)
    artifact.publish(source, served)
    other.join()
    kept = [p.resolve() for p in layout.versions(served)]
    assert rollback in kept and len(kept) == 2
    assert artifact.load(served).version == "new"


def test_a_first_save_that_fails_leaves_a_waiting_save_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two trains into a new folder: the first to save fails (a full disk, a Ctrl-C) and
    removes the folder it created, lock file included, while the second waits for that
    lock; the second then took a lock no one else could see and wrote into a folder that
    was gone (FileNotFoundError after its whole training: its model lost)."""
    root = tmp_path / "new-model"
    asked = flock_watch(monkeypatch, "second")
    first_failed = threading.Event()
    result: dict[str, object] = {}

    def second_save() -> None:
        try:
            result["saved"] = artifact.save(tiny("second", 2), root)
        except BaseException as e:  # noqa: BLE001 - reported below
            result["error"] = e

    second = threading.Thread(target=second_save, name="second")

    def step(label: str) -> None:
        if threading.current_thread() is second:
            if label == "locked":  # it holds the lock: let the first finish failing
                first_failed.wait(30)
        elif label == "locked" and not second.is_alive() and "saved" not in result:
            second.start()  # the second save asks for the lock the first holds
            while second.is_alive() and not asked.is_set():
                second.join(0.01)
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(layout, "step", step)
    with pytest.raises(OSError, match="No space"):
        artifact.save(tiny("first", 1), root)
    first_failed.set()
    second.join()
    assert "error" not in result, result.get("error")
    assert artifact.load(root).version == "second"
