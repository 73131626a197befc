"""The versioned model folder: a save killed (SIGKILL) at every step leaves a complete model,
old or new; flat folders load and migrate; leftovers are cleaned; checksums catch damage.

The kill tests fork the test process (cheap: everything is imported already); the child
replaces ``layout.step`` with a hook that kills it at the k-th step, for every k.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.cli import Terminated
from recommender.errors import ArtifactError
from recommender.model import artifact, layout
from recommender.model.model import Model

pytestmark = [pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
              # saves over flat folders written before checksums: said, and true, each time
              # (tests/model/test_flat_kept.py asserts the warning)
              pytest.mark.filterwarnings("ignore:.*not kept as a version to roll back to")]


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """A SIGKILL loses no written data (the kernel keeps it), so flushing to disk only costs
    time here; ``test_a_save_flushes_every_file_and_folder`` counts the flushes."""
    if "fsync" not in request.node.name:
        monkeypatch.setattr(os, "fsync", lambda fd: None)


def tiny(version: str, seed: int) -> Model:
    m = synthetic_model(n_users=60, n_films=12, seed=seed)
    m.meta["model_version"] = version
    return m


@pytest.fixture(scope="module")
def old() -> Model:
    return tiny("old", 1)


@pytest.fixture(scope="module")
def new() -> Model:
    return tiny("new", 2)


def same(a: Model, b: Model) -> bool:
    return (a.version == b.version and np.array_equal(a.user_factors, b.user_factors)
            and np.array_equal(a.film_factors, b.film_factors)
            and a.users.ids.tolist() == b.users.ids.tolist()
            and np.array_equal(a.seen.indices, b.seen.indices))


def flat_copy(saved: Path, dest: Path, checksums: bool = False) -> Path:
    """``dest`` as a flat model folder (the layout before versions), written before checksums
    unless ``checksums``."""
    shutil.copytree(layout.resolve(saved), dest)
    if not checksums:
        meta = json.loads((dest / "meta.json").read_text())
        del meta["files"]
        meta.pop("meta_sha256", None)  # edited: as written before its seal
        (dest / "meta.json").write_text(json.dumps(meta))
    return dest


def steps_of(action: Callable[[], object], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    labels: list[str] = []
    monkeypatch.setattr(layout, "step", labels.append)
    action()
    monkeypatch.undo()
    return labels


def kill_points(steps: list[str], every: bool) -> list[int]:
    """The steps to kill at: every one, or (``every=False``) the first and the last of each
    run of steps of one kind (between two "wrote ..." steps the disk differs only inside the
    unfinished version; between two "removed ..." steps only in which leftovers remain)."""
    if every:
        return list(range(len(steps) + 1))
    kinds = [s.split()[0] for s in steps]
    return [k for k in range(len(steps) + 1)
            if k in (0, len(steps)) or kinds[k] != kinds[k - 1]
            or k + 1 == len(steps) or kinds[k] != kinds[k + 1]]


def killed_at(k: int, action: Callable[[], object]) -> bool:
    """Run ``action`` in a forked child that SIGKILLs itself at its k-th step; True when it
    was killed (False: it finished first)."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            counter = itertools.count()

            def hook(label: str) -> None:
                if next(counter) == k:
                    os.kill(os.getpid(), signal.SIGKILL)

            layout.step = hook
            action()
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "the save failed in the child"
    return False


def assert_clean(root: Path, keep: int = layout.KEEP) -> None:
    """Only ``current``, ``versions/`` (at most ``keep`` complete versions), the lock and the
    ``meta.json`` link."""
    names = {p.name for p in root.iterdir()}
    assert names <= {"current", "versions", ".lock", "meta.json"}, names
    assert os.readlink(root / "meta.json") == "current/meta.json"
    assert not list((root / "versions").glob(".tmp-*"))
    assert 1 <= len(layout.versions(root)) <= keep
    assert not list(root.parent.glob(f".{root.name}.tmp-*"))


@pytest.mark.parametrize("start", ["empty", "versioned", "flat", "flat with checksums",
                                   "copied"])
def test_a_save_killed_at_every_step_leaves_a_complete_model(
        start: str, old: Model, new: Model, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever step a SIGKILL lands on, ``load`` returns the old model or the new one,
    complete and checked; the next save succeeds and cleans every leftover."""
    template = tmp_path / "template"
    artifact.save(old, template)

    def prepare(root: Path) -> None:
        if start == "versioned":
            shutil.copytree(template, root, symlinks=True)
            artifact.save(old, root)  # two versions, as a folder saved twice has
        elif start.startswith("flat"):  # with checksums: kept as a version (_keep_flat)
            flat_copy(template, root, checksums=start.endswith("checksums"))
        elif start == "copied":  # shutil.copytree follows links: current is a real folder
            shutil.copytree(template, root)

    probe = tmp_path / "probe"
    prepare(probe)
    steps = steps_of(lambda: artifact.save(new, probe), monkeypatch)
    assert {"locked", "written", "renamed", "linked", "swapped"} <= set(steps)
    assert len(steps) >= 20
    outcomes = set()
    if start == "flat with checksums":
        assert "kept the flat model" in steps
    for k in kill_points(steps, every=start != "empty" and start != "copied"):
        root = tmp_path / f"m{k}"
        prepare(root)
        assert killed_at(k, functools.partial(artifact.save, new, root)) == (k < len(steps))
        if start == "empty" and not layout.stamp(root):
            outcomes.add("none")  # killed before the first version became current
            with pytest.raises(ArtifactError):
                artifact.load(root)
        else:
            loaded = artifact.load(root)
            assert same(loaded, old) or same(loaded, new), k
            outcomes.add(loaded.version)
        artifact.save(new, root)  # the next save completes and cleans up
        assert same(artifact.load(root), new)
        assert_clean(root)
        shutil.rmtree(root)
    assert "new" in outcomes and outcomes & {"old", "none"}


def test_a_publish_killed_at_every_step(old: Model, new: Model, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    source = artifact.save(new, tmp_path / "source")
    probe = artifact.save(old, tmp_path / "probe")
    steps = steps_of(lambda: artifact.publish(source, probe), monkeypatch)
    assert any(s.startswith("linked ") for s in steps)
    for k in kill_points(steps, every=False)[:-1]:
        root = artifact.save(old, tmp_path / f"m{k}")
        assert killed_at(k, functools.partial(artifact.publish, source, root))
        loaded = artifact.load(root)
        assert same(loaded, old) or same(loaded, new), k
        artifact.publish(source, root)
        assert same(artifact.load(root), new)
        assert_clean(root)
    assert same(artifact.load(source), new)  # the source is untouched


def test_layout_and_cleanup(old: Model, new: Model, tmp_path: Path) -> None:
    root = tmp_path / "model"
    artifact.save(old, root)
    assert os.readlink(root / "current") == f"versions/{layout.versions(root)[0].name}"
    # MODEL/meta.json follows the current version, for readers of that one file
    assert json.loads((root / "meta.json").read_text())["model_version"] == "old"
    stamps = {layout.stamp(root)}
    for i in range(4):
        artifact.save(new if i % 2 else old, root)
        stamps.add(layout.stamp(root))
    assert len(stamps) == 5 and layout.stamp(root) in stamps
    assert layout.stamp(root) == layout.stamp(root)  # nothing changed: the same stamp
    assert [p.name[:6] for p in layout.versions(root)] == ["000004", "000005"]
    assert same(artifact.load(root), new)
    # leftovers of interrupted saves, of this layout and of the one before
    (root / "versions" / ".tmp-junk").mkdir()
    (root / "versions" / ".tmp-junk" / "user_factors.npy").write_bytes(b"partial")
    os.symlink("versions/nowhere", root / ".current.tmp-123-abcd")
    (root / "meta.json").unlink()
    (root / "meta.json").write_text("{}")  # a flat file left by an interrupted migration
    old_work = tmp_path / ".model.tmp-xyz"
    shutil.copytree(layout.resolve(root), old_work / "old")
    unrelated = tmp_path / ".other.tmp-xyz"
    unrelated.mkdir()
    assert same(artifact.load(root), new)  # current wins over the leftovers
    artifact.save(old, root, keep=3)
    assert_clean(root, keep=3)
    assert unrelated.is_dir()
    artifact.save(new, root, keep=3)
    assert len(layout.versions(root)) == 3
    assert json.loads((root / "meta.json").read_text())["model_version"] == "new"
    artifact.save(old, root, keep=1)
    assert len(layout.versions(root)) == 1 and same(artifact.load(root), old)
    assert artifact.artifact_size(root) == sum(
        p.stat().st_size for p in layout.versions(root)[0].iterdir())


def test_a_flat_folder_loads_and_migrates(old: Model, new: Model, tmp_path: Path) -> None:
    template = artifact.save(old, tmp_path / "template")
    flat = flat_copy(template, tmp_path / "flat")
    (flat / "notes.txt").write_text("kept")
    assert same(artifact.load(flat), old)  # written before checksums: loads unchecked
    before = layout.stamp(flat)
    artifact.save(new, flat)
    assert layout.stamp(flat) != before
    assert same(artifact.load(flat), new)
    assert {p.name for p in flat.iterdir()} == {"current", "versions", ".lock", "notes.txt",
                                                "meta.json"}
    assert (flat / "meta.json").is_symlink()
    # a flat folder with checksums (a copied version) is checked
    checked = flat_copy(template, tmp_path / "checked", checksums=True)
    assert same(artifact.load(checked), old)
    data = bytearray((checked / "film_factors.npy").read_bytes())
    data[-1] ^= 1
    (checked / "film_factors.npy").write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="film_factors.npy: altered on disk"):
        artifact.load(checked)


def test_saving_over_a_copied_folder_swaps_it_for_a_link(old: Model, new: Model,
                                                          tmp_path: Path) -> None:
    template = artifact.save(old, tmp_path / "template")
    copied = tmp_path / "copied"
    shutil.copytree(template, copied)  # follows the link: current is a folder
    assert (copied / "current").is_dir() and not (copied / "current").is_symlink()
    assert same(artifact.load(copied), old)
    artifact.save(new, copied)
    assert (copied / "current").is_symlink() and same(artifact.load(copied), new)
    assert_clean(copied)


def test_a_save_flushes_every_file_and_folder(old: Model, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    root = artifact.save(old, tmp_path / "m")
    version = layout.resolve(root)
    for p in [*version.iterdir(), root / "versions", root]:
        assert any(f.endswith(f"/{p.name}") for f in flushed), p
    # the version's folder is flushed under its temporary name, before the rename
    assert any("/versions/.tmp-" in f and "." not in Path(f).name[1:] for f in flushed)


# ------------------------------------------------------------------ checksums


def test_meta_records_every_file_with_its_sha256(old: Model, tmp_path: Path) -> None:
    root = artifact.save(old, tmp_path / "m")
    folder = layout.resolve(root)
    meta = json.loads((folder / "meta.json").read_text())
    on_disk = {p.name for p in folder.iterdir()} - {"meta.json"}
    assert set(meta["files"]) == on_disk
    for name, info in meta["files"].items():
        raw = (folder / name).read_bytes()
        assert info == {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}, name
    assert "files" not in artifact.load(root).meta  # it describes the folder, not the model
    assert artifact.file_sha256(folder / "user_ids.npy", chunk=7) == hashlib.sha256(
        (folder / "user_ids.npy").read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["user_factors.npy", "seen_indices.npy", "user_ids.npy",
                                  "segments.json", "calibration.json", "user_attr_region.npy"])
def test_a_file_altered_on_disk_is_refused_by_name(old: Model, tmp_path: Path,
                                                   name: str) -> None:
    """One flipped bit (same size, shape still fits) or a truncation is refused, naming the
    file; ``verify=False`` skips the check (the flip still loads, shapes being intact)."""
    root = artifact.save(old, tmp_path / "m")
    path = layout.resolve(root) / name
    raw = path.read_bytes()
    flipped = bytearray(raw)
    flipped[len(raw) - 3] ^= 0x01
    path.write_bytes(bytes(flipped))
    for mmap in (True, False):
        with pytest.raises(ArtifactError, match=f"{name}: altered on disk .*SHA-256"):
            artifact.load(root, mmap=mmap)
    if name == "user_factors.npy":
        artifact.load(root, verify=False)
    path.write_bytes(raw[:-1])
    with pytest.raises(ArtifactError, match=f"{name}: altered on disk .*truncated"):
        artifact.load(root)
    path.write_bytes(raw)
    assert same(artifact.load(root), old)


@pytest.mark.parametrize("files,fragment", [
    ([1, 2], "must map each file name"),
    ({"user_factors.npy": {"bytes": 1}}, "must map each file name"),
    ({"../x.npy": {"bytes": 1, "sha256": "0"}}, "not a file of the folder"),
    ({"segments.json": {"bytes": 1, "sha256": "0"}}, "no checksum recorded for"),
])
def test_a_malformed_files_record_is_named(old: Model, tmp_path: Path, files: object,
                                           fragment: str) -> None:
    root = artifact.save(old, tmp_path / "m")
    meta_path = layout.resolve(root) / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["files"] = files
    meta.pop("meta_sha256", None)  # edited: as written before its seal
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match=fragment):
        artifact.load(root)


# ------------------------------------------------------------------ publish and readers


def test_publish_links_a_checked_model_in(old: Model, new: Model, tmp_path: Path) -> None:
    served = artifact.save(old, tmp_path / "served")
    source = artifact.save(new, tmp_path / "source")
    artifact.publish(source, served)
    assert same(artifact.load(served), new)
    a, b = layout.resolve(served), layout.resolve(source)
    assert (a / "user_factors.npy").stat().st_ino == (b / "user_factors.npy").stat().st_ino
    # a damaged source is refused before anything changes
    bad = tmp_path / "bad"
    shutil.copytree(source, bad, symlinks=True)
    target = layout.resolve(bad) / "film_factors.npy"
    target.unlink()  # a new inode, so the served link is untouched
    np.save(target, np.zeros((12, 8), np.float32))
    before = layout.stamp(served)
    with pytest.raises(ArtifactError, match="film_factors.npy: altered"):
        artifact.publish(bad, served)
    assert layout.stamp(served) == before and same(artifact.load(served), new)
    # a source written before checksums is written anew, with them
    flat = flat_copy(artifact.save(old, tmp_path / "t"), tmp_path / "flat")
    artifact.publish(flat, served)
    assert same(artifact.load(served), old)
    assert "files" in json.loads((layout.resolve(served) / "meta.json").read_text())


def test_readers_during_saves_always_get_a_complete_model(old: Model, new: Model,
                                                          tmp_path: Path) -> None:
    """Loads racing saves that delete the previous version at once (``keep=1``): each load
    returns one model, complete, and never fails."""
    root = artifact.save(old, tmp_path / "m")
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(30):
                artifact.save(new if i % 2 == 0 else old, root, keep=1)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    loads = 0
    try:
        while not stop.is_set() or loads == 0:
            loaded = artifact.load(root, mmap=loads % 2 == 0)
            assert same(loaded, old) or same(loaded, new)
            loads += 1
    finally:
        stop.set()
        thread.join()
    assert not errors and loads > 0


def test_a_damaged_version_does_not_take_the_rollbacks_place(old: Model, new: Model,
                                                             tmp_path: Path) -> None:
    # current held a damaged version when a new one was saved: the two newest were kept, the
    # damaged one as the "rollback", and the last version that loads was deleted
    root = tmp_path / "m"
    artifact.save(old, root)
    artifact.save(new, root)
    good, damaged = layout.versions(root)
    with open(damaged / "user_factors.npy", "r+b") as f:
        f.truncate(10)
    artifact.save(new, root)
    names = [v.name for v in layout.versions(root)]
    assert names[:2] == [good.name, damaged.name] and len(names) == 3
    assert same(artifact.load(good), old)
    artifact.save(old, root)  # the next save: one sound version besides current, as before
    assert [v.name for v in layout.versions(root)] == [names[2], layout.resolve(root).name]


def test_a_short_write_names_the_file(old: Model, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # numpy's short write on a full disk has no errno and no file name: train printed
    # "error: 192000 requested and 30688 written (writing the output)"
    def short(*args: object, **kw: object) -> None:
        raise OSError("192000 requested and 30688 written")

    monkeypatch.setattr(np, "save", short)
    with pytest.raises(OSError) as e:
        artifact.save(old, tmp_path / "m")
    assert e.value.filename and e.value.filename.endswith(".npy")
    assert "the disk is full" in str(e.value) and "192000 requested" in str(e.value)
    assert not (tmp_path / "m").exists()


def test_publishing_the_current_model_again_keeps_the_rollback(old: Model, new: Model,
                                                               tmp_path: Path) -> None:
    # a reload retried (or sent twice) published the same model again: two copies of it were
    # the kept versions and the one before it, the rollback, was deleted
    served = artifact.save(old, tmp_path / "served")
    source = artifact.save(new, tmp_path / "source")
    artifact.publish(source, served)
    before = layout.versions(served)
    artifact.publish(source, served)
    artifact.publish(served / layout.CURRENT, served)
    assert layout.versions(served) == before
    assert same(artifact.load(before[0]), old) and same(artifact.load(served), new)
    # a current version damaged on disk is published anew from the good copy
    target = layout.resolve(served) / "film_factors.npy"
    target.unlink()
    np.save(target, np.zeros((12, 8), np.float32))
    artifact.publish(source, served)
    assert same(artifact.load(served), new) and layout.versions(served)[-1] not in before


def test_a_save_inside_a_model_folder_is_refused(old: Model, new: Model,
                                                 tmp_path: Path) -> None:
    """``train --out MODEL/current`` (or a version under ``versions/``) turned the served
    version into a layout of its own: its files were removed and ``MODEL`` no longer loaded.
    A destination inside a model folder is refused before anything is written."""
    root = artifact.save(old, tmp_path / "m")
    version = next((root / "versions").iterdir())
    for inside in (root / "current", version, root / "current" / "sub"):
        with pytest.raises(ArtifactError, match="inside the model folder"):
            artifact.check_destination(inside)
        with pytest.raises(ArtifactError, match="inside the model folder"):
            artifact.save(new, inside)
    assert same(artifact.load(root), old)
    assert not (version / "current").exists() and not (version / "sub").exists()
    artifact.save(new, root)  # the folder itself still takes a new version
    assert same(artifact.load(root), new)


@pytest.mark.parametrize("error", [KeyboardInterrupt, Terminated])
@pytest.mark.parametrize("start", ["empty", "versioned"])
def test_a_save_interrupted_at_every_step_leaves_a_complete_model(
        start: str, error: type[BaseException], old: Model, new: Model, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (``KeyboardInterrupt``) or the CLI's SIGTERM exception raised at any step of a
    save (the signal arrives during a system call; Python raises right after it) leaves the
    old model or the new one: one raised just after ``current`` was swapped, while the folder
    was flushed, removed the version ``current`` now pointed at (``no such model folder``,
    and a restarted server failed to start). No temporary link is left behind."""
    probe = tmp_path / "probe"
    if start == "versioned":
        artifact.save(old, probe)
    steps = steps_of(lambda: artifact.save(new, probe), monkeypatch)
    assert {"linked", "swapped"} <= set(steps)
    for k in range(len(steps)):
        root = tmp_path / f"m{k}"
        if start == "versioned":
            artifact.save(old, root)
        def hook(label: str, k: int = k, counter: Iterator[int] = itertools.count()
                 ) -> None:
            if next(counter) == k:
                raise error

        monkeypatch.setattr(layout, "step", hook)
        with pytest.raises(error):
            artifact.save(new, root)
        monkeypatch.undo()
        if layout.stamp(root):
            loaded = artifact.load(root)
            assert same(loaded, old) or same(loaded, new), (k, steps[k])
        else:  # a first save interrupted before its version became current: no model
            assert start == "empty", (k, steps[k])
            assert not root.exists() or not layout.is_versioned(root), (k, steps[k])
        if steps[k] in ("swapped",) or steps[k].startswith(("removed", "exposed")):
            assert same(artifact.load(root), new), (k, steps[k])
        assert not list(root.glob(".current.tmp-*")) or steps[k].startswith(
            ("removed", "exposed")), (k, steps[k])
        artifact.save(new, root)  # the next save completes and cleans up
        assert same(artifact.load(root), new)
        assert_clean(root)
        shutil.rmtree(root)


def test_an_interrupt_just_after_the_swap_keeps_the_new_version(
        old: Model, new: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C landing while the folder is flushed after ``current`` was swapped: the save
    reports the interrupt, and ``current`` still points at a whole version (the new one)."""
    root = artifact.save(old, tmp_path / "m")

    def hook(label: str) -> None:
        if label == "swapped":
            raise KeyboardInterrupt

    monkeypatch.setattr(layout, "step", hook)
    with pytest.raises(KeyboardInterrupt):
        artifact.save(new, root)
    monkeypatch.undo()
    assert same(artifact.load(root), new)


def test_the_rollback_kept_is_the_version_served_before_not_a_killed_saves(
        old: Model, new: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save killed after renaming its version but before swapping ``current`` leaves a
    complete version newer than the one served. The next save kept that never-served
    version as the rollback and removed the model served until then."""
    root = artifact.save(tiny("before", 3), tmp_path / "m")
    artifact.save(old, root)  # served now
    steps = steps_of(lambda: artifact.save(new, tmp_path / "probe"), monkeypatch)
    killed = functools.partial(artifact.save, tiny("killed", 4), root)
    assert killed_at(steps.index("renamed"), killed)
    assert same(artifact.load(root), old)
    artifact.save(new, root)
    kept = {json.loads((v / "meta.json").read_text())["model_version"]
            for v in layout.versions(root)}
    assert kept == {"new", "old"}


def test_a_killed_saves_unfinished_version_goes_before_the_next_is_written(
        old: Model, new: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A save killed while writing leaves ``versions/.tmp-*`` (up to a model's size); the next
    save removed it only after its own version was written and swapped in, so on a disk the
    leftover had filled the next save failed (ENOSPC) and the leftover stayed for good."""
    root = artifact.save(old, tmp_path / "model")
    left = root / "versions" / ".tmp-killed1"
    left.mkdir()
    (left / "user_factors.npy").write_bytes(b"\0" * 4096)
    seen: list[bool] = []

    def hook(label: str) -> None:
        if label.startswith("wrote") or label == "written":
            seen.append(left.exists())

    monkeypatch.setattr(layout, "step", hook)
    artifact.save(new, root)
    monkeypatch.undo()
    assert seen and not any(seen), seen
    assert same(artifact.load(root), new) and not left.exists()
