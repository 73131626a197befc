"""A save (or a publish) over a flat folder keeps the flat model as the folder's first version,
its files hard-linked, so the migration leaves it to roll back to (it was removed for good); a
flat folder written before checksums, which nothing can check, is not kept.

Oracle: the model saved (``numpy.array_equal`` of its arrays), each version's ``model_version``
read from its ``meta.json`` with the json module, and the inodes of the files (``os.stat``)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.model import artifact, layout, versions
from recommender.model.model import Model


def tiny(version: str, seed: int) -> Model:
    m = synthetic_model(n_users=40, n_films=10, seed=seed)
    m.meta["model_version"] = version
    return m


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {"old": tiny("old", 1), "new": tiny("new", 2)}


def flat_folder(model: Model, tmp_path: Path, checksums: bool = True) -> Path:
    """A flat model folder (the files directly in it), as written before versions."""
    flat = tmp_path / "flat"
    shutil.copytree(layout.resolve(artifact.save(model, tmp_path / "template")), flat)
    if not checksums:
        meta = json.loads((flat / "meta.json").read_text())
        del meta["files"], meta["meta_sha256"]
        (flat / "meta.json").write_text(json.dumps(meta))
    return flat


def on_disk(root: Path) -> list[str]:
    return [json.loads((p / "meta.json").read_text())["model_version"]
            for p in layout.versions(root)]


@pytest.mark.parametrize("how", ["save", "publish"])
def test_the_flat_model_is_kept_as_the_first_version(models: dict[str, Model], tmp_path: Path,
                                                     how: str) -> None:
    flat = flat_folder(models["old"], tmp_path)
    inode = os.stat(flat / "user_factors.npy").st_ino
    if how == "save":
        artifact.save(models["new"], flat)
    else:  # POST /admin/reload naming another folder publishes into the served one
        artifact.publish(artifact.save(models["new"], tmp_path / "other"), flat)
    assert artifact.load(flat).version == "new"
    assert on_disk(flat) == ["old", "new"]
    kept = layout.versions(flat)[0]
    assert kept.name.endswith("-old")
    assert os.stat(kept / "user_factors.npy").st_ino == inode  # linked, not copied
    assert not (flat / "user_factors.npy").exists()  # the flat files went, as before
    back = artifact.load(kept)  # whole: every checksum
    assert np.array_equal(back.user_factors, models["old"].user_factors)
    assert versions.rollback(flat)["model_version"] == "old"
    assert np.array_equal(artifact.load(flat).film_factors, models["old"].film_factors)


def test_a_flat_folder_without_checksums_is_not_kept(models: dict[str, Model],
                                                     tmp_path: Path) -> None:
    flat = flat_folder(models["old"], tmp_path, checksums=False)
    with pytest.warns(UserWarning, match="not kept as a version to roll back to: its "
                                         "meta.json records no checksums"):
        artifact.save(models["new"], flat)
    assert on_disk(flat) == ["new"]


def test_a_damaged_flat_model_is_not_kept(models: dict[str, Model], tmp_path: Path) -> None:
    flat = flat_folder(models["old"], tmp_path)
    with open(flat / "film_ids.npy", "ab") as f:  # its size no longer the one recorded
        f.write(b"\0")
    with pytest.warns(UserWarning, match="not kept .*: some of its files are missing or not "
                                         "at the sizes"):
        artifact.save(models["new"], flat)
    assert on_disk(flat) == ["new"]
    assert not list((flat / "versions").glob(".tmp-*"))


def test_a_flat_model_the_file_system_will_not_link_is_said_not_kept(
        models: dict[str, Model], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Hard links refused (versions/ on another file system: EXDEV; fs.protected_hardlinks:
    EPERM): the save goes on, and says the flat model is not kept to roll back to (it was
    dropped without a word); `train` says it as its own warning line."""
    import errno

    from helpers import run_cli

    flat = flat_folder(models["old"], tmp_path)

    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(layout.os, "link", refuse)
    data = tmp_path / "log.csv"
    data.write_text("user_id,film_id\n" + "".join(f"u{i},f{i % 5}\n" for i in range(40)))
    code, _, err = run_cli(capsys, "train", "--data", data, "--out", flat, "--no-tune",
                           "--factors", 4, "--iterations", 1)
    assert code == 0, err
    said = [ln for ln in err.splitlines() if "not kept as a version" in ln]
    assert len(said) == 1 and said[0].startswith(f"warning: {flat}: the flat model"), err
    assert "could not be hard-linked" in said[0] and "Invalid cross-device link" in said[0]
    assert len(on_disk(flat)) == 1
