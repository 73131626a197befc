"""The model folder: ``save(model, path)`` and ``load(path)``.

Layout (no pickle; every array loads with ``numpy.load(..., mmap_mode="r")``)::

    meta.json              format version, model + parameters, data fingerprint and counts,
                           creation time, library versions, and the list of user attributes
    user_factors.npy       (n_users, f) float32
    film_factors.npy       (n_films, f) float32
    user_ids.npy           (n_users,) unicode
    film_ids.npy           (n_films,) unicode
    seen_indptr.npy, seen_indices.npy                  users x films training CSR (structure)
    seen_by_film_indptr.npy, seen_by_film_indices.npy  its films x users transpose
    film_titles.npy, film_years.npy, film_genres.npy   catalog, aligned to film_ids
    user_attr_<name>.npy   one unicode array per user attribute, aligned to user_ids
    user_segments.npy      (n_users,) int16
    segments.json          segment descriptions
    calibration.json       tier conversion counts (see calibration.py)

Writes go to a temporary sibling folder that is renamed into place, so an interrupted save
never leaves a broken model; an existing model at ``path`` is replaced only after the new one
is complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import ArtifactError
from recommender.io.atomic import atomic_dir
from recommender.io.dataset import Catalog, UserTable
from recommender.io.ids import IdMap
from recommender.model.model import Model, Segments

FORMAT_VERSION = 1  # the model folder layout; bump when a file or a field changes meaning
META = "meta.json"
REQUIRED = (
    "user_factors.npy", "film_factors.npy", "user_ids.npy", "film_ids.npy",
    "seen_indptr.npy", "seen_indices.npy", "seen_by_film_indptr.npy",
    "seen_by_film_indices.npy", "film_titles.npy", "film_years.npy", "film_genres.npy",
    "user_segments.npy", "segments.json", "calibration.json",
)


def save(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to the folder ``path`` atomically; returns the path."""
    dest = Path(path)
    if dest.exists() and not dest.is_dir():
        raise ArtifactError(f"{dest}: exists and is not a folder")
    if dest.exists() and any(dest.iterdir()) and not (dest / META).exists():
        raise ArtifactError(f"{dest}: is a non-empty folder that is not a model; "
                            "refusing to overwrite it")
    # one index dtype for indptr and indices, so scipy wraps the memory-mapped arrays as they are
    idx = np.int32 if model.seen.nnz < 2**31 - 1 else np.int64
    with atomic_dir(dest) as tmp:
        arrays: dict[str, NDArray[Any]] = {
            "user_factors": np.ascontiguousarray(model.user_factors, np.float32),
            "film_factors": np.ascontiguousarray(model.film_factors, np.float32),
            "user_ids": np.asarray(model.users.ids, dtype=str),
            "film_ids": np.asarray(model.films.ids, dtype=str),
            "seen_indptr": np.asarray(model.seen.indptr, idx),
            "seen_indices": np.asarray(model.seen.indices, idx),
            "seen_by_film_indptr": np.asarray(model.seen_by_film.indptr, idx),
            "seen_by_film_indices": np.asarray(model.seen_by_film.indices, idx),
            "film_titles": np.asarray(model.catalog.titles, dtype=str),
            "film_years": np.asarray(model.catalog.years, np.int32),
            "film_genres": np.asarray(model.catalog.genres, dtype=str),
            "user_segments": np.asarray(model.segments.labels, np.int16),
        }
        for name, values in model.user_table.attributes.items():
            arrays[f"user_attr_{name}"] = np.asarray(values, dtype=str)
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr, allow_pickle=False)
        _write_json(tmp / "segments.json", model.segments.info)
        _write_json(tmp / "calibration.json", model.calibration)
        meta = dict(model.meta)
        meta["user_attributes"] = sorted(model.user_table.attributes)
        meta["factors"] = int(model.user_factors.shape[1])
        _write_json(tmp / META, meta)
    return dest


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def artifact_size(path: str | os.PathLike[str]) -> int:
    """Total bytes of the files in a model folder."""
    return sum(p.stat().st_size for p in Path(path).iterdir() if p.is_file())


def load(path: str | os.PathLike[str], mmap: bool = True) -> Model:
    """Load and validate a model folder. Large arrays are memory-mapped read-only by default.

    Raises ``ArtifactError`` naming what is wrong: a missing folder or file, an unreadable
    or wrong-version ``meta.json``, or arrays whose shapes disagree.
    """
    src = Path(path)
    if not src.is_dir():
        raise ArtifactError(f"{src}: no such model folder")
    try:
        meta = json.loads((src / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{src}: not a model folder ({META} is missing)") from None
    except (OSError, ValueError) as e:
        raise ArtifactError(f"{src / META}: unreadable ({e})") from None
    if not isinstance(meta, dict):
        raise ArtifactError(f"{src / META}: expected a JSON object")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(f"{src}: model format version {version!r} is not supported "
                            f"(expected {FORMAT_VERSION}); retrain with this version")
    attrs = [str(a) for a in meta.get("user_attributes", [])]
    needed = list(REQUIRED) + [f"user_attr_{a}.npy" for a in attrs]
    missing = [f for f in needed if not (src / f).is_file()]
    if missing:
        raise ArtifactError(f"{src}: incomplete model folder, missing {', '.join(missing)}")
    mode: Literal["r"] | None = "r" if mmap else None

    def arr(name: str) -> NDArray[Any]:
        try:
            return np.load(src / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ArtifactError(f"{src / (name + '.npy')}: unreadable ({e})") from None

    uf, ff = arr("user_factors"), arr("film_factors")
    user_ids, film_ids = arr("user_ids"), arr("film_ids")
    n_users, n_films = len(user_ids), len(film_ids)
    _expect(src, "user_factors", uf.shape[0] == n_users and uf.ndim == 2,
            f"{n_users} rows", uf.shape)
    _expect(src, "film_factors", ff.ndim == 2 and ff.shape == (n_films, uf.shape[1]),
            f"({n_films}, {uf.shape[1]})", ff.shape)
    seen = _csr(src, arr, "seen", (n_users, n_films))
    seen_by_film = _csr(src, arr, "seen_by_film", (n_films, n_users))
    if seen.nnz != seen_by_film.nnz:
        raise ArtifactError(f"{src}: seen and seen_by_film disagree ({seen.nnz} vs "
                            f"{seen_by_film.nnz} entries)")
    titles, years, genres = arr("film_titles"), arr("film_years"), arr("film_genres")
    for name, column in (("film_titles", titles), ("film_years", years), ("film_genres", genres)):
        _expect(src, name, column.shape == (n_films,), f"({n_films},)", column.shape)
    labels = arr("user_segments")
    _expect(src, "user_segments", labels.shape == (n_users,), f"({n_users},)", labels.shape)
    attributes: dict[str, NDArray[np.str_]] = {}
    for a in attrs:
        col = arr(f"user_attr_{a}")
        _expect(src, f"user_attr_{a}", col.shape == (n_users,), f"({n_users},)", col.shape)
        attributes[a] = col
    try:
        seg_info = json.loads((src / "segments.json").read_text(encoding="utf-8"))
        calib = json.loads((src / "calibration.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ArtifactError(f"{src}: unreadable segments/calibration ({e})") from None
    if n_users and int(np.max(labels)) >= len(seg_info):
        raise ArtifactError(f"{src}: user_segments refers to segment {int(np.max(labels))} "
                            f"but segments.json lists {len(seg_info)}")
    try:
        users, films = IdMap(np.asarray(user_ids)), IdMap(np.asarray(film_ids))
    except ValueError as e:
        raise ArtifactError(f"{src}: bad id arrays ({e})") from None
    return Model(
        users=users, films=films, user_factors=uf, film_factors=ff, seen=seen,
        seen_by_film=seen_by_film,
        catalog=Catalog(np.asarray(film_ids, dtype=str), titles, years, genres),
        user_table=UserTable(np.asarray(user_ids, dtype=str), attributes),
        segments=Segments(labels, seg_info), meta=meta, calibration=calib,
    )


def _expect(src: Path, name: str, ok: bool, expected: str, got: Any) -> None:
    if not ok:
        raise ArtifactError(f"{src / (name + '.npy')}: inconsistent shape, expected {expected}, "
                            f"got {tuple(got)}")


def _csr(src: Path, arr: Any, name: str, shape: tuple[int, int]) -> sp.csr_matrix:
    indptr, indices = arr(f"{name}_indptr"), arr(f"{name}_indices")
    _expect(src, f"{name}_indptr", indptr.shape == (shape[0] + 1,), f"({shape[0] + 1},)",
            indptr.shape)
    if shape[0] and (int(indptr[-1]) != len(indices) or int(indptr[0]) != 0):
        raise ArtifactError(f"{src / (name + '_indptr.npy')}: does not match "
                            f"{name}_indices ({int(indptr[-1])} vs {len(indices)} entries)")
    if shape[0] and (np.diff(indptr) < 0).any():
        raise ArtifactError(f"{src / (name + '_indptr.npy')}: row pointers are not increasing")
    if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= shape[1]):
        raise ArtifactError(f"{src / (name + '_indices.npy')}: column index out of range "
                            f"[0, {shape[1]})")
    data = np.ones(len(indices), np.float32)
    m = sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)
    return m
