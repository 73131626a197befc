"""The model folder: lossless round trip, read-only memory maps, clear errors on every kind
of corruption (with and without recorded checksums), and atomic saves.

The versioned layout itself (kills at every step, migration, cleanup, checksums) is tested in
``test_artifact_layout.py``."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import demo_model, synthetic_model

from recommender.errors import ArtifactError
from recommender.model import artifact, layout
from recommender.model.model import Model
from recommender.query.audience import audience_summary, film_audience
from recommender.query.recommend import recommend_user


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=200, n_films=40, seed=9)


@pytest.fixture(scope="module")
def saved(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return artifact.save(model, tmp_path_factory.mktemp("models") / "model")


@pytest.fixture(params=["checked", "unchecked"])
def copy(saved: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A writable flat copy of the saved model's files, to corrupt: "checked" keeps
    meta.json's checksums (damage is caught by them), "unchecked" drops them, as a folder
    written before checksums (damage is caught by the structural checks)."""
    dest = tmp_path / "m"
    shutil.copytree(layout.resolve(saved), dest)
    if request.param == "unchecked":
        meta = json.loads((dest / "meta.json").read_text())
        del meta["files"]
        meta.pop("meta_sha256", None)  # edited: as written before its seal
        (dest / "meta.json").write_text(json.dumps(meta))
    return dest


def assert_models_equal(a: Model, b: Model, extra_meta: dict[str, Any] | None = None) -> None:
    assert a.users.ids.tolist() == b.users.ids.tolist()
    assert a.films.ids.tolist() == b.films.ids.tolist()
    assert np.array_equal(a.user_factors, b.user_factors)
    assert np.array_equal(a.film_factors, b.film_factors)
    assert a.user_factors.dtype == b.user_factors.dtype == np.float32
    for name in ("seen", "seen_by_film"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape
        assert np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices)
        assert (x != y).nnz == 0
    for name in ("film_ids", "titles", "years", "genres"):
        assert np.array_equal(getattr(a.catalog, name), getattr(b.catalog, name)), name
    assert a.user_table.user_ids.tolist() == b.user_table.user_ids.tolist()
    assert sorted(a.user_table.attributes) == sorted(b.user_table.attributes)
    for name, values in a.user_table.attributes.items():
        assert np.asarray(values).tolist() == np.asarray(b.user_table.attributes[name]).tolist()
    assert np.array_equal(a.segments.labels, b.segments.labels)
    assert a.segments.info == b.segments.info
    assert a.calibration == b.calibration
    assert b.meta == {**a.meta, **(extra_meta or {})}


@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip_is_lossless(model: Model, saved: Path, mmap: bool) -> None:
    loaded = artifact.load(saved, mmap=mmap)
    assert_models_equal(model, loaded, {"user_attributes": ["age_band", "gender", "region"],
                                        "factors": 8})
    assert loaded.version == "test-0"


def test_mmapped_arrays_are_read_only(saved: Path) -> None:
    loaded = artifact.load(saved)
    assert isinstance(loaded.user_factors, np.memmap)
    assert isinstance(loaded.film_factors, np.memmap)
    for arr in (loaded.user_factors, loaded.film_factors, loaded.seen.indices,
                loaded.seen.indptr, loaded.seen_by_film.indices, loaded.segments.labels):
        assert not arr.flags.writeable
        base = arr  # a memory map or a view of one, never an in-memory copy
        while not isinstance(base, np.memmap) and base.base is not None:
            base = base.base
        assert isinstance(base, np.memmap)
    with pytest.raises(ValueError):
        loaded.user_factors[0, 0] = 1.0
    # queries work on the memory maps and do not try to write them
    fid = str(loaded.films.ids[0])
    page = film_audience(loaded, fid, k=10)
    assert len(page.user_ids) == 10
    audience_summary(loaded, fid)


def test_every_file_loads_with_numpy_mmap_and_no_pickle(saved: Path) -> None:
    folder = layout.resolve(saved)
    assert folder != saved and len(list(folder.glob("*.npy"))) >= 14
    for path in folder.glob("*.npy"):
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        assert arr.dtype != object
    for name in ("segments.json", "calibration.json"):
        json.loads((folder / name).read_text())


def test_trained_model_round_trip_answers_the_same(tmp_path_factory: pytest.TempPathFactory,
                                                   tmp_path: Path) -> None:
    _, m = demo_model(tmp_path_factory)
    loaded = artifact.load(artifact.save(m, tmp_path / "demo-model"))
    assert_models_equal(m, loaded, {"user_attributes": sorted(m.user_table.attributes),
                                    "factors": 32})
    assert artifact.artifact_size(tmp_path / "demo-model") > m.user_factors.nbytes
    meta = json.loads((layout.resolve(tmp_path / "demo-model") / "meta.json").read_text())
    assert {"format_version", "model", "params", "data", "created", "versions",
            "files"} <= set(meta)
    assert meta["data"]["fingerprint"] and meta["data"]["users"] == m.n_users
    for f in (0, 17, 99):
        fid = str(m.films.ids[f])
        assert film_audience(m, fid, k=20).to_json() == film_audience(loaded, fid, k=20).to_json()
        assert audience_summary(m, fid) == audience_summary(loaded, fid)
    uid = str(m.users.ids[5])
    assert recommend_user(m, uid).rows(m) == recommend_user(loaded, uid).rows(loaded)


# ------------------------------------------------------------------ corruption


def expect_error(path: Path, *fragments: str) -> None:
    for mmap in (True, False):
        with pytest.raises(ArtifactError) as e:
            artifact.load(path, mmap=mmap)
        for fragment in fragments:
            assert fragment in str(e.value), (fragment, str(e.value))


def test_missing_folder_and_files(copy: Path, tmp_path: Path) -> None:
    expect_error(tmp_path / "nowhere", "no such model folder")
    (copy / "film_factors.npy").unlink()
    expect_error(copy, "missing", "film_factors.npy")
    (copy / "user_attr_region.npy").unlink()
    expect_error(copy, "user_attr_region.npy")
    (copy / "meta.json").unlink()
    expect_error(copy, "meta.json")


@pytest.mark.parametrize("text,fragment", [
    ("{not json", "meta.json"),
    ("", "meta.json"),
    ("[1, 2]", "JSON object"),
    ('{"format_version": 999}', "999"),
    ('{"model": "als"}', "version"),
])
def test_bad_meta(copy: Path, text: str, fragment: str) -> None:
    (copy / "meta.json").write_text(text)
    expect_error(copy, fragment)


def test_wrong_format_version_is_named(copy: Path) -> None:
    meta = json.loads((copy / "meta.json").read_text())
    for version in (max(artifact.READABLE_VERSIONS) + 1, 0, True, "1"):
        meta["format_version"] = version
        meta.pop("meta_sha256", None)  # edited: as written before its seal
        (copy / "meta.json").write_text(json.dumps(meta))
        expect_error(copy, "version", repr(version))


def test_a_format_from_a_newer_engine_says_to_upgrade(copy: Path) -> None:
    """A folder written by a newer engine was refused with "retrain with this version", as
    if the folder were old: the operator who rolled the engine back needs the newer one."""
    meta = json.loads((copy / "meta.json").read_text())
    meta["format_version"] = max(artifact.READABLE_VERSIONS) + 1
    meta.pop("meta_sha256", None)  # edited: as written before its seal
    (copy / "meta.json").write_text(json.dumps(meta))
    expect_error(copy, "written by a newer version of the engine: upgrade this one")
    meta["format_version"] = 0
    (copy / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="retrain with this version") as e:
        artifact.load(copy)
    assert "upgrade" not in str(e.value)


def test_a_current_link_to_a_removed_version_is_named(saved: Path, tmp_path: Path) -> None:
    """``current`` pointing at a version removed by hand was "MODEL: no such model folder",
    though the folder was there, with other versions in it."""
    root = tmp_path / "model"
    shutil.copytree(saved, root, symlinks=True)
    (root / "current").unlink()
    (root / "current").symlink_to("versions/000009-gone")
    expect_error(root, f"{root}: its 'current' points at versions/000009-gone, which does "
                       "not exist")


@pytest.mark.parametrize("name", ["user_factors", "film_ids", "seen_indices", "user_segments"])
def test_truncated_array(copy: Path, name: str) -> None:
    path = copy / f"{name}.npy"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - max(8, len(raw) // 3)])
    expect_error(copy, f"{name}.npy")


def test_garbage_array_file(copy: Path) -> None:
    (copy / "film_factors.npy").write_bytes(b"this is not an npy file at all" * 10)
    expect_error(copy, "film_factors.npy")


@pytest.mark.parametrize("name,value", [
    ("film_factors", np.zeros((39, 8), np.float32)),        # one film short
    ("film_factors", np.zeros((40, 7), np.float32)),        # factor count disagrees
    ("user_factors", np.zeros((200,), np.float32)),         # wrong rank
    ("user_segments", np.zeros(199, np.int16)),
    ("film_titles", np.array(["x"] * 41)),
    ("seen_indptr", np.zeros(10, np.int32)),
    ("seen_by_film_indices", np.zeros(3, np.int32)),
    ("user_attr_gender", np.array(["F"] * 5)),
])
def test_inconsistent_shapes(copy: Path, name: str, value: np.ndarray) -> None:
    np.save(copy / f"{name}.npy", value)
    expect_error(copy, name)


def test_inconsistent_contents(copy: Path, saved: Path) -> None:
    saved = layout.resolve(saved)
    np.save(copy / "user_segments.npy", np.full(200, 7, np.int16))
    expect_error(copy, "segment")
    shutil.copy(saved / "user_segments.npy", copy / "user_segments.npy")
    ids = np.load(copy / "user_ids.npy")
    ids[1] = ids[0]
    np.save(copy / "user_ids.npy", ids)
    expect_error(copy, "id")
    shutil.copy(saved / "user_ids.npy", copy / "user_ids.npy")
    indices = np.load(copy / "seen_indices.npy")
    indices[0] = 40  # a film index past the last film
    np.save(copy / "seen_indices.npy", indices)
    expect_error(copy, "seen_indices")
    shutil.copy(saved / "seen_indices.npy", copy / "seen_indices.npy")
    (copy / "segments.json").write_text("{{{")
    expect_error(copy, "segments")
    shutil.copy(saved / "segments.json", copy / "segments.json")
    artifact.load(copy)  # restored: loads again


# ------------------------------------------------------------------ atomic saves


def fail_on_nth_save(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    real = np.save
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError("No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(artifact.np, "save", flaky)


def test_interrupted_save_leaves_nothing(model: Model, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fail_on_nth_save(monkeypatch, 5)
    with pytest.raises(OSError, match="No space"):
        artifact.save(model, tmp_path / "new-model")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "empty").mkdir()  # an empty folder it did not create stays, empty of models
    fail_on_nth_save(monkeypatch, 5)
    with pytest.raises(OSError, match="No space"):
        artifact.save(model, tmp_path / "empty")
    assert not layout.is_versioned(tmp_path / "empty")
    assert layout.versions(tmp_path / "empty") == []
    assert not list((tmp_path / "empty" / "versions").iterdir())


def test_interrupted_save_keeps_previous_model(model: Model, saved: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "model"
    shutil.copytree(saved, dest, symlinks=True)
    before = files_of(dest)
    other = synthetic_model(n_users=50, n_films=10, seed=3)
    fail_on_nth_save(monkeypatch, 3)
    with pytest.raises(OSError):
        artifact.save(other, dest)
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert files_of(dest) == before
    assert_models_equal(model, artifact.load(dest), {"user_attributes": ["age_band", "gender",
                                                                         "region"], "factors": 8})
    monkeypatch.undo()
    # a complete save replaces it, leaving no temporary folder behind
    artifact.save(other, dest)
    assert artifact.load(dest).n_users == 50
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert len(layout.versions(dest)) == 2  # the new one and the previous one


def test_save_refuses_to_clobber_non_models(model: Model, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArtifactError, match="not a folder"):
        artifact.save(model, tmp_path / "file")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("precious")
    with pytest.raises(ArtifactError, match="not a model"):
        artifact.save(model, tmp_path / "docs")
    assert (tmp_path / "docs" / "notes.txt").read_text() == "precious"


def files_of(root: Path) -> dict[str, bytes | str]:
    """Every file (bytes) and link (target) under ``root``, by relative path."""
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        if p.name == ".lock":  # the writers' lock: always empty
            continue
        if p.is_symlink():
            out[str(p.relative_to(root))] = os.readlink(p)
        elif p.is_file():
            out[str(p.relative_to(root))] = p.read_bytes()
    return out


def test_failed_swap_restores_previous_model(model: Model, saved: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when swapping ``current`` to the new version fails, the previous model stays,
    and nothing of the new one is left."""
    dest = tmp_path / "model"
    shutil.copytree(saved, dest, symlinks=True)
    before = files_of(dest)
    real = os.replace

    def flaky(src: Any, dst: Any) -> None:
        if Path(dst) == dest / "current":
            raise OSError("rename failed")  # the link's rename into place
        real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="rename failed"):
        artifact.save(synthetic_model(n_users=50, n_films=10, seed=3), dest)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert files_of(dest) == before


def test_model_folder_and_exports_honour_the_umask(model: Model, tmp_path: Path) -> None:
    """A teammate or a service account reads a model folder and an export as the umask allows
    (they used to be owner-only whatever the umask)."""
    from recommender.query.export import write_audiences

    previous = os.umask(0o022)
    try:
        folder = artifact.save(model, tmp_path / "model")
        write_audiences(model, np.arange(3), 5, tmp_path / "a.csv", progress=False)
    finally:
        os.umask(previous)
    version = layout.resolve(folder)
    for d in (folder, folder / "versions", version):
        assert stat.S_IMODE(d.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in version.iterdir()} == {0o644}
    assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644


def test_training_data_given_as_the_model_folder_says_to_train_first(tmp_path: Path) -> None:
    # `audience build/demo-data ID` (the data folder, or its log, for the model) said only
    # "not a model folder (meta.json is missing)"
    data = tmp_path / "data"
    data.mkdir()
    (data / "interactions.csv").write_text("user_id,film_id\nu1,f1\n")
    for given, start in ((data, "not a model folder (meta.json is missing)"),
                         (data / "interactions.csv", "a file, not a model folder")):
        with pytest.raises(ArtifactError) as e:
            artifact.load(given)
        assert str(e.value) == (f"{given}: {start}; it looks like training data: train a model "
                                f"on it first (recommender train --data {given} --out MODEL)")
    # an empty folder, or a model folder whose meta.json is gone, is no training data
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match=r"missing\)$"):
        artifact.load(tmp_path / "empty")
