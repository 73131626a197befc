"""Readers in ``recommender.io.readers``: every format, id fidelity, merging, bad input, real data.

The oracle is hand-written: small files whose answers are known, and for the real datasets
counts computed here with the standard library (``csv``/``str.split``), not with pyarrow.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from recommender.errors import DataError
from recommender.io.columns import AGE_BAND, GENDER, OCCUPATION, REGION
from recommender.io.dataset import Interactions
from recommender.io.readers import (
    ML1M_OCCUPATIONS,
    ZIP_REGIONS,
    load,
    read_films,
    read_id_list,
    read_users,
    zip_region,
)

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def pairs(inter: Interactions) -> dict[tuple[str, str], tuple[float, float | None, int | None]]:
    """(user_id, film_id) -> (weight, rating, timestamp) of the merged interactions."""
    u = inter.users.to_ids(inter.user_idx)
    f = inter.films.to_ids(inter.film_idx)
    out = {}
    for i in range(len(inter)):
        r = None if inter.rating is None else float(inter.rating[i])
        t = None if inter.timestamp is None else int(inter.timestamp[i])
        out[(str(u[i]), str(f[i]))] = (float(inter.weight[i]), r, t)
    return out


def catalog_row(inter: Interactions, film_id: str) -> tuple[str, int, str]:
    cat = inter.catalog
    assert cat is not None
    i = int(np.flatnonzero(cat.film_ids == film_id)[0])
    return str(cat.titles[i]), int(cat.years[i]), str(cat.genres[i])


def user_row(inter: Interactions, user_id: str) -> dict[str, str]:
    table = inter.user_table
    assert table is not None
    i = int(np.flatnonzero(table.user_ids == user_id)[0])
    return {k: str(v[i]) for k, v in table.attributes.items()}


def data_error(path: Path | str, **kwargs: Path | str) -> DataError:
    with pytest.raises(DataError) as info:
        load(path, **kwargs)  # type: ignore[arg-type]
    return info.value


# ---------------------------------------------------------------------------------------------
# plain files
# ---------------------------------------------------------------------------------------------

BASIC = """user_id,film_id,rating,timestamp
u1,f1,4,100
u2,f1,3,50
u1,f2,5,200
u1,f1,2,300
u1,f1,5,10
"""


def test_csv_basic_and_duplicate_merge(tmp_path: Path) -> None:
    inter = load(write(tmp_path / "events.csv", BASIC))
    assert inter.users.ids.tolist() == ["u1", "u2"]  # order of first appearance
    assert inter.films.ids.tolist() == ["f1", "f2"]
    # (u1,f1) three events: weight 3, rating of the latest event (t=300 -> 2), latest timestamp
    assert pairs(inter) == {
        ("u1", "f1"): (3.0, 2.0, 300),
        ("u2", "f1"): (1.0, 3.0, 50),
        ("u1", "f2"): (1.0, 5.0, 200),
    }
    assert inter.source.endswith("events.csv")
    assert inter.catalog is None and inter.user_table is None


def test_merge_without_timestamps_uses_file_order_and_sums_weights(tmp_path: Path) -> None:
    text = "user_id,film_id,rating,weight\na,x,1,2.5\nb,x,2,1\na,x,4,0.5\n"
    inter = load(write(tmp_path / "w.csv", text))
    assert inter.timestamp is None
    assert pairs(inter) == {("a", "x"): (3.0, 4.0, None), ("b", "x"): (1.0, 2.0, None)}


@pytest.mark.parametrize("sep", [",", "\t", ";"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_delimiter_sniffed(tmp_path: Path, sep: str, newline: str) -> None:
    text = BASIC.replace(",", sep)
    inter = load(write(tmp_path / "events.txt", text, newline=newline))
    assert pairs(inter)[("u1", "f1")] == (3.0, 2.0, 300)
    assert inter.films.ids.tolist() == ["f1", "f2"]  # no stray "\r"


def test_movielens_column_names_bom_and_extra_columns(tmp_path: Path) -> None:
    text = "\ufeffuserId,movieId,comment,rating\n1,10,\"nice, really\",3.5\n2,10,meh,1\n"
    inter = load(write(tmp_path / "r.csv", text))
    assert pairs(inter) == {("1", "10"): (1.0, 3.5, None), ("2", "10"): (1.0, 1.0, None)}


def test_ids_only_and_blank_lines(tmp_path: Path) -> None:
    inter = load(write(tmp_path / "views.csv", "film_id,user_id\n\nf,u\n\ng,u\n"))
    assert inter.rating is None and inter.timestamp is None
    assert pairs(inter) == {("u", "f"): (1.0, None, None), ("u", "g"): (1.0, None, None)}


def test_ids_are_kept_exactly(tmp_path: Path) -> None:
    text = ("user_id,film_id,rating\n007,0104257,1\n7,104257,2\n1.0,1e3,3\nNA,null,4\n"
            "\"0042\",\" x \",5\n")
    inter = load(write(tmp_path / "ids.csv", text))
    assert set(pairs(inter)) == {("007", "0104257"), ("7", "104257"), ("1.0", "1e3"),
                                 ("NA", "null"), ("0042", " x ")}


def test_iso_timestamps(tmp_path: Path) -> None:
    text = ("user_id,film_id,timestamp\na,x,2020-01-01\nb,x,2020-01-01 00:00:10\n"
            "c,x,1970-01-02\n")
    inter = load(write(tmp_path / "iso.csv", text))
    assert {k: v[2] for k, v in pairs(inter).items()} == {
        ("a", "x"): 1577836800, ("b", "x"): 1577836810, ("c", "x"): 86400}
    zoned = "user_id,film_id,timestamp\na,x,2020-01-01T01:00:00+01:00\nb,x,2020-01-01T00:00:05Z\n"
    inter = load(write(tmp_path / "zoned.csv", zoned))
    assert {k: v[2] for k, v in pairs(inter).items()} == {
        ("a", "x"): 1577836800, ("b", "x"): 1577836805}


def test_parquet(tmp_path: Path) -> None:
    table = pa.table({
        "userId": pa.array(["007", "7", "007"]),
        "movieId": pa.array(["0104257", "0104257", "0104257"]),
        "rating": pa.array([1.0, 2.0, 3.0]),
        "timestamp": pa.array([5, 6, 7], pa.int64()),
    })
    pq.write_table(table, tmp_path / "r.parquet")
    inter = load(tmp_path / "r.parquet")
    assert pairs(inter) == {("007", "0104257"): (2.0, 3.0, 7), ("7", "0104257"): (1.0, 2.0, 6)}

    pq.write_table(pa.table({"user_id": pa.array([1, 2]), "film_id": pa.array([10, 10])}),
                   tmp_path / "int_ids.parquet")
    assert set(pairs(load(tmp_path / "int_ids.parquet"))) == {("1", "10"), ("2", "10")}


def test_dat_file(tmp_path: Path) -> None:
    p = write(tmp_path / "ratings.dat", "1::0114508::8::1368165718\n2::0114508::6::1\n"
              "1::0114508::10::1368165719\n")
    inter = load(p)
    assert pairs(inter) == {("1", "0114508"): (2.0, 10.0, 1368165719),
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

U_GENRE = "".join(f"{g}|{i}\n" for i, g in enumerate(
    ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
     "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
     "Sci-Fi", "Thriller", "War", "Western"])) + "\n"


def flags(*on: int) -> str:
    return "|".join("1" if i in on else "0" for i in range(19))


def make_ml100k(folder: Path) -> Path:
    write(folder / "u.data", "1\t1\t5\t874965758\n2\t1\t4\t876893171\n1\t2\t3\t876893119\n"
          "3\t3\t1\t878542960\n")
    write(folder / "u.item", (
        f"1|Toy Story (1995)|01-Jan-1995||http://x|{flags(3, 4, 5)}\n"
        f"2|Misérables, Les (1995)|||http://y|{flags(8, 12)}\n"
        f"3|Something Odd|01-Jan-1971||http://z|{flags(0)}\n"
        f"4|Never Rated (1990)|||http://w|{flags(1)}\n"), encoding="latin-1")
    write(folder / "u.genre", U_GENRE)
    write(folder / "u.user", "1|24|M|technician|85711\n2|53|F|other|T8H1N\n"
          "3|17|M|student|02139\n")
    return folder


def test_ml100k_folder(tmp_path: Path) -> None:
    inter = load(make_ml100k(tmp_path / "ml-100k"))
    assert (inter.n_users, inter.n_films, len(inter)) == (3, 3, 4)
    assert pairs(inter)[("1", "1")] == (1.0, 5.0, 874965758)
    assert inter.catalog is not None and len(inter.catalog) == 4  # unrated film kept
    assert catalog_row(inter, "1") == ("Toy Story (1995)", 1995, "Animation|Children's|Comedy")
    assert catalog_row(inter, "2") == ("Misérables, Les (1995)", 1995, "Drama|Musical")
    assert catalog_row(inter, "3") == ("Something Odd", 1971, "")  # "unknown" genre = none
    assert user_row(inter, "1") == {AGE_BAND: "18-24", GENDER: "M", OCCUPATION: "technician",
                                    REGION: "Mountain", "age": "24", "zip": "85711"}
    assert user_row(inter, "2")[REGION] == "non-US"
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


def make_project(d: Path) -> Path:
    write(d / "interactions.csv", "user_id,film_id,weight,timestamp\nU01,F001,2,10\n"
          "U02,F001,1,11\nU01,F002,3,12\n")
    write(d / "films.csv", "film_id,title,year,genres\nF001,\"Night, Again\",1999,Drama|Crime\n"
          "F002,Untitled,,\nF003,Unseen,2021,Comedy\n")
    write(d / "users.csv", "user_id,age,gender,occupation,region\nU01,34,F,nurse,north\n"
          "U02,,M,,south\n")
    write(d / "demo.json", '{"example_film_id": "F001"}')
    write(d / "groups.csv", "user_id,group\nU01,a\n")
    return d


def test_project_folder(tmp_path: Path) -> None:
    inter = load(make_project(tmp_path / "demo"))
    assert pairs(inter) == {("U01", "F001"): (2.0, None, 10), ("U02", "F001"): (1.0, None, 11),
                            ("U01", "F002"): (3.0, None, 12)}
    assert catalog_row(inter, "F001") == ("Night, Again", 1999, "Drama|Crime")
    assert catalog_row(inter, "F002") == ("Untitled", 0, "")
    assert len(inter.catalog or []) == 3
    assert user_row(inter, "U01") == {"age": "34", GENDER: "F", OCCUPATION: "nurse",
                                      REGION: "north", AGE_BAND: "25-34"}
    assert user_row(inter, "U02")[AGE_BAND] == "unknown"
    assert user_row(inter, "U02")[OCCUPATION] == ""


def test_folder_holding_one_dataset_folder(tmp_path: Path) -> None:
    make_project(tmp_path / "outer" / "inner")
    assert len(load(tmp_path / "outer")) == 3


def test_extra_films_and_users_files(tmp_path: Path) -> None:
    d = make_ml100k(tmp_path / "ml")
    films = write(tmp_path / "films.csv", "movieId,title,genres\n1,Toy Story (restored) (1995),"
                  "Animation\n99,New (2024),Drama\n")
    users = write(tmp_path / "users.tsv", "user_id\tsegment\tzip\n1\tgold\t10001\n9\tnew\t\n")
    inter = load(d, films=films, users=users)
    assert catalog_row(inter, "1") == ("Toy Story (restored) (1995)", 1995, "Animation")
    assert catalog_row(inter, "99") == ("New (2024)", 2024, "Drama")
    assert catalog_row(inter, "2")[0] == "Misérables, Les (1995)"
    one, nine, two = user_row(inter, "1"), user_row(inter, "9"), user_row(inter, "2")
    assert (one["segment"], one["zip"], one[REGION], one[GENDER]) == (
        "gold", "10001", "Mid-Atlantic", "M")  # attributes only the folder has are kept
    assert (nine["segment"], nine[REGION]) == ("new", "")
    assert (two["segment"], two[GENDER], two[REGION]) == ("", "F", "non-US")
    # a plain file plus extras
    plain = load(d / "u.data", films=films, users=users)
    assert plain.catalog is not None and sorted(plain.catalog.film_ids.tolist()) == ["1", "99"]
    assert plain.user_table is not None and plain.user_table.user_ids.tolist() == ["1", "9"]


def test_read_films_and_users_directly(tmp_path: Path) -> None:
    cat = read_films(write(tmp_path / "f.csv", "film_id,title\n0042,Old Film (1931)\n"))
    assert (cat.film_ids.tolist(), cat.years.tolist(), cat.genres.tolist()) == (
        ["0042"], [1931], [""])
    table = read_users(write(tmp_path / "u.csv", "userId,Age\n001,70\n"))
    assert table.user_ids.tolist() == ["001"]
    assert table.attributes[AGE_BAND].tolist() == ["65+"]


def test_zip_region_mapping() -> None:
    zips = ["01002", "10001", "20500", "30301", "48067", "55455", "60601", "75201", "80202",
            "94043", "T8H1N", "", "  97201-1234"]
    assert zip_region(zips).tolist() == list(ZIP_REGIONS) + ["non-US", "", "Pacific"]


def test_read_id_list(tmp_path: Path) -> None:
    p = write(tmp_path / "ids.txt", "\ufeff0104257\n  007 \n\n1.0\r\nF 1\n")
    assert read_id_list(p) == ["0104257", "007", "1.0", "F 1"]


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    err = data_error(tmp_path / "nope.csv")
    assert "nope.csv" in str(err) and "no such file" in str(err)


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
@pytest.mark.parametrize("name", ["empty.csv", "empty.dat", "u.data", "empty.parquet"])
def test_empty_file(tmp_path: Path, content: str, name: str) -> None:
    err = data_error(write(tmp_path / name, content))
    assert name in str(err)
    assert "empty" in str(err) or "Parquet" in str(err)


def test_header_only(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "h.csv", "user_id,film_id\n"))
    assert "h.csv, line 2" in str(err) and "no interactions" in str(err)


def test_missing_required_column(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "m.csv", "user_id,title,rating\n1,x,3\n"))
    msg = str(err)
    assert "m.csv, line 1" in msg and err.line == 1
    assert "missing required column film_id" in msg
    assert "'user_id', 'title', 'rating'" in msg  # what was found
    assert "user_id,film_id" in msg  # what was expected


def test_header_that_is_data(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "noheader.csv", "1,2,3\n4,5,6\n"))
    assert "line 1" in str(err) and "looks like data" in str(err) and "header" in str(err)


@pytest.mark.parametrize("column,value", [("rating", "abc"), ("weight", "x1"),
                                          ("timestamp", "yesterday")])
def test_non_numeric_value(tmp_path: Path, column: str, value: str) -> None:
    rows = {"rating": ["4", "5", value], "weight": ["1", "2", value],
            "timestamp": ["10", "11", value]}[column]
    # blank line 3 must be counted: the bad value sits on line 5
    text = f"user_id,film_id,{column}\na,x,{rows[0]}\n\nb,x,{rows[1]}\nc,y,{rows[2]}\nd,z,1\n"
    err = data_error(write(tmp_path / "bad.csv", text))
    msg = str(err)
    assert err.line == 5 and "bad.csv, line 5" in msg
    assert repr(value) in msg and column in msg
    assert "expected" in msg


def test_empty_rating(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "e.csv", "user_id,film_id,rating\na,x,1\nb,x,\n"))
    assert "e.csv, line 3" in str(err) and "empty rating" in str(err)


def test_nan_rating(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "n.csv", "user_id,film_id,rating\na,x,1\nb,x,nan\n"))
    assert "line 3" in str(err) and "finite" in str(err)


@pytest.mark.parametrize("sep,name", [("|", "'|'"), (" ", "space")])
def test_wrong_separator_in_header(tmp_path: Path, sep: str, name: str) -> None:
    header = sep.join(["user_id", "film_id", "rating"])
    err = data_error(write(tmp_path / "s.csv", f"{header}\n1{sep}2{sep}3\n"))
    msg = str(err)
    assert "s.csv, line 1" in msg
    assert f"found a single column {header!r}" in msg
    assert f"is the separator {name}?" in msg
    assert "expected columns separated by ','" in msg


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "f.csv", "user_id,film_id,rating\n1,2,3\n\n4,5\n6,7,8\n"))
    assert err.line == 4 and "f.csv, line 4" in str(err)
    assert "expected 3 fields" in str(err) and "found 2" in str(err)


def test_data_line_with_other_separator(tmp_path: Path) -> None:
    err = data_error(write(tmp_path / "mixed.csv", "user_id,film_id,rating\n1,2,3\n4;5;6\n"))
    assert "mixed.csv, line 3" in str(err) and "is the separator ';'?" in str(err)


def test_undecodable_byte(tmp_path: Path) -> None:
    p = tmp_path / "latin.csv"
    p.write_bytes(b"user_id,film_id\nu1,f1\nu2,Am\xe9lie\n")
    err = data_error(p)
    msg = str(err)
    assert "latin.csv, line 3" in msg
    assert "byte offset 27" in msg and "0xe9" in msg
    assert "UTF-8" in msg and "latin-1" in msg


def test_undecodable_byte_in_dat(tmp_path: Path) -> None:
    p = tmp_path / "ratings.dat"
    p.write_bytes(b"1::2::3::4\n1::\xff::3::4\n")
    err = data_error(p)
    assert "ratings.dat, line 2" in str(err) and "byte offset 14" in str(err)


@pytest.mark.parametrize("column", ["user_id", "film_id"])
def test_missing_id(tmp_path: Path, column: str) -> None:
    row = ",x,1" if column == "user_id" else "a,,1"
    err = data_error(write(tmp_path / "ids.csv", f"user_id,film_id,rating\na,x,1\n{row}\n"))
    assert "ids.csv, line 3" in str(err) and f"empty {column}" in str(err)


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


def test_unknown_folder_layout(tmp_path: Path) -> None:
    write(tmp_path / "data" / "notes.txt", "hello")
    err = data_error(tmp_path / "data")
    msg = str(err)
    for looked_for in ("interactions.csv", "u.data", "ratings.dat", "ratings.csv",
                       "ratings.txt"):
        assert looked_for in msg
    assert "notes.txt" in msg


def test_parquet_errors(tmp_path: Path) -> None:
    pq.write_table(pa.table({"user_id": ["a"], "title": ["t"]}), tmp_path / "m.parquet")
    err = data_error(tmp_path / "m.parquet")
    assert "m.parquet" in str(err) and "film_id" in str(err) and "'title'" in str(err)
    pq.write_table(pa.table({"user_id": ["a", "b"], "film_id": ["x", "y"],
                             "rating": ["1", "bad"]}), tmp_path / "v.parquet")
    err = data_error(tmp_path / "v.parquet")
    assert "row 2" in str(err) and "'bad'" in str(err)
    write(tmp_path / "fake.parquet", "user_id,film_id\n1,2\n")
    assert "Parquet" in str(data_error(tmp_path / "fake.parquet"))


def test_bad_films_and_users_files(tmp_path: Path) -> None:
    d = make_project(tmp_path / "p")
    dup = write(tmp_path / "dup.csv", "film_id,title\nA,x\nB,y\nA,z\n")
    err = data_error(d, films=dup)
    assert "dup.csv, line 4" in str(err) and "'A' is listed twice" in str(err)
    year = write(tmp_path / "year.csv", "film_id,title,year\nA,x,1999\nB,y,nineteen\n")
    err = data_error(d, films=year)
    assert "year.csv, line 3" in str(err) and "'nineteen'" in str(err)
    nouser = write(tmp_path / "nouser.csv", "id,age\n1,2\n")
    err = data_error(d, users=nouser)
    assert "nouser.csv, line 1" in str(err) and "user_id" in str(err)
    assert "nofile" in str(data_error(d, users=tmp_path / "nofile.csv"))


def test_read_id_list_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nope.txt: no such file"):
        read_id_list(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="blank.txt: .*no id"):
        read_id_list(write(tmp_path / "blank.txt", "\n \n"))
    (tmp_path / "bin.txt").write_bytes(b"a\nb\xff\n")
    with pytest.raises(DataError, match=r"bin.txt, line 2: .*byte offset 3"):
        read_id_list(tmp_path / "bin.txt")


def test_garbage_never_escapes_as_raw_exception(tmp_path: Path) -> None:
    rng = random.Random(7)
    alphabet = [b"user_id", b"film_id", b"rating", b",", b";", b"\t", b"\n", b"\r", b"\"",
                b"::", b"1", b"x", b"\xff", b"\xc3\xa9", b" ", b"timestamp", b"-", b"."]
    for i in range(60):
        blob = b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for name in (f"g{i}.csv", f"g{i}.dat", f"g{i}.parquet"):
            p = tmp_path / name
            p.write_bytes(blob)
            try:
                load(p)
            except DataError as e:
                assert name in str(e)


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
