"""Helpers of the reader tests: write a small file, and read back what ``load`` made of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import DataError
from recommender.io.dataset import Interactions
from recommender.io.readers import load


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


BASIC = """user_id,film_id,rating,timestamp
u1,f1,4,100
u2,f1,3,50
u1,f2,5,200
u1,f1,2,300
u1,f1,5,10
"""


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
        f"4|Never Rated (1990)|14-Mar-1997||http://w|{flags(1)}\n"), encoding="latin-1")
    write(folder / "u.genre", U_GENRE)
    write(folder / "u.user", "1|24|M|technician|85711\n2|53|F|other|T8H1N\n"
          "3|17|M|student|02139\n")
    return folder


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
