"""``recommender.io.atomic``: a destination appears whole or not at all, and nothing is left over.

Each test looks at the real file system: what the destination holds afterwards and what else
lies beside it (the helpers write their temporaries in the destination's folder).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from recommender.io import atomic
from recommender.io.atomic import atomic_dir, atomic_file, umask


def beside(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def fail_replace(monkeypatch: pytest.MonkeyPatch, when: Callable[[Path], bool]) -> list[Path]:
    """Make ``os.replace`` raise for sources that ``when`` picks; returns the sources tried."""
    real = os.replace
    tried: list[Path] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        tried.append(Path(src))
        if when(Path(src)):
            raise OSError("rename failed")
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    return tried


def old_folder(tmp_path: Path) -> Path:
    dest = tmp_path / "out"
    (dest / "sub").mkdir(parents=True)
    (dest / "a.txt").write_text("old a")
    (dest / "sub" / "b.txt").write_text("old b")
    return dest


# ---------------------------------------------------------------------------------------------
# atomic_file
# ---------------------------------------------------------------------------------------------


def test_file_new_destination(tmp_path: Path) -> None:
    dest = tmp_path / "deep" / "er" / "out.csv"
    with atomic_file(dest) as tmp:
        assert tmp.parent == dest.parent and tmp.is_file() and tmp.read_bytes() == b""
        assert tmp.name.startswith(".out.csv.") and tmp.name.endswith(".tmp")
        assert not dest.exists()  # nothing at the destination until the block ends
        tmp.write_text("new")
    assert dest.read_text() == "new"
    assert beside(dest.parent) == ["out.csv"]


def test_file_replaces_existing(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old")
    with atomic_file(dest, suffix=".part") as tmp:
        assert tmp.name.endswith(".part")
        tmp.write_text("new")
        assert dest.read_text() == "old"
    assert dest.read_text() == "new"
    assert beside(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_file_error_in_block_keeps_old(tmp_path: Path, error: type[BaseException]) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old")
    with pytest.raises(error), atomic_file(dest) as tmp:
        tmp.write_text("half")
        raise error()
    assert dest.read_text() == "old"
    assert beside(tmp_path) == ["out.csv"]


def test_file_error_in_block_leaves_nothing_when_new(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_file(tmp_path / "out.csv") as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert beside(tmp_path) == []


def test_file_failed_rename_keeps_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old")
    tried = fail_replace(monkeypatch, lambda src: True)
    with pytest.raises(OSError, match="rename failed"), atomic_file(dest) as tmp:
        tmp.write_text("new")
    assert len(tried) == 1
    assert dest.read_text() == "old"
    assert beside(tmp_path) == ["out.csv"]


# ---------------------------------------------------------------------------------------------
# atomic_dir
# ---------------------------------------------------------------------------------------------


def test_dir_new_destination(tmp_path: Path) -> None:
    dest = tmp_path / "deep" / "out"
    with atomic_dir(dest) as tmp:
        assert tmp.is_dir() and not any(tmp.iterdir())
        assert tmp.parent.parent == dest.parent  # beside dest: the rename stays on one disk
        assert not dest.exists()
        (tmp / "a.txt").write_text("new a")
    assert tree(dest) == {"a.txt": "new a"}
    assert beside(dest.parent) == ["out"]


def test_dir_replaces_existing(tmp_path: Path) -> None:
    dest = old_folder(tmp_path)
    with atomic_dir(dest) as tmp:
        (tmp / "c.txt").write_text("new c")
        assert tree(dest) == {"a.txt": "old a", "sub/b.txt": "old b"}  # untouched meanwhile
    assert tree(dest) == {"c.txt": "new c"}  # replaced whole, not merged
    assert beside(tmp_path) == ["out"]


def test_dir_replaces_empty_folder(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    with atomic_dir(dest) as tmp:
        (tmp / "a.txt").write_text("a")
    assert tree(dest) == {"a.txt": "a"}
    assert beside(tmp_path) == ["out"]


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_dir_error_in_block_keeps_old(tmp_path: Path, error: type[BaseException]) -> None:
    dest = old_folder(tmp_path)
    with pytest.raises(error), atomic_dir(dest) as tmp:
        (tmp / "a.txt").write_text("half")
        raise error()
    assert tree(dest) == {"a.txt": "old a", "sub/b.txt": "old b"}
    assert beside(tmp_path) == ["out"]


def test_dir_error_in_block_leaves_nothing_when_new(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("half")
        raise RuntimeError
    assert beside(tmp_path) == []


def test_dir_failed_rename_restores_previous(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    dest = old_folder(tmp_path)
    tried = fail_replace(monkeypatch, lambda src: src.name == "new")
    with pytest.raises(OSError, match="rename failed"), atomic_dir(dest) as tmp:
        (tmp / "a.txt").write_text("new a")
    # the previous folder was moved aside, the new one failed to move in, the old came back
    assert [p.name for p in tried] == ["out", "new", "old"]
    assert tree(dest) == {"a.txt": "old a", "sub/b.txt": "old b"}
    assert beside(tmp_path) == ["out"]


def test_dir_failed_rename_without_previous(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fail_replace(monkeypatch, lambda src: src.name == "new")
    with pytest.raises(OSError), atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("new a")
    assert beside(tmp_path) == []


def test_dir_previous_is_kept_when_it_cannot_be_put_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = old_folder(tmp_path)
    fail_replace(monkeypatch, lambda src: src.name in ("new", "old"))
    with pytest.raises(OSError), atomic_dir(dest) as tmp:
        (tmp / "a.txt").write_text("new a")
    assert not dest.exists()
    [work] = beside(tmp_path)  # the previous folder is never deleted: it waits in the work folder
    assert work.startswith(f".out.{atomic._HOST}-{os.getpid()}-tmp-")
    assert tree(tmp_path / work / "old") == {"a.txt": "old a", "sub/b.txt": "old b"}


def test_dir_create_false_yields_a_path_the_caller_creates(tmp_path: Path) -> None:
    dest = old_folder(tmp_path)
    with atomic_dir(dest, create=False) as tmp:
        assert not tmp.exists() and tmp.parent.is_dir()
        tmp.mkdir()
        (tmp / "part-0.parquet").write_text("rows")
    assert tree(dest) == {"part-0.parquet": "rows"}
    assert beside(tmp_path) == ["out"]


def test_dir_create_false_never_created_keeps_previous(tmp_path: Path) -> None:
    dest = old_folder(tmp_path)
    with pytest.raises(FileNotFoundError), atomic_dir(dest, create=False):
        pass
    assert tree(dest) == {"a.txt": "old a", "sub/b.txt": "old b"}
    assert beside(tmp_path) == ["out"]


def test_dir_mode(tmp_path: Path) -> None:
    with atomic_dir(tmp_path / "shared", mode=0o751) as tmp:
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o700  # private while being written
        (tmp / "a.txt").write_text("a")
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o751


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_new_files_and_folders_honour_the_umask(tmp_path: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        assert umask() == mask
        with atomic_file(tmp_path / "f.csv") as tmp:
            assert stat.S_IMODE(tmp.stat().st_mode) == 0o600  # private while being written
            tmp.write_text("x")
        with atomic_dir(tmp_path / "d") as tmp:
            (tmp / "a.txt").write_text("a")
    finally:
        os.umask(previous)
    # what `touch` and `mkdir` would have made under the same umask
    assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o777 & ~mask


def test_a_dead_writers_temporary_file_is_swept(tmp_path: Path) -> None:
    # a writer killed with SIGKILL leaves its temporary file; the next write to the same path
    # removes it when its process is gone, and never a live writer's
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = atomic._HOST
    dest = tmp_path / "a.csv"
    dead = tmp_path / f".a.csv.{host}-{gone}-x1y2z3ab.tmp"
    live = tmp_path / f".a.csv.{host}-{os.getppid()}-x1y2z3ab.tmp"
    other = tmp_path / f".b.csv.{host}-{gone}-x1y2z3ab.tmp"
    # another output whose name starts with this one's: 2024 is no pid of its writer
    longer = tmp_path / f".a.csv.2024-05-01.csv.{host}-{os.getppid()}-x1y2z3ab.tmp"
    elsewhere = tmp_path / f".a.csv.otherhost-{gone}-x1y2z3ab.tmp"  # a pid we cannot check
    for p in (dead, live, other, longer, elsewhere):
        p.write_text("partial")
    with atomic_file(dest) as tmp:
        assert tmp.name.startswith(f".a.csv.{host}-{os.getpid()}-")
        tmp.write_text("whole")
    assert dest.read_text() == "whole"
    assert not dead.exists()
    assert live.exists() and other.exists() and longer.exists() and elsewhere.exists()


def test_sigterm_cleans_up_like_ctrl_c(tmp_path: Path) -> None:
    # Python's default SIGTERM ended the process at once: the export's temporary file stayed
    import subprocess
    import sys

    script = """
import os, signal, sys, time
import recommender.query.export as export
from recommender.cli import main
from recommender.io.atomic import atomic_file

def slow(model, films, k, out, **kw):
    with atomic_file(out) as tmp:
        tmp.write_text("partial")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    return 0

export.write_audiences = slow
sys.exit(main(["audiences", sys.argv[1], "--all", "--out", sys.argv[2]]))
"""
    from service_fixtures import save_model

    model = save_model(tmp_path / "model")
    out = tmp_path / "out" / "a.csv"
    r = subprocess.run([sys.executable, "-c", script, str(model), str(out)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 143 and "terminated" in r.stderr, (r.returncode, r.stderr)
    assert list(out.parent.iterdir()) == []


def test_only_a_model_folder_refuses_outputs(tmp_path: Path) -> None:
    # a deploy layout (a current link beside versions/) is no model folder; one whose current
    # holds a model's files is, and so is a flat model folder, at any depth below it
    from recommender.errors import InvalidParameterError

    app = tmp_path / "srv" / "app"
    (app / "versions" / "1.0").mkdir(parents=True)
    (app / "current").symlink_to("versions/1.0")
    atomic.not_in_a_model(app / "exports" / "aud.csv")
    (app / "versions" / "1.0" / "user_factors.npy").write_bytes(b"")
    (app / "versions" / "1.0" / "meta.json").write_text('{"format_version": 2, '
                                                        '"model_version": "v"}')
    for inside in (app / "x.csv", app / "current" / "sub" / "x.csv", app / "versions" / "x.csv"):
        with pytest.raises(InvalidParameterError, match="is inside the model folder"):
            atomic.not_in_a_model(inside)
    (app / "versions" / "1.0" / "meta.json").write_text('{"name": "not a model"}')
    atomic.not_in_a_model(app / "x.csv")


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_sigterm_is_ours_for_either_engine(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # SIGTERM is Terminated outside a Spark session too (a plan --engine spark stopped while
    # it loaded its model died at once, leaving its new store); inside one, the session's own
    # handler takes it as Ctrl-C is taken (tests/spark/test_spark_sigterm_export.py), so it is
    # never raised inside py4j's socket read
    import signal

    import recommender.cli as cli

    seen = []
    monkeypatch.setattr(cli, "cmd_audiences",
                        lambda args: seen.append(signal.getsignal(signal.SIGTERM)) or 0)
    before = signal.getsignal(signal.SIGTERM)
    argv = ["audiences", "m", "--all", "--out", "a.parquet", "--engine", engine]
    assert cli.main(argv) == 0
    assert seen[0] is cli._on_sigterm
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_dead_writers_work_folder_is_swept(tmp_path: Path) -> None:
    # a Spark export killed outright left .NAME.tmp-*/ for good; a dead writer's work folder
    # goes with the next write to the same path, unless it holds the previous output
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = atomic._HOST
    dead = tmp_path / f".out.{host}-{gone}-tmp-abcd1234"
    (dead / "new").mkdir(parents=True)
    kept = tmp_path / f".out.{host}-{gone}-tmp-efgh5678"
    (kept / "old").mkdir(parents=True)  # the previous output, moved aside and never put back
    live = tmp_path / f".out.{host}-{os.getppid()}-tmp-ijkl9012"
    live.mkdir()
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("a")
    assert not dead.exists() and kept.exists() and live.exists()


def test_a_folder_that_cannot_take_the_work_folder_is_named_as_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only folder (``demo-data`` into it): the error named the hidden work folder
    (``.dd.<host>-<pid>-tmp-xxxxxxxx``, which never existed), where ``atomic_file``'s names
    the output asked for."""
    import errno
    import tempfile

    def refused(prefix: str = "", dir: str | None = None, **kw: object) -> str:
        raise OSError(errno.EROFS, "Read-only file system", os.path.join(str(dir), prefix + "x"))

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    with pytest.raises(OSError) as e, atomic_dir(tmp_path / "dd"):
        pass
    assert (e.value.errno, e.value.filename) == (errno.EROFS, str(tmp_path / "dd"))
