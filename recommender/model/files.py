"""Writing a model version's files: each flushed to disk, with its size and SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import ArtifactError
from recommender.model import layout

CHUNK = 1 << 20  # bytes hashed at a time
META = "meta.json"
FILES = "files"  # meta.json's record of every other file: {name: {"bytes": n, "sha256": hex}}


def npy_file(arr: NDArray[Any]) -> Callable[[IO[bytes]], Any]:
    return lambda f: np.save(f, arr, allow_pickle=False)


def raw_file(data: bytes) -> Callable[[IO[bytes]], Any]:
    return lambda f: f.write(data)


def json_file(obj: Any) -> Callable[[IO[bytes]], Any]:
    text = json.dumps(obj, indent=1, ensure_ascii=False) + "\n"
    return lambda f: f.write(text.encode("utf-8"))


# meta.json's own checksum: it records every other file's, and a byte flipped in it that left
# valid JSON ("iterations": 15 -> 17, a popularity weight, the model version) loaded unnoticed
SELF = "meta_sha256"


def _digest(meta: dict[str, Any]) -> str:
    text = json.dumps(meta, indent=1, ensure_ascii=False) + "\n"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sealed(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` with ``SELF`` last: the SHA-256 of ``meta`` as ``json_file`` writes it."""
    rest = {k: v for k, v in meta.items() if k != SELF}
    return {**rest, SELF: _digest(rest)}


def unsealed(meta: Any, where: Path, verify: bool = True) -> dict[str, Any]:
    """The JSON object read from the ``meta.json`` at ``where`` without ``SELF``; with
    ``verify``, ``ArtifactError`` when the rest is not what was sealed (a folder written before
    the seal has none, and is not checked) and, always, when it is no JSON object."""
    if not isinstance(meta, dict):
        raise ArtifactError(f"{where}: expected a JSON object")
    recorded = meta.pop(SELF, None)
    if verify and recorded is not None and recorded != _digest(meta):
        raise ArtifactError(f"{where}: altered on disk since the model was saved (its "
                            f"content no longer matches the {SELF} recorded in it)")
    return meta


def write_flushed(path: Path, fill: Callable[[IO[bytes]], Any]) -> dict[str, Any]:
    """Write a file with ``fill``, flush it to disk; returns its size and SHA-256. An error
    without a file name (numpy's short write on a full disk: "192000 requested and 30688
    written") is raised naming ``path``."""
    try:
        with open(path, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        if e.filename:
            raise
        raise OSError(e.errno, e.strerror or f"could not write the whole file ({e}): the disk "
                      "is full, or a quota was reached", str(path)) from None
    layout.step(f"wrote {path.name}")
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def file_sha256(path: str | os.PathLike[str], chunk: int = CHUNK) -> str:
    """The SHA-256 of a file, read ``chunk`` bytes at a time (hex)."""
    digest = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(view):
            digest.update(view[:n])
    return digest.hexdigest()


def verify_file(path: Path, info: dict[str, Any]) -> None:
    """Refuse a file whose size or SHA-256 is not the one recorded when it was saved."""
    try:
        size = path.stat().st_size
    except OSError:
        raise ArtifactError(f"{path.parent}: incomplete model folder, missing "
                            f"{path.name}") from None
    if size != info["bytes"]:
        raise ArtifactError(f"{path}: altered on disk since the model was saved ({size:,} "
                            f"bytes, {info['bytes']:,} when saved; truncated or overwritten)")
    try:
        digest = file_sha256(path)
    except OSError as e:
        raise ArtifactError(f"{path}: unreadable ({e})") from None
    if digest != info["sha256"]:
        raise ArtifactError(f"{path}: altered on disk since the model was saved (its SHA-256 "
                            f"is {digest[:16]}..., meta.json recorded {info['sha256'][:16]}...)")
