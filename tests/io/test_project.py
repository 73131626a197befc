"""The project's own files (``recommender.io.project``): headed CSV/Parquet, films.csv, users.csv.

The oracle is hand-written: small files whose answers are known.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from reading_helpers import (
    BASIC,
    catalog_row,
    data_error,
    make_ml100k,
    make_project,
    pairs,
    user_row,
    write,
)

from recommender.io.columns import AGE_BAND, GENDER, OCCUPATION, REGION
from recommender.io.readers import load, read_films, read_users

# ---------------------------------------------------------------------------------------------
# interaction files
# ---------------------------------------------------------------------------------------------


def test_csv_basic_and_duplicate_merge(tmp_path: Path) -> None:
    inter = load(write(tmp_path / "events.csv", BASIC))
    assert inter.users.ids.tolist() == ["u1", "u2"]  # order of first appearance
    assert inter.films.ids.tolist() == ["f1", "f2"]
    # (u1,f1) three events: weight 3, rating of the latest event (t=300 -> 2), the first
    # timestamp (t=10: when the user first watched it; it was the latest, 300)
    assert pairs(inter) == {
        ("u1", "f1"): (3.0, 2.0, 10),
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


def test_movielens_column_names_bom_and_extra_columns(tmp_path: Path) -> None:
    text = "\ufeffuserId,movieId,comment,rating\n1,10,\"nice, really\",3.5\n2,10,meh,1\n"
    inter = load(write(tmp_path / "r.csv", text))
    assert pairs(inter) == {("1", "10"): (1.0, 3.5, None), ("2", "10"): (1.0, 1.0, None)}


def test_ids_only_and_blank_lines(tmp_path: Path) -> None:
    inter = load(write(tmp_path / "views.csv", "film_id,user_id\n\nf,u\n\ng,u\n"))
    assert inter.rating is None and inter.timestamp is None
    assert pairs(inter) == {("u", "f"): (1.0, None, None), ("u", "g"): (1.0, None, None)}


def test_parquet(tmp_path: Path) -> None:
    table = pa.table({
        "userId": pa.array(["007", "7", "007"]),
        "movieId": pa.array(["0104257", "0104257", "0104257"]),
        "rating": pa.array([1.0, 2.0, 3.0]),
        "timestamp": pa.array([5, 6, 7], pa.int64()),
    })
    pq.write_table(table, tmp_path / "r.parquet")
    inter = load(tmp_path / "r.parquet")
    assert pairs(inter) == {("007", "0104257"): (2.0, 3.0, 5), ("7", "0104257"): (1.0, 2.0, 6)}

    pq.write_table(pa.table({"user_id": pa.array([1, 2]), "film_id": pa.array([10, 10])}),
                   tmp_path / "int_ids.parquet")
    assert set(pairs(load(tmp_path / "int_ids.parquet"))) == {("1", "10"), ("2", "10")}


def test_integer_id_parquet_equals_the_same_ids_as_strings(tmp_path: Path) -> None:
    """Integer ids take a dictionary path (no per-row text); the result must be identical to
    the same ids stored as strings: order of first appearance, merges, every column."""
    import numpy as np

    rng = np.random.default_rng(5)
    n = 400
    users = rng.integers(-3, 30, n)  # negative ids, repeated (user, film) pairs
    films = rng.integers(10**12, 10**12 + 25, n)
    cols = {"rating": pa.array(rng.integers(1, 6, n).astype(float)),
            "weight": pa.array(rng.uniform(0.5, 2.0, n)),
            "timestamp": pa.array(rng.integers(0, 20, n), pa.int64())}
    as_int = pa.table({"user_id": pa.array(users), "film_id": pa.array(films), **cols})
    as_str = pa.table({"user_id": pa.array(users.astype(str)),
                       "film_id": pa.array(films.astype(str)), **cols})
    pq.write_table(as_int, tmp_path / "int.parquet", row_group_size=64)  # several chunks
    pq.write_table(as_str, tmp_path / "str.parquet")
    a, b = load(tmp_path / "int.parquet"), load(tmp_path / "str.parquet")
    assert a.users.ids.tolist() == b.users.ids.tolist()
    assert a.films.ids.tolist() == b.films.ids.tolist()
    for name in ("user_idx", "film_idx", "weight", "rating", "timestamp"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert pairs(a) == pairs(b) and len(a) < n  # duplicates merged the same way

    pq.write_table(pa.table({"user_id": pa.array([1, None, 3]), "film_id": pa.array([1, 2, 3])}),
                   tmp_path / "null.parquet")
    err = data_error(tmp_path / "null.parquet")
    assert "row 2" in str(err) and "missing user_id" in str(err)


# ---------------------------------------------------------------------------------------------
# folders, catalogs and user attributes
# ---------------------------------------------------------------------------------------------


def test_project_folder(tmp_path: Path) -> None:
    inter = load(make_project(tmp_path / "demo"))
    assert pairs(inter) == {("U01", "F001"): (2.0, None, 10), ("U02", "F001"): (1.0, None, 11),
                            ("U01", "F002"): (3.0, None, 12)}
    assert catalog_row(inter, "F001") == ("Night, Again", 1999, "Drama|Crime")
    assert catalog_row(inter, "F002") == ("Untitled", 0, "")
    assert len(inter.catalog or []) == 3
    assert user_row(inter, "U01") == {"age": "34", GENDER: "F", OCCUPATION: "nurse",
                                      REGION: "north", AGE_BAND: "25-34"}
    assert user_row(inter, "U02")[AGE_BAND] == ""  # a blank age: no band, as no age
    assert user_row(inter, "U02")[OCCUPATION] == ""


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


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


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
    # string ids beside numbers (a log saved without its header) looked like a header of
    # misnamed columns: "missing required columns user_id and film_id; found 'u00001', ..."
    err = data_error(write(tmp_path / "ids.csv", "u00001,0104257,3.5,1731662743\nu2,f,4,1\n"))
    assert "looks like data" in str(err) and "u00001" in str(err)
    # a header of unknown names, none of them a number, is still named as a header
    err = data_error(write(tmp_path / "names.csv", "customer,product\nu1,f1\n"))
    assert "missing required columns user_id and film_id" in str(err)
    # Excel's "sep=," first line was named a header missing both id columns
    for sep in (",", ";"):
        text = f"sep={sep}\nuser_id{sep}film_id\nu1{sep}f1\n"
        err = data_error(write(tmp_path / "excel.csv", text))
        assert err.line == 1 and "Excel's 'sep=' delimiter line, not a header: delete it" in str(
            err), err


def test_a_decimal_comma_is_named(tmp_path: Path) -> None:
    """A rating of 4,5 (a semicolon file from a locale with decimal commas) was "not a
    number" with no word of the comma."""
    err = data_error(write(tmp_path / "dc.csv", "user_id;film_id;rating\nu;f;3\nv;f;4,5\n"))
    assert err.line == 3 and str(err).endswith(
        "rating '4,5' is not a number; expected a number (a decimal comma? write 4.5: numbers "
        "take a point)")
    err = data_error(write(tmp_path / "x.csv", "user_id;film_id;rating\nu;f;3\nv;f;4,5,6\n"))
    assert "decimal comma" not in str(err)


def test_a_thousands_separator_is_not_told_to_become_a_decimal_point(tmp_path: Path) -> None:
    """A weight of 1,234 (minutes, a thousands separator) was told "a decimal comma? write
    1.234": followed, the weight is 1000 times too small. Three digits after one comma say
    both readings; 0,500 and 12,5 stay a decimal comma."""
    err = data_error(write(tmp_path / "t.tsv", "user_id\tfilm_id\tweight\nu\tf\t7\n"
                                                "v\tf\t1,234\n"))
    assert err.line == 3 and str(err).endswith(
        "weight '1,234' is not a number; expected a number (a decimal comma or a thousands "
        "separator? write 1.234 or 1234: numbers take a point and no separator)")
    for value, point in (("0,500", "0.500"), ("12,5", "12.5"), ("1,2345", "1.2345")):
        err = data_error(write(tmp_path / "d.tsv", f"user_id\tfilm_id\tweight\nv\tf\t{value}\n"))
        assert str(err).endswith(f"(a decimal comma? write {point}: numbers take a point)")


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
    assert "(first on line 2)" in str(err)  # the first listing named too
    # a quoted field over two lines: lines as an editor counts them
    twice = write(tmp_path / "twice.csv", 'user_id,city\n1,"Rome\nNorth"\n2,Oslo\n1,Bern\n')
    err = data_error(d, users=twice)
    assert "twice.csv, line 5" in str(err) and "user_id '1' is listed twice (first on line 2)" \
        in str(err), str(err)
    year = write(tmp_path / "year.csv", "film_id,title,year\nA,x,1999\nB,y,nineteen\n")
    err = data_error(d, films=year)
    assert "year.csv, line 3" in str(err) and "'nineteen'" in str(err)
    nouser = write(tmp_path / "nouser.csv", "id,age\n1,2\n")
    err = data_error(d, users=nouser)
    assert "nouser.csv, line 1" in str(err) and "user_id" in str(err)
    assert "nofile" in str(data_error(d, users=tmp_path / "nofile.csv"))
