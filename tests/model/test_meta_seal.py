"""meta.json checks itself: a byte changed in it that leaves valid JSON (a parameter, the model
version, a checksum of another file) is refused by name, as a changed array is.

Before, meta.json recorded the size and SHA-256 of every other file but nothing of its own,
so `"popularity": 3.0` turned `4.0`, or `"model_version": "2026..."` turned `"3026..."`,
loaded, was published by `POST /admin/reload` and served under the altered version. Oracle:
the edit is made with the json module on the saved file; a folder written before the seal
(the field removed) still loads, unchecked, as one written before checksums does."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import synthetic_model

from recommender.errors import ArtifactError
from recommender.model import artifact, layout

SELF = "meta_sha256"  # meta.json's own checksum (a field of the format)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = synthetic_model(n_users=60, n_films=20, seed=4)
    return artifact.save(model, tmp_path_factory.mktemp("models") / "model")


def _copy(saved: Path, dest: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    shutil.copytree(layout.resolve(saved), dest)
    meta = json.loads((dest / "meta.json").read_text(encoding="utf-8"))
    edit(meta)
    (dest / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return dest


def _set_regularization(meta: dict[str, Any]) -> None:
    meta["params"]["regularization"] += 2


def _set_version(meta: dict[str, Any]) -> None:
    meta["model_version"] = "3" + meta["model_version"][1:]


def _as_is(meta: dict[str, Any]) -> None:  # written back with other white space only
    pass


@pytest.mark.parametrize("edit", [_set_regularization, _set_version])
def test_a_valid_json_edit_of_meta_json_is_refused_naming_it(
        saved: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    folder = _copy(saved, tmp_path / "m", edit)
    with pytest.raises(ArtifactError) as e:
        artifact.load(folder)
    assert str(folder / "meta.json") in str(e.value)
    assert "altered on disk since the model was saved" in str(e.value)
    # publishing it (what POST /admin/reload with a model_path does) is refused too: the
    # destination keeps its version
    dest = artifact.save(artifact.load(saved), tmp_path / "dest")
    before = layout.resolve(dest)
    with pytest.raises(ArtifactError, match="meta.json: altered on disk"):
        artifact.publish(folder, dest)
    assert layout.resolve(dest) == before


def test_the_saved_folder_and_one_reformatted_load(saved: Path, tmp_path: Path) -> None:
    raw = json.loads((layout.resolve(saved) / "meta.json").read_text(encoding="utf-8"))
    assert isinstance(raw[SELF], str) and len(raw[SELF]) == 64
    model = artifact.load(saved)
    assert SELF not in model.meta  # the seal is the file's, not the model's
    # the same content with other white space: nothing of the model changed
    same = _copy(saved, tmp_path / "same", _as_is)
    assert artifact.load(same).meta == model.meta


def test_a_folder_written_before_the_seal_loads_unchecked(saved: Path, tmp_path: Path) -> None:
    def older(meta: dict[str, Any]) -> None:
        del meta[SELF]
        meta["params"]["regularization"] += 2  # unnoticed, as before the seal

    folder = _copy(saved, tmp_path / "old", older)
    assert artifact.load(folder).meta["params"]["regularization"] == (
        artifact.load(saved).meta["params"]["regularization"] + 2)
    with pytest.raises(ArtifactError, match="meta.json: altered on disk"):
        artifact.load(_copy(saved, tmp_path / "other", _set_regularization))
    # verify=False (a caller that skips the checksums) skips the seal too
    assert artifact.load(_copy(saved, tmp_path / "v", _set_regularization), verify=False)


def test_a_version_with_an_edited_meta_json_does_not_take_the_rollbacks_place(
        tmp_path: Path) -> None:
    """Retention keeps, besides the new version, the last one that loads: a current version
    whose meta.json was edited (refused by ``load``) counted as whole, was kept as the
    rollback, and the last version that loads was deleted."""
    root = tmp_path / "m"
    first = synthetic_model(n_users=60, n_films=20, seed=1)
    artifact.save(first, root)
    artifact.save(synthetic_model(n_users=60, n_films=20, seed=2), root)
    good, edited = layout.versions(root)
    meta = json.loads((edited / "meta.json").read_text(encoding="utf-8"))
    _set_regularization(meta)
    (edited / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    artifact.save(synthetic_model(n_users=60, n_films=20, seed=3), root)
    kept = [v.name for v in layout.versions(root)]
    assert good.name in kept and len(kept) == 3  # the edited one beside it, not in its place
    assert artifact.load(good).meta["params"] == first.meta["params"]
