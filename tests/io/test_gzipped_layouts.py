"""A MovieLens folder whose files are gzip-compressed (``ratings.dat.gz``, ``movies.dat.gz``,
``users.dat.gz``; MovieLens latest's ``ratings.csv.gz``, ``movies.csv.gz``) is read as the
same folder plain: it was "no recognised dataset layout", and ``ratings.dat.gz`` given alone
was refused as a gzip-compressed file. The oracle is the plain folder, read by the readers
that were there before."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from recommender.errors import DataError
from recommender.io.dataset import Interactions
from recommender.io.readers import load, public_users_file

RATINGS = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978300761\n"
MOVIES = ("1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
          "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n")
USERS = "1::F::1::10::48067\n2::M::56::16::70072\n"
LATEST = "userId,movieId,rating,timestamp\n1,1193,5.0,978300760\n2,661,3.5,978302109\n"
LATEST_MOVIES = 'movieId,title,genres\n1193,"Nest, The (1975)",Drama\n661,Peach (1996),Animation\n'


def _folder(d: Path, files: dict[str, str], gz: set[str]) -> Path:
    d.mkdir(parents=True)
    for name, text in files.items():
        if name in gz:
            (d / f"{name}.gz").write_bytes(gzip.compress(text.encode()))
        else:
            (d / name).write_text(text, encoding="utf-8")
    return d


def _same(a: Interactions, b: Interactions) -> None:
    assert a.fingerprint() == b.fingerprint()
    assert a.catalog is not None and b.catalog is not None
    assert a.catalog.film_ids.tolist() == b.catalog.film_ids.tolist()
    assert a.catalog.titles.tolist() == b.catalog.titles.tolist()
    assert a.catalog.genres.tolist() == b.catalog.genres.tolist()
    assert np.array_equal(a.catalog.years, b.catalog.years)


@pytest.mark.parametrize("gz", [{"ratings.dat"}, {"ratings.dat", "movies.dat", "users.dat"},
                                {"movies.dat"}, {"users.dat"}])
def test_an_ml1m_folder_gzipped_is_read_as_plain(tmp_path: Path, gz: set[str]) -> None:
    files = {"ratings.dat": RATINGS, "movies.dat": MOVIES, "users.dat": USERS}
    plain = load(_folder(tmp_path / "plain", files, set()))
    got = load(_folder(tmp_path / "gz", files, gz))
    _same(got, plain)
    assert plain.user_table is not None and got.user_table is not None
    assert got.user_table.user_ids.tolist() == plain.user_table.user_ids.tolist()
    assert {k: v.tolist() for k, v in got.user_table.attributes.items()} == \
        {k: v.tolist() for k, v in plain.user_table.attributes.items()}
    users = public_users_file(tmp_path / "gz")
    assert users is not None and users.name == ("users.dat.gz" if "users.dat" in gz
                                                else "users.dat")


def test_a_latest_folder_gzipped_is_read_as_plain(tmp_path: Path) -> None:
    files = {"ratings.csv": LATEST, "movies.csv": LATEST_MOVIES}
    plain = load(_folder(tmp_path / "plain", files, set()))
    _same(load(_folder(tmp_path / "gz", files, set(files))), plain)
    assert plain.catalog is not None and plain.catalog.titles.tolist()[0] == "Nest, The (1975)"


def test_ratings_dat_gz_alone_is_read_with_its_lines_named(tmp_path: Path) -> None:
    log = tmp_path / "ratings.dat.gz"
    log.write_bytes(gzip.compress(RATINGS.encode()))
    plain = tmp_path / "ratings.dat"
    plain.write_text(RATINGS, encoding="utf-8")
    assert load(log).fingerprint() == load(plain).fingerprint()
    log.write_bytes(gzip.compress(b"1::1193::5::978300760\n1::661::three::978302109\n"))
    with pytest.raises(DataError) as info:
        load(log)
    assert info.value.path == str(log) and info.value.line == 2
    assert "'three'" in info.value.reason


def test_a_file_both_plain_and_gzipped_is_refused(tmp_path: Path) -> None:
    d = _folder(tmp_path / "both", {"ratings.dat": RATINGS, "movies.dat": MOVIES}, set())
    (d / "movies.dat.gz").write_bytes(gzip.compress(MOVIES.encode()))
    with pytest.raises(DataError, match="holds both movies.dat and movies.dat.gz"):
        load(d)
    (d / "ratings.dat.gz").write_bytes(gzip.compress(RATINGS.encode()))
    with pytest.raises(DataError, match=r"holds 2 interaction logs \(ratings.dat, "
                                        r"ratings.dat.gz\)"):
        load(d)


def test_a_broken_gzip_companion_is_named(tmp_path: Path) -> None:
    d = _folder(tmp_path / "cut", {"ratings.dat": RATINGS}, {"ratings.dat"})
    (d / "movies.dat.gz").write_bytes(gzip.compress(MOVIES.encode())[:-12])  # cut short
    with pytest.raises(DataError) as info:
        load(d)
    assert info.value.path == str(d / "movies.dat.gz")
    assert "not a readable gzip file" in info.value.reason
