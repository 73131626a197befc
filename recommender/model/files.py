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

from recommender.model import layout

CHUNK = 1 << 20  # bytes hashed at a time


def npy_file(arr: NDArray[Any]) -> Callable[[IO[bytes]], Any]:
    return lambda f: np.save(f, arr, allow_pickle=False)


def raw_file(data: bytes) -> Callable[[IO[bytes]], Any]:
    return lambda f: f.write(data)


def json_file(obj: Any) -> Callable[[IO[bytes]], Any]:
    text = json.dumps(obj, indent=1, ensure_ascii=False) + "\n"
    return lambda f: f.write(text.encode("utf-8"))


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
