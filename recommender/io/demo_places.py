"""The demo's places: cities, cinemas, each user's city and cinema, and regional taste.

Cities lie within the demo's regions, cinemas (with screens and seats) within cities; each
user has a city and a most-visited cinema; the regional taste is planted in the viewing log.

Everything here is drawn from its own generator (``places_rng(seed)``), so adding places left
the demo's other random streams (groups, films, users, viewings) as they were; the regional
taste only shifts the viewing log's sampling weights (see ``demo_viewing.make_viewings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.io.demo_world import GENRE_VOCABULARY, GENRE_WEIGHTS, REGIONS, Users

REGIONAL_LIFT = 1.6
"""Sampling weight multiplier, in its region, of a film of one of the region's favoured
genres (modest: taste groups stay the main structure)."""
LOCAL_SHARE = 0.15
"""Share of films that are local to one region (a regional production, a local star)."""
LOCAL_LIFT = 3.0
"""Sampling weight multiplier of a local film in its own region."""
USERS_PER_CINEMA = 60
"""About this many demo users name a cinema as their most visited (so some cinemas have fewer
than the minimum cell size and a breakdown by cinema merges them)."""

_CITY_HEADS = ("Ash", "Brook", "Clear", "Elm", "Fair", "Glen", "High", "Lake", "Mill", "Oak",
               "Red", "Stone", "Green", "Silver", "Wood", "King", "Bright", "Cold", "Rose",
               "Maple", "Pine", "Hazel", "Iron", "Wolf")
_CITY_TAILS = ("ford", "ton", "field", "bury", "port", "wood", "ville", "by", "haven", "mouth",
               "bridge", "stead")


def places_rng(seed: int) -> np.random.Generator:
    """The generator of the places: independent of ``default_rng(seed)``'s stream."""
    return np.random.default_rng([seed, 0x91ACE5])


@dataclass
class Places:
    """Cities (name, region index, weight within the region) and cinemas (id, city index,
    screens, seats), and the regional taste: ``region_genres[r]`` are genre indices."""

    city_names: list[str]
    city_region: NDArray[np.int64]
    city_weight: NDArray[np.float64]
    cinema_ids: NDArray[np.str_]
    cinema_city: NDArray[np.int64]
    screens: NDArray[np.int64]
    seats: NDArray[np.int64]
    region_genres: list[list[int]]


def local_films(rng: np.random.Generator, n_films: int) -> NDArray[np.int64]:
    """Each film's home region (an index into ``REGIONS``), or -1 for a film that is not local:
    about ``LOCAL_SHARE`` of the films, spread evenly over the regions."""
    home = np.full(n_films, -1, np.int64)
    chosen = rng.choice(n_films, size=int(round(LOCAL_SHARE * n_films)), replace=False)
    home[chosen] = np.arange(len(chosen)) % len(REGIONS)
    return home


def plan_places(rng: np.random.Generator, n_users: int) -> Places:
    """3-5 cities per region (Zipf-like sizes), about one cinema per ``USERS_PER_CINEMA``
    users shared out by city size (at least one per city), and one or two favoured genres per
    region (the most common genres, no two regions the same first one)."""
    per_region = rng.integers(3, 6, size=len(REGIONS))
    n_cities = int(per_region.sum())
    pairs = [h + t for h in _CITY_HEADS for t in _CITY_TAILS]
    names = [pairs[int(i)] for i in rng.choice(len(pairs), size=n_cities, replace=False)]
    city_region = np.repeat(np.arange(len(REGIONS)), per_region)
    rank = np.concatenate([np.arange(k) for k in per_region])
    weight = (rank + 1.0) ** -0.9 * rng.uniform(0.7, 1.3, n_cities)
    city_weight = weight / np.bincount(city_region, weight)[city_region]
    # a city's expected users: its region's share (1/len(REGIONS) on average) times its weight
    expected = n_users / len(REGIONS) * city_weight
    n_cinemas = np.maximum(1, np.rint(expected / USERS_PER_CINEMA)).astype(np.int64)
    cinema_city = np.repeat(np.arange(n_cities), n_cinemas)
    total = int(n_cinemas.sum())
    width = max(3, len(str(total)))
    ids = np.char.add("c", np.char.zfill(np.arange(1, total + 1).astype(str), width))
    screens = np.clip(1 + rng.poisson(5.0, total), 1, 20).astype(np.int64)
    seats = screens * rng.integers(80, 261, size=total)
    weights = np.array(list(GENRE_WEIGHTS.values()))
    common = np.argsort(-weights, kind="stable")[: len(REGIONS) + 2]
    first = rng.permutation(common)[: len(REGIONS)]
    region_genres: list[list[int]] = []
    for r in range(len(REGIONS)):
        chosen = [int(first[r])]
        if rng.random() < 0.35:
            chosen.append(int(rng.choice([g for g in common if g != first[r]])))
        region_genres.append(sorted(chosen, key=lambda i: GENRE_VOCABULARY[i]))
    return Places(names, city_region, city_weight, ids, cinema_city, screens, seats,
                  region_genres)


def region_index(users: Users) -> NDArray[np.int64]:
    """Each user's region as an index into ``REGIONS``."""
    order = np.argsort(np.asarray(REGIONS))
    pos = np.searchsorted(np.asarray(REGIONS)[order], users.region)
    return order[pos].astype(np.int64)


def assign_places(rng: np.random.Generator, users: Users, places: Places
                  ) -> tuple[NDArray[np.str_], NDArray[np.str_]]:
    """Each user's city (within their region, by city weight) and most-visited cinema (within
    their city, weighted by screens): (city names, cinema ids). One loop per region and per
    city."""
    region = region_index(users)
    city = np.zeros(len(users), np.int64)
    for r in range(len(REGIONS)):
        who = np.flatnonzero(region == r)
        cities = np.flatnonzero(places.city_region == r)
        p = places.city_weight[cities] / places.city_weight[cities].sum()
        city[who] = cities[rng.choice(len(cities), size=len(who), p=p)]
    cinema = np.zeros(len(users), np.int64)
    for c in range(len(places.city_names)):
        who = np.flatnonzero(city == c)
        halls = np.flatnonzero(places.cinema_city == c)
        p = places.screens[halls] / places.screens[halls].sum()
        cinema[who] = halls[rng.choice(len(halls), size=len(who), p=p)]
    return np.asarray(places.city_names)[city], places.cinema_ids[cinema]


def region_lift(places: Places, film_genres: list[list[int]], home: NDArray[np.int64]
                ) -> NDArray[np.float64]:
    """regions x films: ``REGIONAL_LIFT`` where the film has one of the region's favoured
    genres, times ``LOCAL_LIFT`` in a local film's home region; else 1."""
    lift = np.ones((len(REGIONS), len(film_genres)))
    for r, favoured in enumerate(places.region_genres):
        has = np.array([bool(set(gs) & set(favoured)) for gs in film_genres])
        lift[r, has] = REGIONAL_LIFT
    local = np.flatnonzero(home >= 0)
    lift[home[local], local] *= LOCAL_LIFT
    return lift


def manifest_entry(places: Places, film_ids: NDArray[np.str_], home: NDArray[np.int64]
                   ) -> dict[str, Any]:
    """What ``demo.json`` records of the places: counts and the planted regional taste."""
    local = np.flatnonzero(home >= 0)
    return {
        "cities": len(places.city_names),
        "cinemas": len(places.cinema_ids),
        "cinemas_file": "cinemas.csv",
        "regional_taste": {
            REGIONS[r]: {"genres": [GENRE_VOCABULARY[i] for i in gs], "lift": REGIONAL_LIFT}
            for r, gs in enumerate(places.region_genres)},
        "regional_taste_note": (
            "in its region, a film of one of the listed genres is drawn with its sampling "
            "weight multiplied by 'lift' (on top of the taste groups' own regional skew)"),
        "local_films": {str(film_ids[f]): REGIONS[int(home[f])]
                        for f in local[np.argsort(film_ids[local], kind="stable")]},
        "local_lift": LOCAL_LIFT,
        "local_films_note": ("a local film is drawn 'local_lift' times as often in its home "
                             "region (whatever its genres)"),
    }
