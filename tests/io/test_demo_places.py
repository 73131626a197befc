"""The demo's places (``recommender.io.demo_places``): cities, cinemas, each user's city and
cinema, the planted regional taste, and the other random streams left as they were."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recommender.errors import DataError
from recommender.io import demo
from recommender.io.demo_world import REGIONS, make_films, make_users, plan_groups
from recommender.io.places import CINEMA_COLUMNS, read_cinemas


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo.generate(tmp_path_factory.mktemp("places") / "data")


def test_cinemas_file_and_user_places(folder: Path) -> None:
    cinemas = _read(folder / demo.CINEMAS_FILE)
    assert list(cinemas[0]) == list(CINEMA_COLUMNS)
    by_id = {c["cinema_id"]: c for c in cinemas}
    assert len(by_id) == len(cinemas) >= 3 * len(REGIONS)
    city_region = {c["city"]: c["region"] for c in cinemas}
    assert set(city_region.values()) == set(REGIONS)
    for c in cinemas:
        assert city_region[c["city"]] == c["region"]  # a city lies in one region
        screens, seats = int(c["screens"]), int(c["seats"])
        assert 1 <= screens <= 20 and 80 * screens <= seats <= 260 * screens
    users = _read(folder / demo.USERS_FILE)
    for u in users:
        hall = by_id[u["cinema"]]
        assert (hall["city"], hall["region"]) == (u["city"], u["region"])
    counts = Counter(u["cinema"] for u in users)
    assert 20 <= np.median(list(counts.values())) <= 120
    manifest = demo.read_manifest(folder)["places"]
    assert (manifest["cities"], manifest["cinemas"]) == (len(city_region), len(cinemas))
    table = read_cinemas(folder / demo.CINEMAS_FILE)
    assert table.ids.tolist() == [c["cinema_id"] for c in cinemas]
    assert table.screens_of(np.array([cinemas[1]["cinema_id"], "nope"])).tolist() == [
        int(cinemas[1]["screens"]), 0]


def test_other_streams_are_unchanged(folder: Path) -> None:
    """Groups, films and the users' first attributes come from ``default_rng(seed)`` exactly as
    before the places were added (the places draw from their own generator)."""
    rng = np.random.default_rng(7)
    groups = plan_groups(rng, 8)
    films = make_films(rng, 400)
    users = make_users(rng, 3000, groups)
    rows = _read(folder / demo.USERS_FILE)
    assert [r["user_id"] for r in rows] == users.ids.tolist()
    assert [r["region"] for r in rows] == users.region.tolist()
    assert [int(r["age"]) for r in rows] == users.age.tolist()
    assert [r["occupation"] for r in rows] == users.occupation.tolist()
    assert sorted(r["film_id"] for r in _read(folder / demo.FILMS_FILE)) == sorted(
        films.ids.tolist())


def test_planted_regional_taste(folder: Path) -> None:
    """Within each taste group, users of a region watch its favoured genres more than users of
    the other regions do (the planted lift, net of the groups' own regional skew)."""
    truth: dict[str, Any] = demo.read_manifest(folder)["places"]["regional_taste"]
    assert set(truth) == set(REGIONS)
    users = {r["user_id"]: r["region"] for r in _read(folder / demo.USERS_FILE)}
    groups = demo.read_groups(folder)
    genres = {r["film_id"]: set(r["genres"].split("|"))
              for r in _read(folder / demo.FILMS_FILE)}
    inter = _read(folder / demo.INTERACTIONS_FILE)
    region = np.array([users[r["user_id"]] for r in inter])
    group = np.array([groups[r["user_id"]] for r in inter])
    for name, entry in truth.items():
        assert entry["lift"] > 1
        favoured = set(entry["genres"])
        has = np.array([bool(genres[r["film_id"]] & favoured) for r in inter])
        ratios = [has[(region == name) & (group == g)].mean()
                  / has[(region != name) & (group == g)].mean() for g in range(8)]
        assert np.exp(np.mean(np.log(ratios))) > 1.08, (name, ratios)


def test_read_cinemas_errors(tmp_path: Path) -> None:
    bad = tmp_path / "c.csv"
    bad.write_text("cinema_id,city,region,screens,seats\nc1,A,North,0,10\n")
    with pytest.raises(DataError, match=r"line 2.*screens must be a whole number >= 1"):
        read_cinemas(bad)
    bad.write_text("cinema_id,city,region,screens,seats\nc1,A,North,2,10\nc1,A,North,2,10\n")
    with pytest.raises(DataError, match=r"line 3.*repeated"):
        read_cinemas(bad)
    bad.write_text("id,screens\nc1,2\n")
    with pytest.raises(DataError, match="line 1.*cinema_id"):
        read_cinemas(bad)
    with pytest.raises(DataError, match="no such file"):
        read_cinemas(tmp_path / "missing.csv")
    for text, message in [
            ("cinema_id,screens\nc1,\u00b2\n", "line 2: screens must be a whole number >= 1 and "
                                              "at most 2147483647, got '\u00b2'$"),
            ("cinema_id,screens\nc1,99999999999999999999\n", "line 2: screens must be a whole "
                                                             "number >= 1 and at most"),
            ("cinema_id,screens,seats\nc1,2,\u00b3\n", "line 2: seats must be a whole number"),
            ("cinema_id,screens\nc1,2147483648\n", "line 2.*got '2147483648'"),
            ("cinema_id,screens\n", "line 1: the file lists no cinema"),
            ("cinema_id,screens,screens\nc1,2,3\n", "line 1: the header names the column "
                                                    "'screens' more than once")]:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(DataError) as e:
            read_cinemas(bad)
        assert re.match(re.escape(f"{bad}, ") + message, str(e.value)), str(e.value)
    bad.write_text("cinema_id,screens\nc1,2147483647\n")
    assert read_cinemas(bad).screens.tolist() == [2**31 - 1]
    ok = tmp_path / "s.csv"
    ok.write_text("cinema_id,screens\nc1,3\nc2,1\n")
    table = read_cinemas(ok)
    assert table.screens.tolist() == [3, 1] and table.city.tolist() == ["", ""]
    # records end at a newline outside quotes only: a city holding U+2028 was split into two
    # short rows (a valid file refused), and a quoted newline in an id was dropped
    odd = tmp_path / "odd.csv"
    odd.write_text('cinema_id,city,screens\nc1,Saint\u2028Ouen,3\n"c\n2",B,1\nc3,C,x\n',
                   encoding="utf-8", newline="")
    with pytest.raises(DataError, match=r"line 5: screens must be a whole number"):
        read_cinemas(odd)  # the line the record starts on, past the quoted newline
    odd.write_text('cinema_id,city,screens\nc1,Saint\u2028Ouen,3\n"c\n2",B,1\n',
                   encoding="utf-8", newline="")
    table = read_cinemas(odd)
    assert table.ids.tolist() == ["c1", "c\n2"] and table.city.tolist() == ["Saint\u2028Ouen", "B"]
    # a quote left open past the csv module's field limit: an error naming the line, not a
    # traceback
    odd.write_text('cinema_id,screens\nc1,3\nc2,"' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3: not readable as CSV from here on"):
        read_cinemas(odd)
