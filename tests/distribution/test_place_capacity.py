"""The cinema table caps screens at every level it names: by cinema, and by the summed
screens of its cinemas in each city and region (a breakdown by region gave a region more
screens than all its cinemas hold)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import synthetic_model

from recommender.distribution.demand import demand_by_place
from recommender.errors import InvalidParameterError
from recommender.io.places import Cinemas
from recommender.model.model import Model

# cinema -> (city, region, screens); the users' cinemas, cities and regions agree with it
TABLE = {"c1": ("Lyon", "East", 1), "c2": ("Lyon", "East", 1), "c3": ("Nice", "South", 2),
         "c4": ("Paris", "North", 20), "c5": ("Lille", "North", 6)}


@pytest.fixture(scope="module")
def model() -> Model:
    m = synthetic_model(n_users=300, n_films=20, seed=4)
    cinema = np.array(list(TABLE))[np.arange(300) % len(TABLE)]
    for k, attr in ((0, "city"), (1, "region")):
        m.user_table.attributes[attr] = np.array([TABLE[c][k] for c in cinema])
    m.user_table.attributes["cinema"] = cinema
    return m


def table(source: str = "cinemas.csv") -> Cinemas:
    rows = list(TABLE.values())
    return Cinemas(np.array(list(TABLE)), np.array([r[0] for r in rows]),
                   np.array([r[1] for r in rows]), np.array([r[2] for r in rows], np.int64),
                   np.full(len(rows), 100, np.int64), source)


def places(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["place"]: r for r in body["places"]}


@pytest.mark.parametrize(("by", "capacity"), [
    ("region", {"East": 2, "South": 2, "North": 26}),
    ("city", {"Lyon": 2, "Nice": 2, "Paris": 20, "Lille": 6}),
    ("cinema", {c: r[2] for c, r in TABLE.items()}),
])
def test_every_level_the_table_names_is_capped(model: Model, by: str,
                                               capacity: dict[str, int]) -> None:
    film = str(model.films.ids[2])
    body = demand_by_place(model, film, by, screens=30, cinemas=table(), min_cell=1)
    got = places(body)
    assert {p: r["capacity"] for p, r in got.items()} == capacity
    assert body["screens"]["capacity"] == 30 == sum(r["screens"] for r in got.values())
    # 30 screens of 30: every place gets exactly its cinemas' screens, however its demand
    assert {p: r["screens"] for p, r in got.items()} == capacity
    assert body["screens"]["capped_by"] == "cinemas.csv: 5 cinemas, 30 screens"
    with pytest.raises(InvalidParameterError, match="screens=31 is more than the 30 screens"):
        demand_by_place(model, film, by, screens=31, cinemas=table(), min_cell=1)
    # fewer screens: none above its capacity, and the rest by largest remainder
    body = demand_by_place(model, film, by, screens=12, cinemas=table(), min_cell=1)
    assert all(r["screens"] <= r["capacity"] for r in body["places"])
    assert sum(r["screens"] for r in body["places"]) == 12


def test_a_table_without_regions_caps_no_region_and_says_so(model: Model) -> None:
    bare = Cinemas(np.array(list(TABLE)), np.full(5, ""), np.full(5, ""),
                   np.array([r[2] for r in TABLE.values()], np.int64), np.zeros(5, np.int64),
                   str(Path("x") / "screens.csv"))
    body = demand_by_place(model, str(model.films.ids[2]), "region", screens=40, cinemas=bare)
    assert body["screens"]["capped_by"] is None and body["screens"]["capacity"] is None
    assert body["screens"]["warning"] == ("screens.csv gives no region for its cinemas, so the "
                                          "allocation is not capped by region")


def test_a_region_users_name_that_the_table_lacks_is_said(model: Model) -> None:
    rows = list(TABLE.values())
    moved = Cinemas(np.array(list(TABLE)), np.array([r[0] for r in rows]),
                    np.array(["Est" if r[1] == "East" else r[1] for r in rows]),
                    np.array([r[2] for r in rows], np.int64), np.zeros(5, np.int64))
    body = demand_by_place(model, str(model.films.ids[2]), "region", screens=20,
                           cinemas=moved, min_cell=1)
    got = places(body)
    assert got["East"]["screens"] == got["East"]["capacity"] == 0
    assert body["screens"]["capped_by"].endswith(
        "; 2 screens of 2 cinemas in a region no user names cannot be used (e.g. 'Est')")
    assert body["screens"]["warning"].startswith(
        "1 region users name not in cinemas.csv (e.g. 'East') gets no screens, whatever its "
        "demand")
