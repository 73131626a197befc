"""A public dataset's own catalog or users file given by itself (``--films u.item``, ``--users
u.user``, ``movies.dat``, ``users.dat``) is read as its folder's load reads it: ``train --data
ml-100k/u1.base --films ml-100k/u.item`` refused u.item as a CSV of one column and asked "is
the separator '|'?", which no option sets. The oracle: the folder's load of the same files."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import run_cli
from reading_helpers import data_error, make_ml100k, write

from recommender.errors import DataError
from recommender.io.dataset import Catalog, Interactions, UserTable
from recommender.io.readers import load
from recommender.model import artifact


def same_catalog(got: Catalog | None, want: Catalog | None) -> None:
    assert got is not None and want is not None
    order = np.argsort(got.film_ids, kind="stable")
    other = np.argsort(want.film_ids, kind="stable")
    assert got.film_ids[order].tolist() == want.film_ids[other].tolist()
    assert got.titles[order].tolist() == want.titles[other].tolist()
    assert got.years[order].tolist() == want.years[other].tolist()
    assert got.genres[order].tolist() == want.genres[other].tolist()


def same_users(got: UserTable | None, want: UserTable | None) -> None:
    assert got is not None and want is not None
    order = np.argsort(got.user_ids, kind="stable")
    other = np.argsort(want.user_ids, kind="stable")
    assert got.user_ids[order].tolist() == want.user_ids[other].tolist()
    assert sorted(got.attributes) == sorted(want.attributes)
    for name in want.attributes:
        assert got.attributes[name][order].tolist() == want.attributes[name][other].tolist()
    assert got.derived == want.derived


def loaded_beside(folder: Path, log: str) -> Interactions:
    return load(folder / log, films=folder / "u.item", users=folder / "u.user")


def test_u_item_and_u_user_given_alone_read_as_in_their_folder(tmp_path: Path) -> None:
    folder = make_ml100k(tmp_path / "ml")
    (folder / "u1.base").write_bytes((folder / "u.data").read_bytes())
    whole = load(folder)
    alone = loaded_beside(folder, "u1.base")
    same_catalog(alone.catalog, whole.catalog)
    same_users(alone.user_table, whole.user_table)
    assert whole.catalog is not None and "Sci-Fi" not in whole.catalog.genres.tolist()
    # the genres are u.genre's beside the file: renamed there, renamed here alike
    (folder / "u.genre").write_text((folder / "u.genre").read_text().replace(
        "Animation|3", "Cartoon|3"), encoding="utf-8")
    renamed = loaded_beside(folder, "u1.base")
    assert renamed.catalog is not None and "Cartoon" in renamed.catalog.genres[0]
    same_catalog(renamed.catalog, load(folder).catalog)


def test_movies_dat_and_users_dat_given_alone_read_as_in_their_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ml-1m"
    write(folder / "ratings.dat", "1::10::5::978300760\n2::20::3::978302109\n")
    write(folder / "movies.dat", "10::GoldenEye (1995)::Action|Adventure|Thriller\n"
          "20::Heat (1995)::Action|Crime|Thriller\n30::Sabrina (1995)::Comedy|Romance\n")
    with gzip.open(folder / "users.dat.gz", "wb") as f:
        f.write(b"1::F::1::10::48067\n2::M::56::16::70072\n")
    whole = load(folder)
    alone = load(folder / "ratings.dat", films=folder / "movies.dat",
                 users=folder / "users.dat.gz")
    same_catalog(alone.catalog, whole.catalog)
    same_users(alone.user_table, whole.user_table)
    odd = write(tmp_path / "other" / "users.dat", "1::a::b\n")
    with pytest.warns(UserWarning), pytest.raises(DataError, match="users.dat.*'user_id,"):
        load(folder / "ratings.dat", users=odd)


def test_a_gzipped_u_item_is_refused_as_u_data_gz_is(tmp_path: Path) -> None:
    folder = make_ml100k(tmp_path / "ml")
    with gzip.open(folder / "u.item.gz", "wb") as f:
        f.write((folder / "u.item").read_bytes())
    err = data_error(folder / "u.data", films=folder / "u.item.gz")
    assert "gunzip -k u.item.gz" in str(err) and "give u.item" in str(err)


def test_another_pipe_separated_file_is_told_what_is_read(tmp_path: Path) -> None:
    """A '|' file under another name: the hint names the separators read and the names '|'
    is read under (it asked "is the separator '|'?" alone, as if an option set it)."""
    folder = make_ml100k(tmp_path / "ml")
    items = write(tmp_path / "items.txt", (folder / "u.item").read_text(encoding="latin-1"))
    msg = str(data_error(folder / "u.data", films=items))
    assert "is the separator '|'? write the file with ',', tab or ';' between columns" in msg
    assert "u.item and u.user" in msg
    space = write(tmp_path / "log.csv", "user_id film_id\nu1 f1\n")
    msg = str(data_error(space))
    assert "is the separator space? write the file with ',', tab or ';'" in msg
    assert "u.item" not in msg


def test_train_takes_u_item_and_u_user(tmp_path: Path, capsys: Any) -> None:
    folder = make_ml100k(tmp_path / "ml")
    (folder / "u1.base").write_bytes((folder / "u.data").read_bytes())
    code, _, err = run_cli(capsys, "train", "--data", folder / "u1.base", "--films",
                           folder / "u.item", "--users", folder / "u.user", "--out",
                           tmp_path / "m", "--no-tune", "--factors", 2, "--iterations", 2,
                           "--segments", 1)
    assert code == 0, err
    model = artifact.load(tmp_path / "m")
    whole = load(folder)
    assert whole.catalog is not None and whole.user_table is not None
    for i, film in enumerate(model.films.ids.tolist()):
        row = int(np.flatnonzero(whole.catalog.film_ids == film)[0])
        assert model.catalog.titles[i] == whole.catalog.titles[row]
        assert model.catalog.genres[i] == whole.catalog.genres[row]
    for name, values in whole.user_table.aligned_to(model.users).attributes.items():
        assert model.user_table.attributes[name].tolist() == values.tolist()


def test_the_real_u1_base_with_u_item_and_u_user(shared_datasets: Path) -> None:
    """The real ML-100K (skipped without ../shared/datasets): u1.base with u.item and u.user
    gives the folder load's 1,682 films and 943 users, attribute for attribute."""
    ml100k = shared_datasets / "ml-100k"
    if not (ml100k / "u1.base").is_file():
        pytest.skip("ml-100k not in ../shared/datasets")
    whole = load(ml100k)
    alone = loaded_beside(ml100k, "u1.base")
    same_catalog(alone.catalog, whole.catalog)
    same_users(alone.user_table, whole.user_table)
    assert whole.catalog is not None and len(whole.catalog.film_ids) == 1682
    assert whole.user_table is not None and len(whole.user_table.user_ids) == 943


def test_a_u_user_given_as_users_says_how_its_fixed_column_is_left_out(
        tmp_path: Path, capsys: Any) -> None:
    """u.user's ZIP codes, one of their own for most users: given as --users beside a log
    file, the warning says to give --users a CSV without the column instead (a file of its
    own that --users replaces), not to leave it out of u.user, whose columns are fixed, nor
    to make a folder (as for the folder's own u.user, which --users cannot take away)."""
    n = 120
    folder = tmp_path / "ml"
    write(folder / "u1.base", "".join(f"{u}\t{f}\t4\t{880000000 + u}\n"
                                      for u in range(1, n + 1) for f in (1, 2, 3)))
    make = make_ml100k(tmp_path / "src")
    (folder / "u.item").write_bytes((make / "u.item").read_bytes())
    write(folder / "u.user", "".join(f"{u}|{20 + u % 40}|{'MF'[u % 2]}|other|{10000 + u}\n"
                                     for u in range(1, n + 1)))
    code, _, err = run_cli(capsys, "train", "--data", folder / "u1.base", "--users",
                           folder / "u.user", "--out", tmp_path / "m", "--no-tune",
                           "--factors", 2, "--iterations", 2, "--segments", 1)
    assert code == 0, err
    assert (f"users-file column 'zip' holds a value of its own for 100% of the users with one "
            f"({n} of {n})") in err, err
    assert (f"it is a column of {folder / 'u.user'}, the dataset's own users file, whose "
            "columns are fixed: to leave it out, give --users a CSV with a header "
            "'user_id,<attributes>' without 'zip'") in err, err
    assert "leave it out of the users file" not in err and "a folder of your own" not in err


def test_a_u_genre_line_whose_number_int_refuses_is_no_genre(tmp_path: Path) -> None:
    """u.genre is read as latin-1: its "²" (byte 0xb2) passed ``str.isdigit`` and ended the
    read in ``int()``'s ValueError, as a number of 5,000 digits did; such a line is skipped
    as one without a number is, and the genres are u.genre's others."""
    folder = make_ml100k(tmp_path / "ml")
    want = load(folder).catalog
    genre = folder / "u.genre"
    genre.write_bytes(genre.read_bytes() + b"Odd|\xb2\nHuge|" + b"9" * 5000 + b"\nNone|x\n")
    got = load(folder).catalog
    assert want is not None and got is not None
    same_catalog(got, want)
