"""The pooled "other" row of a capped screen allocation weighs only the demand of its places
that have a cinema: its places the table lacks get no screens (the README), so their demand
took screens that only the others could use (a walk's pool of 713 users took 30 of 40
screens, though only 98 of them lived in its 13 cities with a cinema). Where one of the two
parts is a small group, a public figure stands in, so the screens show no small group's demand.
The oracle recomputes each user's probability and Hamilton's method here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import brute_audience, dense_seen, synthetic_model, tie_mean_p

from recommender.distribution.demand import demand_by_place
from recommender.io.places import Cinemas
from recommender.model.model import Model

BIG = {"Lyon": 90, "Nice": 60}  # city -> users; each with a cinema of 12 screens
MIN_CELL = 10


def city_model(small_with: list[int], small_without: list[int], seed: int = 2) -> Model:
    """Users in two big cities and in small ones (each under MIN_CELL, so pooled): the
    ``s<i>`` have a cinema, the ``n<i>`` none."""
    names = [*BIG, *(f"s{i}" for i in range(len(small_with))),
             *(f"n{i}" for i in range(len(small_without)))]
    sizes = [*BIG.values(), *small_with, *small_without]
    m = synthetic_model(n_users=sum(sizes), n_films=12, seed=seed)
    city = np.repeat(names, sizes)
    m.user_table.attributes["city"] = np.random.default_rng(seed).permutation(city)
    m.user_table.attributes["cinema"] = np.char.add("C-", m.user_table.attributes["city"])
    m.user_table.attributes["region"] = np.full(len(city), "East")  # one town of each name
    return m


def table(cities: list[str], screens: int = 12, ids: list[str] | None = None) -> Cinemas:
    n = len(cities)
    return Cinemas(np.array(ids or [f"C-{c}" for c in cities]), np.array(cities),
                   np.full(n, "East"), np.full(n, screens, np.int64),
                   np.full(n, 100, np.int64), "cinemas.csv")


def place_totals(model: Model, f: int, by: str) -> dict[str, float]:
    """Each place's viewers + expected new viewers, user by user."""
    order, desc = brute_audience(model, f)
    p = np.zeros(model.n_users)
    p[order] = tie_mean_p(model, f, desc)
    total = p + dense_seen(model)[:, f]
    out: dict[str, float] = {}
    for u, place in enumerate(model.user_table.attributes[by].tolist()):
        out[place] = out.get(place, 0.0) + float(total[u])
    return out


def hamilton(weights: list[float], n: int, caps: list[int]) -> list[int]:
    """Largest remainder with caps: a place whose quota reaches its cap gets it, the rest is
    shared again among the others; then floors and the largest remainders (ties: larger
    weight, then the earlier place)."""
    w = np.array(weights, float)
    cap = np.array(caps, float)
    alloc = np.zeros(len(w), int)
    free = cap > 0
    left = n
    while True:
        base = np.where(free, w, 0.0)
        if base.sum() <= 0:
            base = np.where(free, cap, 0.0)
        quota = np.where(free, left * base / base.sum(), 0.0)
        over = free & (quota >= cap)
        if not over.any():
            break
        alloc[over] = cap[over]
        left -= int(cap[over].sum())
        free &= ~over
    floor = np.floor(quota).astype(int)
    alloc[free] += floor[free]
    rest = left - int(floor[free].sum())
    frac = np.where(free, quota - floor, -1.0)
    ranked = sorted(range(len(w)), key=lambda i: (-round(frac[i], 9), -w[i], i))
    for i in ranked[:rest]:
        alloc[i] += 1
    return alloc.tolist()


def allocation(body: dict[str, Any]) -> dict[str, int]:
    return {r["place"]: r["screens"] for r in body["places"]}


def oracle(model: Model, f: int, by: str, pool_weight: float, n: int, capacity: int
           ) -> dict[str, int]:
    totals = place_totals(model, f, by)
    shown = [f"{'C-' if by == 'cinema' else ''}{c}" for c in BIG]
    shown.sort(key=lambda c: -totals[c])
    got = hamilton([totals[c] for c in shown] + [pool_weight], n, [12, 12, capacity])
    return dict(zip([*shown, "other"], got, strict=True))


@pytest.mark.parametrize("f", [1, 4, 7])
def test_the_pool_weighs_only_its_places_with_a_cinema(f: int) -> None:
    # 4 small cities with a cinema (20 users), 40 without (240 users): the pool's 260 users
    # outweighed Lyon and Nice, though only 20 of them can use its screens
    model = city_model([5] * 4, [6] * 40)
    cinemas = table([*BIG, "s0", "s1", "s2", "s3"], screens=12)
    film = str(model.films.ids[f])
    body = demand_by_place(model, film, "city", screens=20, cinemas=cinemas, min_cell=MIN_CELL)
    totals = place_totals(model, f, "city")
    with_cinema = sum(totals[f"s{i}"] for i in range(4))
    assert allocation(body) == oracle(model, f, "city", with_cinema, 20, 48)
    other = next(r for r in body["places"] if r["place"] == "other")
    # the row still shows the whole pool's figures: only its weight in the screens changed
    assert other["users"] == 260 and other["capacity"] == 48
    assert other["expected_total"] == pytest.approx(
        sum(v for c, v in totals.items() if c not in BIG), abs=2e-3)
    if other["screens"]:
        assert body["screens"]["note"].startswith(
            f"the {other['screens']} screen{'s' * (other['screens'] > 1)} of 'other' "
            f"{'are' if other['screens'] > 1 else 'is'} one block for the 4 of its 44 cities "
            "that have a cinema in cinemas.csv, shared out beside the rows above by those "
            "cities' demand alone (the other pooled cities' users get no screens")


def test_a_misspelt_pooled_cinema_id_weighs_nothing() -> None:
    # by cinema: two pooled cinemas are in the table under another id ('c-n0', 'C-n1 '):
    # their users' demand counted for the pool, whose screens only the others can use
    model = city_model([6] * 3, [7, 6])
    ids = ["C-Lyon", "C-Nice", "C-s0", "C-s1", "C-s2", "c-n0", "C-n1 "]
    cinemas = table(["Lyon", "Nice", "s0", "s1", "s2", "n0", "n1"], screens=12, ids=ids)
    for f in (2, 5):
        body = demand_by_place(model, str(model.films.ids[f]), "cinema", screens=18,
                               cinemas=cinemas, min_cell=MIN_CELL)
        totals = place_totals(model, f, "cinema")
        pooled = sum(totals[f"C-s{i}"] for i in range(3))
        assert allocation(body) == oracle(model, f, "cinema", pooled, 18, 36)


@pytest.mark.parametrize(("small_with", "small_without", "weight"), [
    ([4], [6] * 30, "none"),  # the pool's places with a cinema: 4 users, under MIN_CELL
    ([6] * 30, [4], "pool"),  # its places without one: 4 users (the pool less them shows them)
])
def test_a_small_part_of_the_pool_is_not_shown_by_its_screens(
        small_with: list[int], small_without: list[int], weight: str) -> None:
    model = city_model(small_with, small_without)
    cinemas = table([*BIG, *(f"s{i}" for i in range(len(small_with)))], screens=12)
    capacity = 12 * len(small_with)
    for f in (1, 3):
        body = demand_by_place(model, str(model.films.ids[f]), "city", screens=20,
                               cinemas=cinemas, min_cell=MIN_CELL)
        totals = place_totals(model, f, "city")
        pool = sum(v for c, v in totals.items() if c not in BIG)
        assert allocation(body) == oracle(model, f, "city", 0.0 if weight == "none" else pool,
                                          20, capacity)
    if weight == "pool":
        assert "by the whole pool's demand, as its cities without a cinema hold fewer than " \
               f"{MIN_CELL} users (the smallest place shown)" in body["screens"]["note"]
    # 24 screens of Lyon and Nice: the pool, weighing nothing, takes the last one
    body = demand_by_place(model, str(model.films.ids[1]), "city", screens=25,
                           cinemas=cinemas, min_cell=MIN_CELL)
    if weight == "none":
        assert allocation(body)["other"] == 1
        assert f"by no demand, as those cities hold fewer than {MIN_CELL} users" in \
            body["screens"]["note"]
