"""The public datasets' files (``recommender.io.public``): MovieLens, MovieTweetings, FilmTrust.

The oracle is hand-written: small files whose answers are known, and for the real datasets
counts computed here with the standard library (``csv``/``str.split``), not with pyarrow.
"""

from __future__ import annotations

import csv
from pathlib import Path

from reading_helpers import catalog_row, data_error, make_ml100k, pairs, user_row, write

from recommender.io.columns import AGE_BAND, GENDER, OCCUPATION, REGION
from recommender.io.places import ZIP_ZONE
from recommender.io.public import zip_zone
from recommender.io.readers import ML1M_OCCUPATIONS, ZIP_REGIONS, load, zip_region

# ---------------------------------------------------------------------------------------------
# rating files
# ---------------------------------------------------------------------------------------------


def test_dat_file(tmp_path: Path) -> None:
    p = write(tmp_path / "ratings.dat", "1::0114508::8::1368165718\n2::0114508::6::1\n"
              "1::0114508::10::1368165719\n")
    inter = load(p)
    assert pairs(inter) == {("1", "0114508"): (2.0, 10.0, 1368165718),
                            ("2", "0114508"): (1.0, 6.0, 1)}
    two = load(write(tmp_path / "views.dat", "a::b\nc::d\n"))
    assert set(pairs(two)) == {("a", "b"), ("c", "d")}


def test_ml100k_split_file_and_filmtrust_file(tmp_path: Path) -> None:
    inter = load(write(tmp_path / "u1.base", "1\t2\t3\t881250949\n1\t3\t4\t881250950\n"))
    assert pairs(inter) == {("1", "2"): (1.0, 3.0, 881250949), ("1", "3"): (1.0, 4.0, 881250950)}
    ft = load(write(tmp_path / "ft" / "ratings.txt", "1 1 2\n1 2 3.5\n"))
    assert pairs(ft) == {("1", "1"): (1.0, 2.0, None), ("1", "2"): (1.0, 3.5, None)}


# ---------------------------------------------------------------------------------------------
# folders
# ---------------------------------------------------------------------------------------------


def test_ml100k_folder(tmp_path: Path) -> None:
    inter = load(make_ml100k(tmp_path / "ml-100k"))
    assert (inter.n_users, inter.n_films, len(inter)) == (3, 3, 4)
    assert pairs(inter)[("1", "1")] == (1.0, 5.0, 874965758)
    assert inter.catalog is not None and len(inter.catalog) == 4  # unrated film kept
    assert catalog_row(inter, "1") == ("Toy Story (1995)", 1995, "Animation|Children's|Comedy")
    assert catalog_row(inter, "2") == ("Misérables, Les (1995)", 1995, "Drama|Musical")
    assert catalog_row(inter, "3") == ("Something Odd", 1971, "")  # "unknown" genre = none
    assert catalog_row(inter, "4")[1] == 1990  # the title's year, not a re-release's date
    assert user_row(inter, "1") == {AGE_BAND: "18-24", GENDER: "M", OCCUPATION: "technician",
                                    REGION: "Mountain", "age": "24", "zip": "85711",
                                    ZIP_ZONE: "8"}
    assert user_row(inter, "2")[REGION] == "non-US"
    assert user_row(inter, "2")[ZIP_ZONE] == "other"
    assert user_row(inter, "2")[AGE_BAND] == "45-54"
    assert user_row(inter, "3")[AGE_BAND] == "under 18"
    assert user_row(inter, "3")[REGION] == "New England"


def test_ml100k_folder_without_u_genre_uses_default_order(tmp_path: Path) -> None:
    folder = make_ml100k(tmp_path / "ml")
    (folder / "u.genre").unlink()
    assert catalog_row(load(folder), "1")[2] == "Animation|Children's|Comedy"


def test_ml1m_folder(tmp_path: Path) -> None:
    d = tmp_path / "ml-1m"
    write(d / "ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::1\n")
    write(d / "movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
          "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
          "3::Misérables, Les (1998)::Drama\n", encoding="latin-1")
    write(d / "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::45::0::T8H1N\n")
    inter = load(d)
    assert (inter.n_users, inter.n_films, len(inter)) == (2, 2, 3)
    assert catalog_row(inter, "661") == ("James and the Giant Peach (1996)", 1996,
                                         "Animation|Children's|Musical")
    assert catalog_row(inter, "3")[0] == "Misérables, Les (1998)"
    one = user_row(inter, "1")
    assert (one[AGE_BAND], one[GENDER], one[OCCUPATION], one[REGION]) == (
        "under 18", "F", "K-12 student", "Great Lakes")
    two = user_row(inter, "2")
    assert (two[AGE_BAND], two[OCCUPATION], two[REGION]) == ("56+", "self-employed",
                                                             "South Central")
    assert user_row(inter, "3")[REGION] == "non-US"
    assert user_row(inter, "3")[OCCUPATION] == ML1M_OCCUPATIONS["0"] == "other"
    assert [user_row(inter, u)[ZIP_ZONE] for u in "123"] == ["4", "7", "other"]


def test_movietweetings_folder(tmp_path: Path) -> None:
    d = tmp_path / "latest"
    write(d / "ratings.dat", "1::0114508::8::1381006850\n2::0208092::5::1586466072\n")
    write(d / "movies.dat", "0114508::Species (1995)::Action|Horror|Sci-Fi\n"
          "0208092::Snatch (2000)::\n")
    write(d / "users.dat", "1::397291295\n2::40501255\n")
    inter = load(d)
    assert inter.films.ids.tolist() == ["0114508", "0208092"]
    assert catalog_row(inter, "0208092") == ("Snatch (2000)", 2000, "")
    assert user_row(inter, "2") == {"twitter_id": "40501255"}


def test_ml_latest_folder_crlf_quotes_and_no_genres(tmp_path: Path) -> None:
    d = tmp_path / "ml-latest-small"
    write(d / "ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n"
          "1,11,0.5,964981247\n2,1,2.5,1\n", newline="\r\n")
    write(d / "movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n"
          "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
          "12,Babylon 5,(no genres listed)\n13,Cosmos (1980) ,Documentary\n", newline="\r\n")
    inter = load(d)
    assert pairs(inter)[("1", "11")] == (1.0, 0.5, 964981247)
    assert catalog_row(inter, "11") == ("American President, The (1995)", 1995,
                                        "Comedy|Drama|Romance")
    assert catalog_row(inter, "12") == ("Babylon 5", 0, "")
    assert catalog_row(inter, "13") == ("Cosmos (1980) ", 1980, "Documentary")


def test_filmtrust_folder_merges_duplicates(tmp_path: Path) -> None:
    d = tmp_path / "filmtrust"
    write(d / "ratings.txt", "1 1 2\n1 2 4\n1 1 3.5\n2 1 0.5\n")
    write(d / "trust.txt", "1 2 1\n")
    inter = load(d)
    assert pairs(inter) == {("1", "1"): (2.0, 3.5, None), ("1", "2"): (1.0, 4.0, None),
                            ("2", "1"): (1.0, 0.5, None)}


def test_zip_region_mapping() -> None:
    zips = ["01002", "10001", "20500", "30301", "48067", "55455", "60601", "75201", "80202",
            "94043", "T8H1N", "", "  97201-1234"]
    assert zip_region(zips).tolist() == list(ZIP_REGIONS) + ["non-US", "", "Pacific"]


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def test_undecodable_byte_in_dat(tmp_path: Path) -> None:
    p = tmp_path / "ratings.dat"
    p.write_bytes(b"1::2::3::4\n1::\xff::3::4\n")
    err = data_error(p)
    assert "ratings.dat, line 2" in str(err) and "byte offset 14" in str(err)


def test_bad_dat_line(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "ratings.dat", "1::2::3::4\n1::2::three::4\n"))
    assert "ratings.dat, line 2" in str(err) and "'three'" in str(err)
    err = data_error(write(tmp_path / "short.dat", "1::2::3::4\n1::2::3\n"))
    assert "short.dat, line 2" in str(err) and "expected 4 fields separated by '::'" in str(err)


def test_bad_ml100k_user_line(tmp_path: Path) -> None:
    d = make_ml100k(tmp_path / "ml")
    write(d / "u.user", "1|24|M|technician|85711\n2|53|F\n")
    err = data_error(d)
    assert "u.user, line 2" in str(err) and "expected 5 fields separated by '|'" in str(err)


# ---------------------------------------------------------------------------------------------
# real datasets (read in place, never copied)
# ---------------------------------------------------------------------------------------------


def test_real_ml100k(shared_datasets: Path) -> None:
    folder = shared_datasets / "ml-100k"
    rows = [line.split("\t") for line in (folder / "u.data").read_text().splitlines()]
    inter = load(folder)
    assert (inter.n_users, inter.n_films, len(inter)) == (943, 1682, 100000)
    assert len(rows) == 100000 and len({r[0] for r in rows}) == 943
    assert inter.timestamp is not None and inter.rating is not None
    assert float(inter.rating.sum()) == sum(int(r[2]) for r in rows)
    assert catalog_row(inter, "1") == ("Toy Story (1995)", 1995, "Animation|Children's|Comedy")
    assert catalog_row(inter, "543")[0] == "Misérables, Les (1995)"  # latin-1 decoded
    assert catalog_row(inter, "181")[:2] == ("Return of the Jedi (1983)", 1983)  # dated 1997
    assert inter.user_table is not None
    for attr in (AGE_BAND, GENDER, OCCUPATION, REGION):
        assert attr in inter.user_table.attributes
        assert (inter.user_table.attributes[attr] != "").all()
    users = [line.split("|") for line in (folder / "u.user").read_text().splitlines()]
    non_us = sum(not u[4][:1].isdigit() for u in users)
    assert (inter.user_table.attributes[REGION] == "non-US").sum() == non_us > 0
    assert user_row(inter, "1")[AGE_BAND] == "18-24"


def test_real_ml_latest_small(shared_datasets: Path) -> None:
    folder = shared_datasets / "ml-latest-small"
    with open(folder / "ratings.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(folder / "movies.csv", newline="", encoding="utf-8") as f:
        movies = {m["movieId"]: m for m in csv.DictReader(f)}
    inter = load(folder)
    assert (inter.n_users, inter.n_films, len(inter)) == (610, 9724, 100836)
    assert len({r["movieId"] for r in rows}) == 9724 and len(rows) == 100836
    assert inter.catalog is not None and len(inter.catalog) == len(movies) == 9742
    for film_id in ("1", "11", "2", "40697"):
        title, _, genres = catalog_row(inter, film_id)
        assert title == movies[film_id]["title"]
        assert genres == movies[film_id]["genres"].replace("(no genres listed)", "")
    assert catalog_row(inter, "11")[0] == "American President, The (1995)"
    assert inter.user_table is None


def test_real_filmtrust(shared_datasets: Path) -> None:
    folder = shared_datasets / "filmtrust"
    rows = [line.split() for line in (folder / "ratings.txt").read_text().splitlines()]
    distinct = {(r[0], r[1]) for r in rows}
    inter = load(folder)
    assert len(rows) == 35497 and len(distinct) == 35494
    assert (inter.n_users, inter.n_films, len(inter)) == (1508, 2071, 35494)
    assert float(inter.weight.sum()) == 35497.0
    assert inter.timestamp is None


def test_zip_zone_is_the_first_digit() -> None:
    zones = zip_zone(["85711", " 01002", "T8H1N", "", "9", "-123"])
    assert zones.tolist() == ["8", "0", "other", "other", "9", "other"]
    # the zone is the digit that also picks the coarse region
    digits = [str(d) for d in range(10)]
    assert [ZIP_REGIONS.index(r) for r in zip_region([d + "0000" for d in digits])] == list(
        range(10))
    assert zip_zone([d + "0000" for d in digits]).tolist() == digits
