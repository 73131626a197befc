"""Download and unpack the public film datasets that ``recommender.io.readers.load`` reads.

``download("ml-100k", Path("data/ml-100k"))`` fetches the official archive with ``urllib``
into a temporary file beside ``dest``, verifies its checksum, unpacks it into a temporary
folder beside ``dest`` and renames that folder to ``dest`` (so ``dest`` either appears
complete or not at all). It returns the folder inside ``dest`` that ``load()`` accepts.

Checksums: GroupLens publishes MD5 sums (``<archive>.zip.md5``) but no SHA-256, and we do not
guess one, so every entry has ``sha256=None``. Where the published MD5 is known it is
verified; otherwise the computed SHA-256 is printed to stderr so it can be pinned with
``sha256=``. The MovieTweetings archive is a snapshot of a Git branch that changes over time,
so it has no fixed checksum at all.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tqdm import tqdm

from recommender.errors import DataError, InvalidParameterError
from recommender.io.atomic import atomic_dir

__all__ = ["DATASETS", "DatasetSpec", "download"]

_CHUNK = 1 << 20
_TIMEOUT_S = 60


@dataclass(frozen=True)
class DatasetSpec:
    """One downloadable dataset.

    ``folder`` is the path of the dataset inside the archive (``load()`` is given
    ``dest / folder``); ``sha256``/``md5`` are hex digests of the archive, None when unknown.
    """

    name: str
    url: str
    folder: str
    description: str
    homepage: str
    licence: str
    sha256: str | None = None
    md5: str | None = None


_GROUPLENS = "https://files.grouplens.org/datasets/movielens"
_ML_TERMS = ("research use; no commercial use without permission; cite Harper & Konstan 2015; "
             "see the README inside the archive")

def _movielens(name: str, page: str, description: str, licence: str,
               md5: str | None = None) -> DatasetSpec:
    """A GroupLens MovieLens archive: ``<name>.zip``, holding the folder ``<name>``."""
    return DatasetSpec(name=name, url=f"{_GROUPLENS}/{name}.zip", folder=name,
                       description=description,
                       homepage=f"https://grouplens.org/datasets/movielens/{page}/",
                       licence=f"{_ML_TERMS}; {licence}", md5=md5)


DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (
    _movielens(
        "ml-100k", "100k",
        "MovieLens 100K (1998): 100,000 ratings 1-5 by 943 users on 1,682 films, with user "
        "age, gender, occupation and zip code",
        "no redistribution without permission",
        md5="0e33842e24a9c977be4e0107933c0723",  # GroupLens ml-100k.zip.md5
    ),
    _movielens(
        "ml-1m", "1m",
        "MovieLens 1M (2003): 1,000,209 ratings 1-5 by 6,040 users on 3,706 films, with user "
        "gender, age band, occupation and zip code",
        "no redistribution without permission",
        md5="c4d9eecfca2ab87c1945afe126590906",  # GroupLens ml-1m.zip.md5
    ),
    _movielens(
        "ml-latest-small", "latest",
        "MovieLens latest-small (2018-09): 100,836 ratings 0.5-5 by 610 users on 9,724 films, "
        "with genres",
        "redistribution allowed under the same terms",
    ),
    DatasetSpec(
        name="movietweetings",
        url="https://github.com/sidooms/MovieTweetings/archive/refs/heads/master.zip",
        folder="MovieTweetings-master/latest",
        description="MovieTweetings: IMDb ratings 0-10 tweeted by Twitter users, updated "
                    "over time (ids are IMDb ids with leading zeros)",
        homepage="https://github.com/sidooms/MovieTweetings",
        licence="see the repository's README (cite Dooms, De Pessemier & Martens, "
                "CrowdRec 2013)",
        # a branch snapshot: its bytes change whenever the repository does, so no checksum
    ),
)}


def download(
    name: str,
    dest: Path,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: bool = True,
) -> Path:
    """Download dataset ``name`` and unpack it into the new folder ``dest``.

    Args:
        name: a key of ``DATASETS``, in any case ("ML-100K"), surrounding blanks aside.
        dest: the folder to create; it must not exist yet (an empty folder is accepted).
        url: download from here instead of the official URL (a mirror, or a test server).
        sha256: expected SHA-256 hex digest of the archive. When given it is checked and the
            spec's MD5 is not; when neither is known the computed SHA-256 is printed to stderr.
        progress: show a tqdm progress bar on stderr.

    Returns:
        The dataset folder inside ``dest`` (``dest / spec.folder``, or ``dest`` itself when the
        archive has no such folder), ready for ``recommender.io.readers.load``.

    Raises:
        InvalidParameterError: unknown ``name`` or ``dest`` already holds something.
        DataError: the download failed, the checksum does not match (expected vs got) or the
            archive is not a valid zip. Nothing is left behind in any of these cases.
    """
    spec = DATASETS.get(name.strip().lower())  # any case: `download ML-100K` was refused
    if spec is None:
        raise InvalidParameterError(
            f"unknown dataset {name!r}; expected one of: {', '.join(sorted(DATASETS))}")
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InvalidParameterError(
            f"destination {dest} already exists and is not an empty folder; choose a new one")
    source = url or spec.url
    dest.parent.mkdir(parents=True, exist_ok=True)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".zip.part", dir=dest.parent)
    tmp_zip = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            sha, md5 = _fetch(source, out, progress=progress, label=name)
        _verify(spec, source, sha, md5, sha256)
        return _extract(tmp_zip, dest, spec, source)
    finally:
        tmp_zip.unlink(missing_ok=True)


def _fetch(url: str, out: BinaryIO, *, progress: bool, label: str) -> tuple[str, str]:
    """Stream ``url`` into the binary file ``out``; returns (sha256, md5) hex digests."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=label, file=sys.stderr, disable=not progress) as bar:
                while chunk := resp.read(_CHUNK):
                    out.write(chunk)
                    sha.update(chunk)
                    md5.update(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DataError(url, f"download failed: {e}") from None
    return sha.hexdigest(), md5.hexdigest()


def _verify(spec: DatasetSpec, url: str, sha: str, md5: str, sha256: str | None) -> None:
    expected_sha = sha256 if sha256 is not None else spec.sha256
    if expected_sha is not None:
        if sha != expected_sha.strip().lower():
            raise DataError(url, f"sha256 mismatch: expected {expected_sha.strip().lower()}, "
                            f"got {sha}; the download was discarded")
        return
    if spec.md5 is not None:
        if md5 != spec.md5:
            raise DataError(url, f"md5 mismatch: expected {spec.md5} (published by the "
                            f"dataset's authors), got {md5}; the download was discarded")
        print(f"{spec.name}: md5 {md5} verified; sha256 {sha}", file=sys.stderr)
        return
    print(f"{spec.name}: sha256 {sha} (not verified: no published checksum for this "
          "dataset; pass sha256= to pin it)", file=sys.stderr)


def _safe_members(zf: zipfile.ZipFile, url: str) -> list[zipfile.ZipInfo]:
    members = []
    for info in zf.infolist():
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or (
                parts and ":" in parts[0]):
            raise DataError(url, f"unsafe path {info.filename!r} in the archive; expected "
                            "relative paths inside the archive")
        if parts and parts[0] == "__MACOSX":
            continue
        members.append(info)
    return members


def _extract(archive: Path, dest: Path, spec: DatasetSpec, url: str) -> Path:
    """Unpack into a temporary folder beside ``dest`` that then replaces ``dest`` (absent or an
    empty folder: checked by the caller)."""
    with atomic_dir(dest) as tmp_dir:
        try:
            with zipfile.ZipFile(archive) as zf:
                members = _safe_members(zf, url)
                zf.extractall(tmp_dir, members=members)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as e:
            raise DataError(url, f"not a valid zip archive ({e}); expected a .zip file") from None
    inner = dest / spec.folder
    if inner.is_dir():
        return inner
    top = [p for p in dest.iterdir() if p.is_dir()]
    files = [p for p in dest.iterdir() if p.is_file()]
    return top[0] if len(top) == 1 and not files else dest
