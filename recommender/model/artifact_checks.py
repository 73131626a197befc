"""A saved model's files checked as they load: the files meta.json lists, array shapes, CSR parts.

A file whose form is wrong raises ``ArtifactError`` naming it; ``format_version`` is the
oldest format that reads a folder trained with given parameters fully.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.errors import ArtifactError
from recommender.model.files import FILES, META


def format_version(params: dict[str, Any]) -> int:
    """The oldest format that reads a folder trained with ``params`` fully: 2 with a popularity
    prior, 1 without (so workers older than the prior still load such a folder)."""
    return 2 if _popularity({"params": params}) > 0 else 1


def _popularity(meta: dict[str, Any]) -> float:
    """``params.popularity`` of ``meta`` (0 when absent: models written before the prior)."""
    params = meta.get("params")
    value = params.get("popularity", 0) if isinstance(params, dict) else 0
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _check_files(src: Path, files: Any, needed: list[str]) -> dict[str, dict[str, Any]]:
    """meta.json's ``files``, checked for form: every needed file listed, plain names."""
    where = src / META
    if not isinstance(files, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("sha256"), str)
            and isinstance(v.get("bytes"), int) for v in files.values()):
        raise ArtifactError(f"{where}: '{FILES}' must map each file name to its bytes and sha256")
    for name in files:
        if not name or name in (".", "..", META) or "/" in name or "\\" in name:
            raise ArtifactError(f"{where}: '{FILES}' lists {name!r}, not a file of the folder")
    unlisted = [f for f in needed if f not in files]
    if unlisted:
        raise ArtifactError(f"{where}: no checksum recorded for {', '.join(unlisted)}")
    return files


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
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape, copy=False)
