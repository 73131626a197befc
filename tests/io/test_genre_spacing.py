"""Genres of a catalog written with spaces around ``|`` read as the genres they name.

``Drama | Comedy`` (as a spreadsheet or a hand-edited catalog writes it) was read as the genres
``Drama `` and `` Comedy``: a genre apart from ``Comedy``, with its own segment labels
(`` Musical  &  Romance fans``) and lifts, and left out of a cold-start ``--genre Comedy``.
"""

from __future__ import annotations

from pathlib import Path

from reading_helpers import write

from recommender.io.readers import load, read_films


def test_spaces_empty_and_repeated_genres_are_dropped(tmp_path: Path) -> None:
    text = ("film_id,title,year,genres\n"
            "a,A,2001,Drama | Comedy\n"
            "b,B,2002, Comedy|Drama|\n"
            "c,C,2003,Comedy||Comedy\n"
            "d,D,2004,(no genres listed)\n"
            "e,E,2005,Drama\n")
    cat = read_films(write(tmp_path / "films.csv", text))
    assert cat.genres.tolist() == ["Drama|Comedy", "Comedy|Drama", "Comedy", "", "Drama"]
    assert cat.genre_vocabulary() == ["Comedy", "Drama"]


def test_movies_dat_genres_are_stripped_too(tmp_path: Path) -> None:
    d = tmp_path / "ml"
    d.mkdir()
    write(d / "ratings.dat", "1::10::4::978300760\n1::20::3::978300761\n")
    write(d / "movies.dat", "10::Heat (1995)::Action | Crime\n20::Up (2009)::Animation\n")
    inter = load(d)
    assert inter.catalog is not None
    assert inter.catalog.genres.tolist() == ["Action|Crime", "Animation"]
