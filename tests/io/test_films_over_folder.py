"""``--films`` over a folder's own catalog replaces the columns it has, not whole rows.

A ``film_id,title`` file given to rename a few films wiped their years and genres (the folder's
``films.csv`` had them) without a word: segment labels, cold-start genres and distribution
lost them.
"""

from __future__ import annotations

from pathlib import Path

from reading_helpers import catalog_row, write

from recommender.io.readers import load


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    write(d / "interactions.csv", "user_id,film_id\nu1,f1\nu2,f2\nu2,f3\n")
    write(d / "films.csv", "film_id,title,year,genres\nf1,Heat,1995,Action|Crime\n"
                           "f2,Up,2009,Animation\nf3,Alien,1979,Horror\n")
    return d


def test_a_titles_file_keeps_the_folders_years_and_genres(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    films = write(tmp_path / "titles.csv", "film_id,title\nf1,Heat (Director's Cut)\nf9,New\n")
    inter = load(d, films=films)
    assert catalog_row(inter, "f1") == ("Heat (Director's Cut)", 1995, "Action|Crime")
    assert catalog_row(inter, "f2") == ("Up", 2009, "Animation")
    assert catalog_row(inter, "f9") == ("New", 0, "")


def test_a_genres_file_keeps_titles_and_a_title_year_wins(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    inter = load(d, films=write(tmp_path / "g.csv", "film_id,genres\nf2,Family\n"))
    assert catalog_row(inter, "f2") == ("Up", 2009, "Family")
    inter = load(d, films=write(tmp_path / "t.csv", "movieId,title\nf3,Alien (1980)\n"))
    assert catalog_row(inter, "f3") == ("Alien (1980)", 1980, "Horror")  # its year, parsed
    full = write(tmp_path / "full.csv", "film_id,title,year,genres\nf1,H,,\n")
    assert catalog_row(load(d, films=full), "f1") == ("H", 0, "")  # columns given: they win
