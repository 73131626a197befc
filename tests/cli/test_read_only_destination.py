"""A destination on a read-only file system is refused before the run saying so, not as
"Permission denied" (where a chmod or chown cannot help): a model folder, its lock, the folder
a new one would be created in, and an export's folder.

The mount is stood for by ``os.statvfs`` reporting ``ST_RDONLY`` for the folder and
``os.access`` refusing it, as both do on a read-only mount (even to root); a folder refused on a
writable file system is still "Permission denied"."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import run_cli

import recommender.model.training as training
from recommender.io.atomic import check_writable


def _read_only(monkeypatch: pytest.MonkeyPatch, mount: Path, statvfs_too: bool = True) -> None:
    real_access, real_statvfs = os.access, os.statvfs

    def inside(p: Any) -> bool:
        return Path(p) == mount or mount in Path(p).parents

    def access(p: Any, mode: int, **kw: Any) -> bool:
        return not (inside(p) and mode & os.W_OK) and real_access(p, mode, **kw)

    def statvfs(p: Any) -> Any:
        st = real_statvfs(p)
        if not (statvfs_too and inside(p)):
            return st
        return SimpleNamespace(**{k: getattr(st, k) for k in dir(st) if k.startswith("f_")
                                  and k != "f_flag"}, f_flag=st.f_flag | os.ST_RDONLY)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "statvfs", statvfs)


def test_a_model_folder_on_a_read_only_mount_is_named_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "log.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\n")
    code, _, _ = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                         tmp_path / "mnt" / "m", "--no-tune")
    assert code == 0

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained before checking")

    monkeypatch.setattr(training, "train", no_training)
    _read_only(monkeypatch, tmp_path / "mnt")
    for out, named in ((tmp_path / "mnt" / "m", tmp_path / "mnt" / "m" / ".lock"),
                       (tmp_path / "mnt" / "new", tmp_path / "mnt")):
        code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out", out)
        assert code == 2 and "Read-only file system" in err and str(named) in err, err
        assert "Permission denied" not in err and "Traceback" not in err
    with pytest.raises(OSError, match="Read-only file system") as e:
        check_writable(tmp_path / "mnt" / "audiences.csv")
    assert e.value.errno == 30 and e.value.filename == str(tmp_path / "mnt" / "audiences.csv")


def test_a_folder_refused_on_a_writable_mount_is_still_permission_denied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mnt").mkdir()
    _read_only(monkeypatch, tmp_path / "mnt", statvfs_too=False)
    with pytest.raises(OSError, match="Permission denied"):
        check_writable(tmp_path / "mnt" / "audiences.csv")
