"""A save over a flat folder (the layout before versions; a version copied with ``cp -rL``)
removes every file of the flat model, not only the required ones.

The migration removed meta.json, the required arrays and the user attributes, and left the
optional files behind at the top of the folder: ``film_prior.npy``, ``fold_in_projection.npy``,
``unfitted_*.npy`` and the cinema table ``cinemas.csv``, which a later version trained without
one then read as a table copied into the folder by hand (the old model's screens). Oracle: the
folder's listing, and the bytes of a file that is not the model's (kept)."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.distribution.places import cinema_candidates
from recommender.model import artifact, layout


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)


def test_a_migration_removes_the_optional_files_of_the_flat_model(tmp_path: Path) -> None:
    base = synthetic_model(n_users=40, n_films=10, seed=3)
    params = {**base.meta["params"], "popularity": 2.0}
    with_prior = dataclasses.replace(
        base, film_prior=np.linspace(0, 1, 10, dtype=np.float32),
        meta={**base.meta, "params": params, "model_version": "old"})
    table = tmp_path / "cinemas.csv"
    table.write_text("cinema_id,city,region,screens,seats\nc1,x,r,3,300\n")
    template = artifact.save(with_prior, tmp_path / "template", extra={"cinemas.csv": table})
    flat = tmp_path / "flat"
    shutil.copytree(layout.resolve(template), flat)  # a version copied out: a flat folder
    (flat / "notes.txt").write_text("mine")  # not the model's: kept
    assert {"film_prior.npy", "cinemas.csv"} <= {p.name for p in flat.iterdir()}
    assert artifact.load(flat).film_prior is not None

    newer = dataclasses.replace(base, meta={**base.meta, "model_version": "new"})
    artifact.save(newer, flat)  # trained without a cinema table
    assert {p.name for p in flat.iterdir()} == {"current", "versions", ".lock", "meta.json",
                                                "notes.txt"}
    assert (flat / "notes.txt").read_text() == "mine"
    served = artifact.load(flat)
    assert served.version == "new" and served.film_prior is None
    # no cinema table is offered for the new version but its training data's
    assert not any(p.is_file() for p in cinema_candidates(served, flat))


def test_a_table_copied_by_hand_into_a_versioned_folder_is_kept(tmp_path: Path) -> None:
    model = synthetic_model(n_users=40, n_films=10, seed=3)
    folder = artifact.save(model, tmp_path / "m")
    (folder / "cinemas.csv").write_text("cinema_id,city,region,screens,seats\n")
    artifact.save(model, folder)
    assert (folder / "cinemas.csv").read_text() == "cinema_id,city,region,screens,seats\n"


def test_a_table_copied_by_hand_into_a_dereferenced_copy_is_kept(tmp_path: Path) -> None:
    """A versioned folder copied with its links followed (``cp -rL``, a sync to object
    storage and back) has a plain ``meta.json`` at the top, a copy of its version's, and no
    model arrays beside it: the cinema table that version lists is not a flat model's file,
    and the table copied in by hand at the top (read as the folder's) was removed by the
    next save."""
    table = tmp_path / "cinemas.csv"
    table.write_text("cinema_id,city,region,screens,seats\nc1,x,r,3,300\n")
    model = synthetic_model(n_users=40, n_films=10, seed=3)
    src = artifact.save(model, tmp_path / "m", extra={"cinemas.csv": table})
    copy = tmp_path / "copy"
    shutil.copytree(src, copy, symlinks=False)  # links followed
    assert not (copy / "meta.json").is_symlink() and not (copy / "user_factors.npy").exists()
    mine = "cinema_id,city,region,screens,seats\nmine,y,r,9,900\n"
    (copy / "cinemas.csv").write_text(mine)
    artifact.save(model, copy)
    assert (copy / "cinemas.csv").read_text() == mine
    assert artifact.load(copy).version == model.version
