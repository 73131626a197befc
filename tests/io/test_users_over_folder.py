"""``--users`` over a folder's own users file replaces the columns it states, not derived ones.

A ``user_id,zip`` file (to add ZIP codes) had ``region`` worked out from the codes, and that
coarse US region ("New England") replaced the region the folder's ``users.csv`` states
("North") for every user it listed, without a word: distribution by region and the portraits
mixed two vocabularies. A MovieLens folder's ``zip_zone`` kept the old code's zone.
"""

from __future__ import annotations

from pathlib import Path

from reading_helpers import make_ml100k, make_project, user_row, write

from recommender.io.readers import load


def test_a_zip_file_keeps_the_regions_the_folder_states(tmp_path: Path) -> None:
    d = make_project(tmp_path / "demo")  # users.csv: U01 north, U02 south
    zips = write(tmp_path / "zips.csv", "user_id,zip\nU01,02139\nU09,94110\n")
    inter = load(d, users=zips)
    one, two, nine = user_row(inter, "U01"), user_row(inter, "U02"), user_row(inter, "U09")
    assert (one["zip"], one["region"]) == ("02139", "north")
    assert (two["zip"], two["region"]) == ("", "south")
    assert (nine["zip"], nine["region"]) == ("94110", "Pacific")  # a user only it lists


def test_a_stated_region_still_wins_and_a_blank_one_is_filled(tmp_path: Path) -> None:
    d = make_project(tmp_path / "demo")
    write(d / "users.csv", "user_id,region\nU01,north\nU02,\n")
    stated = write(tmp_path / "r.csv", "user_id,region,zip\nU01,East,02139\n")
    assert user_row(load(d, users=stated), "U01")["region"] == "East"
    zips = write(tmp_path / "z.csv", "user_id,zip\nU02,02139\n")
    assert user_row(load(d, users=zips), "U02")["region"] == "New England"


def test_a_zip_file_over_movielens_derives_zone_and_region_again(tmp_path: Path) -> None:
    d = make_ml100k(tmp_path / "ml")  # user 1: zip 85711 (zone 8, Mountain)
    inter = load(d, users=write(tmp_path / "z.csv", "user_id,zip\n1,10001\n"))
    one, two = user_row(inter, "1"), user_row(inter, "2")
    assert (one["zip"], one["region"], one["zip_zone"]) == ("10001", "Mid-Atlantic", "1")
    assert (two["zip"], two["region"], two["zip_zone"]) == ("T8H1N", "non-US", "other")
