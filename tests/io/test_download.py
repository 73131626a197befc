"""``recommender.io.download``: served from a loopback HTTP server, never the internet."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender.errors import DataError, InvalidParameterError
from recommender.io import download as dl
from recommender.io.readers import load


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves) of an HTTP server on 127.0.0.1, a free port."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def make_ml100k_zip(path: Path) -> str:
    """A tiny synthetic MovieLens-100K-shaped archive; returns its sha256."""
    flags = "|".join(["0"] * 5 + ["1"] + ["0"] * 13)  # genre 5 = Comedy
    files = {
        "ml-100k/u.data": "1\t10\t4\t881250949\n2\t10\t3\t881250950\n1\t20\t5\t881250951\n",
        "ml-100k/u.item": f"10|Alpha (1990)|01-Jan-1990||http://a|{flags}\n"
                          f"20|Beta (1991)|01-Jan-1991||http://b|{flags}\n",
        "ml-100k/u.user": "1|30|F|writer|94043\n2|40|M|other|T8H1N\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text.encode("latin-1"))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_download_verifies_extracts_and_loads(served: tuple[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    base, root = served
    digest = make_ml100k_zip(root / "ml-100k.zip")
    out = tmp_path / "data"
    out.mkdir()
    folder = dl.download("ml-100k", out / "ml100k", url=f"{base}/ml-100k.zip", sha256=digest,
                         progress=False)
    assert folder == out / "ml100k" / "ml-100k"
    inter = load(folder)
    assert (inter.n_users, inter.n_films, len(inter)) == (2, 2, 3)
    assert inter.catalog is not None and inter.catalog.genres.tolist() == ["Comedy", "Comedy"]
    assert leftovers(out) == ["ml100k"]  # no temp file or folder left beside it
    assert capsys.readouterr().err == ""  # progress off, checksum verified silently


def test_wrong_checksum_leaves_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    digest = make_ml100k_zip(root / "a.zip")
    out = tmp_path / "data"
    out.mkdir()
    wrong = "0" * 64
    with pytest.raises(DataError) as info:
        dl.download("ml-100k", out / "ml100k", url=f"{base}/a.zip", sha256=wrong,
                    progress=False)
    msg = str(info.value)
    assert "sha256 mismatch" in msg and f"expected {wrong}" in msg and f"got {digest}" in msg
    assert leftovers(out) == []


def test_published_md5_is_checked_when_no_sha256(served: tuple[str, Path],
                                                 tmp_path: Path) -> None:
    base, root = served
    make_ml100k_zip(root / "a.zip")
    with pytest.raises(DataError, match="md5 mismatch: expected 0e33842e24a9c977be4e0107933c0723"):
        dl.download("ml-100k", tmp_path / "x", url=f"{base}/a.zip", progress=False)
    assert leftovers(tmp_path) == ["www"]


def test_unverified_download_prints_sha256(served: tuple[str, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    base, root = served
    digest = make_ml100k_zip(root / "a.zip")
    folder = dl.download("ml-latest-small", tmp_path / "mls", url=f"{base}/a.zip",
                         progress=True)
    err = capsys.readouterr().err
    assert digest in err and "not verified" in err
    assert folder == tmp_path / "mls" / "ml-100k"  # the archive's single top folder
    assert len(load(folder)) == 3


def test_a_name_in_any_case_is_the_dataset(served: tuple[str, Path], tmp_path: Path) -> None:
    """`download ML-100K` was refused as an unknown dataset: a name is read in any case."""
    base, root = served
    digest = make_ml100k_zip(root / "ml-100k.zip")
    for i, name in enumerate(("ML-100K", "Ml-100k", " ml-100K ")):
        folder = dl.download(name, tmp_path / str(i), url=f"{base}/ml-100k.zip", sha256=digest,
                             progress=False)
        assert folder == tmp_path / str(i) / dl.DATASETS["ml-100k"].folder
        assert len(load(folder)) == 3
    with pytest.raises(InvalidParameterError, match="unknown dataset 'ML-50K'"):
        dl.download("ML-50K", tmp_path / "x", url=f"{base}/ml-100k.zip", progress=False)


def test_unknown_name_lists_known_names(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        dl.download("ml-50k", tmp_path / "x", url="http://127.0.0.1:9/none.zip")
    for known in ("ml-100k", "ml-1m", "ml-latest-small", "movietweetings"):
        assert known in str(info.value)
    assert not (tmp_path / "x").exists()


def test_existing_destination_refused(tmp_path: Path) -> None:
    dest = tmp_path / "full"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(InvalidParameterError, match="already exists"):
        dl.download("ml-100k", dest, url="http://127.0.0.1:9/none.zip", sha256="0" * 64)
    assert leftovers(dest) == ["keep.txt"]


def test_http_error_and_bad_zip(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    with pytest.raises(DataError, match="download failed"):
        dl.download("ml-100k", tmp_path / "a", url=f"{base}/missing.zip", progress=False)
    (root / "bad.zip").write_bytes(b"not a zip")
    digest = hashlib.sha256(b"not a zip").hexdigest()
    with pytest.raises(DataError, match="not a valid zip"):
        dl.download("ml-100k", tmp_path / "b", url=f"{base}/bad.zip", sha256=digest,
                    progress=False)
    assert leftovers(tmp_path) == ["www"]


def test_unsafe_archive_paths_rejected(served: tuple[str, Path], tmp_path: Path) -> None:
    base, root = served
    with zipfile.ZipFile(root / "evil.zip", "w") as zf:
        zf.writestr("../escape.txt", "x")
    digest = hashlib.sha256((root / "evil.zip").read_bytes()).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(DataError, match="unsafe path"):
        dl.download("ml-100k", out / "d", url=f"{base}/evil.zip", sha256=digest, progress=False)
    assert leftovers(out) == [] and not (tmp_path / "escape.txt").exists()


def test_specs_are_official_and_have_no_invented_checksums() -> None:
    assert set(dl.DATASETS) == {"ml-100k", "ml-1m", "ml-latest-small", "movietweetings"}
    for name in ("ml-100k", "ml-1m", "ml-latest-small"):
        assert dl.DATASETS[name].url == f"https://files.grouplens.org/datasets/movielens/{name}.zip"
    assert dl.DATASETS["movietweetings"].url.startswith("https://github.com/sidooms/MovieTweetings/")
    assert all(spec.sha256 is None for spec in dl.DATASETS.values())
    assert dl.DATASETS["movietweetings"].md5 is None
