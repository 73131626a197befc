"""``versions.rollback``: the version ``current`` pointed at before is published as the newest
one (checked first), a second rollback undoes the first, and a damaged or missing target, a
flat folder or the current version is refused with the folder left byte for byte as it was.

Oracle: each version's ``model_version`` read from its ``meta.json`` with the json module, the
arrays of the model saved (``numpy.array_equal``), and the folder's listing and link read with
``os`` before and after a refusal."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.errors import ArtifactError
from recommender.model import artifact, layout, versions
from recommender.model.model import Model


def tiny(version: str, seed: int) -> Model:
    m = synthetic_model(n_users=40, n_films=10, seed=seed)
    m.meta["model_version"] = version
    return m


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {"old": tiny("old", 1), "new": tiny("new", 2)}


def on_disk(root: Path) -> dict[str, str]:
    """{version folder: its meta.json's model_version}, and the version current points at."""
    found = {p.name: json.loads((p / "meta.json").read_text())["model_version"]
             for p in (root / "versions").iterdir() if not p.name.startswith(".")}
    return {**found, "->": os.readlink(root / "current")}


def snapshot(root: Path) -> dict[str, object]:
    return {str(p.relative_to(root)): (os.readlink(p) if p.is_symlink() else
                                       p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


def test_a_rollback_serves_the_previous_model_and_a_second_undoes_it(
        models: dict[str, Model], tmp_path: Path) -> None:
    root = tmp_path / "m"
    artifact.save(models["old"], root)
    artifact.save(models["new"], root)
    assert artifact.load(root).version == "new"
    done = versions.rollback(root)
    assert done["previous_version"] == "new" and done["model_version"] == "old"
    loaded = artifact.load(root)
    assert loaded.version == "old"
    assert np.array_equal(loaded.user_factors, models["old"].user_factors)
    disk = on_disk(root)
    # the model rolled back to is the newest version, the one it replaced kept beside it
    assert disk["->"] == f"versions/{done['version']}" and disk[done["version"]] == "old"
    assert sorted(v for k, v in disk.items() if k != "->") == ["new", "old"]
    assert done["version"] == max(k for k in disk if k != "->")
    # a second rollback goes back to the model served before the first
    again = versions.rollback(root)
    assert again["model_version"] == "new" and artifact.load(root).version == "new"
    # --to names a version by its folder name, its number or its model version
    by_version = versions.rollback(root, to="old")
    assert by_version["model_version"] == "old"
    number = str(int(next(k for k, v in on_disk(root).items() if v == "new").split("-")[0]))
    assert versions.rollback(root, to=number)["model_version"] == "new"


@pytest.mark.parametrize("damage", ["a file altered", "meta.json altered", "a file removed"])
def test_a_damaged_target_is_refused_and_nothing_changes(
        models: dict[str, Model], tmp_path: Path, damage: str) -> None:
    root = tmp_path / "m"
    artifact.save(models["old"], root)
    artifact.save(models["new"], root)
    previous = next(v for v in versions.listed(root) if not v.current).folder
    if damage == "a file altered":  # same size: only the SHA-256 tells
        raw = bytearray((previous / "user_factors.npy").read_bytes())
        raw[-3] ^= 0x01
        (previous / "user_factors.npy").write_bytes(bytes(raw))
    elif damage == "meta.json altered":  # its seal no longer matches
        text = (previous / "meta.json").read_text().replace('"old"', '"odl"')
        (previous / "meta.json").write_text(text)
    else:
        (previous / "film_ids.npy").unlink()
    before = snapshot(root)
    with pytest.raises(ArtifactError, match=f"cannot roll back to {previous.name}") as e:
        versions.rollback(root)
    named = {"a file altered": "user_factors.npy", "meta.json altered": "meta.json",
             "a file removed": "film_ids.npy"}[damage]
    assert named in str(e.value) and "unchanged" in str(e.value)
    assert snapshot(root) == before
    assert artifact.load(root).version == "new"


def test_refusals_name_what_is_wrong(models: dict[str, Model], tmp_path: Path) -> None:
    root = tmp_path / "m"
    artifact.save(models["old"], root)
    with pytest.raises(ArtifactError, match="no version older than the current one"):
        versions.rollback(root)  # one version only
    current = layout.resolve(root).name
    with pytest.raises(ArtifactError, match="is the current version already"):
        versions.rollback(root, to=current)
    # "²" passes str.isdigit and 5,000 digits int()'s length: both ended in its ValueError
    for to in ("000099", "\u00b2", "9" * 5000):
        with pytest.raises(ArtifactError, match="names no kept version"):
            versions.rollback(root, to=to)
    flat = tmp_path / "flat"
    shutil.copytree(layout.resolve(root), flat)
    before = snapshot(flat)
    with pytest.raises(ArtifactError, match="a flat model folder"):
        versions.rollback(flat)
    assert snapshot(flat) == before
    with pytest.raises(ArtifactError, match="no such model folder"):
        versions.rollback(tmp_path / "missing")
    with pytest.raises(ArtifactError, match="name the model folder itself"):
        versions.rollback(root / "current")
    assert [v.as_dict()["current"] for v in versions.listed(root)] == [True]


def test_an_old_versions_plus_zero_created_time_is_listed_in_z_form(
        models: dict[str, Model], tmp_path: Path) -> None:
    """A version saved by an older engine stored ``created`` as ``...+00:00``: ``info
    --versions`` printed it so beside the new ones' ``...Z``, where ``info``, ``/health`` and
    ``campaign list`` show Z (``iso_shown``); the stored text itself is left as it was."""
    from datetime import datetime

    root = tmp_path / "m"
    artifact.save(models["old"], root)
    artifact.save(models["new"], root)
    old, new = sorted(p for p in (root / "versions").iterdir() if not p.name.startswith("."))
    stored = "2026-12-07T21:39:09+00:00"
    for folder, created in ((old, stored), (new, "2026-12-07T22:01:00Z")):
        meta = json.loads((folder / "meta.json").read_text())
        meta["created"] = created
        (folder / "meta.json").write_text(json.dumps(meta))
    kept = versions.listed(root)
    assert [v.created for v in kept] == ["2026-12-07T21:39:09Z", "2026-12-07T22:01:00Z"]
    assert kept[0].created == "2026-12-07T21:39:09Z"
    assert datetime.fromisoformat(kept[0].created) == datetime.fromisoformat(stored)
    assert json.loads((old / "meta.json").read_text())["created"] == stored
    assert kept[0].as_dict()["created"] == "2026-12-07T21:39:09Z"
