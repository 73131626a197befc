"""Deterministic synthetic demo data with planted audience structure.

``generate`` writes a folder of CSV files that look like a small film-viewing log
(``interactions.csv``, ``films.csv``, ``users.csv``), the cinemas its users go to
(``cinemas.csv``: ``cinema_id,city,region,screens,seats``) plus the ground truth that was
planted in it (``groups.csv``: each user's taste group, ``demo.json``: the generator's
parameters, each group's favoured genres and regional skew, each region's favoured genres, and
a film that makes a good demo).

Planted structure:

* each taste group favours 2-3 genres (no two groups the same set), is over-represented in
  1-2 regions and mildly skewed in age and gender;
* a user's films come mostly (``TASTE_SHARE``) from films of their group's favoured genres,
  the rest from global popularity, so blockbusters are watched across groups;
* film popularity is Zipf-like (long tail) and user activity lognormal (a few heavy users
  with hundreds of views, many with 5-15); every user has at least ``MIN_PER_USER``
  distinct films and every film at least one viewer;
* ratings are higher when the film matches the user's taste;
* nobody watches a film before its release;
* each region has 3-5 cities and each city one or more cinemas; a user's ``city`` lies in
  their region and their ``cinema`` (most visited) in their city; each region favours one or
  two genres, whose films are drawn ``REGIONAL_LIFT`` times as often there (``demo.json``:
  ``places.regional_taste``), and ``LOCAL_SHARE`` of the films are local to one region, drawn
  ``LOCAL_LIFT`` times as often there (``places.local_films``). The places come from their
  own generator (:mod:`recommender.io.demo_places`), so the other streams did not change when
  they were added.

Everything is drawn from ``np.random.default_rng(seed)`` with vectorised numpy (loops only
per group, per film title or per chunk of users), so the same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.io.atomic import atomic_dir
from recommender.io.columns import (
    AGE,
    CATALOG_COLUMNS,
    FILM_ID,
    GENDER,
    OCCUPATION,
    RATING,
    REGION,
    TIMESTAMP,
    USER_ID,
)
from recommender.io.demo_places import (
    Places,
    assign_places,
    local_films,
    manifest_entry,
    places_rng,
    plan_places,
    region_index,
    region_lift,
)
from recommender.io.demo_viewing import (
    MIN_PER_USER,
    Viewings,
    example_film,
    make_viewings,
    max_per_user,
)
from recommender.io.demo_world import (
    GENRE_VOCABULARY,
    REGIONS,
    Films,
    Users,
    make_films,
    make_users,
    max_groups,
    plan_groups,
)
from recommender.io.places import CINEMA, CINEMA_COLUMNS, CITY
from recommender.io.places import CINEMAS_FILE as PLACES_CINEMAS_FILE

DEMO_MARKER = "demo.json"
GENERATOR = "recommender.demo"  # frozen: written into and checked in demo.json, not a path
VERSION = 1

INTERACTIONS_FILE = "interactions.csv"
FILMS_FILE = "films.csv"
USERS_FILE = "users.csv"
GROUPS_FILE = "groups.csv"
CINEMAS_FILE = PLACES_CINEMAS_FILE

GROUP = "group"


#: what ``recommender demo-data`` calls the parameters (``generate``'s ``names``): its errors
#: named ``n_interactions``, a name the user never typed
CLI_OPTIONS = {"n_users": "--users", "n_films": "--films", "n_interactions": "--interactions"}


def generate(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 7,
    n_users: int = 3000,
    n_films: int = 400,
    n_interactions: int | None = None,
    n_groups: int | None = None,
    progress: bool = False,
    names: Mapping[str, str] | None = None,
) -> Path:
    """Write a demo data folder to ``out_dir`` and return its path.

    The folder is written into a temporary folder beside ``out_dir`` and renamed into place,
    so a failure leaves no partial folder. An existing ``out_dir`` is replaced when it is a
    previous demo folder (it holds ``demo.json``) or empty; anything else raises
    ``InvalidParameterError``. The same arguments always give byte-identical files.
    ``n_groups`` (taste groups) is 8 by default, or one per user below 8 users (``demo-data
    --users 3``, which has no option for it, was refused as "n_groups must be in
    1..n_users, got 8"). ``n_interactions`` is 100,000 by default, the demo's density
    (100,000 of 3,000 x 400 pairs) at another size, within what the size allows
    (``demo-data --users 300 --films 60`` was refused for the 100,000 it never asked for).
    ``names``: what a refusal calls each parameter (``{"n_users": "--users"}`` for the CLI,
    whose errors named the Python parameters); unlisted, its own name.
    """
    n_groups = min(8, n_users) if n_groups is None else n_groups
    if n_interactions is None:
        lo, hi = interaction_range(n_users, n_films)
        n_interactions = min(max(round(100_000 * n_users * n_films / 1_200_000), lo), hi)
    _check_parameters(n_users, n_films, n_interactions, n_groups, names or {})
    out = Path(out_dir)
    _check_target(out)
    steps = tqdm(total=5, desc="demo data", disable=not progress, unit="step")
    rng = np.random.default_rng(seed)
    place_rng = places_rng(seed)
    places = plan_places(place_rng, n_users)

    groups = plan_groups(rng, n_groups)
    steps.update()
    films = make_films(rng, n_films)
    steps.update()
    users = make_users(rng, n_users, groups)
    city, cinema = assign_places(place_rng, users, places)
    home = local_films(place_rng, n_films)
    steps.update()
    inter = make_viewings(rng, films, users, groups, n_interactions,
                          region_lift(places, films.genres, home), region_index(users))
    steps.update()

    manifest: dict[str, Any] = {
        "generator": GENERATOR,
        "version": VERSION,
        "seed": seed,
        "n_users": n_users,
        "n_films": n_films,
        "n_interactions": n_interactions,
        "n_groups": n_groups,
        "groups": [
            {
                "group": g,
                "genres": [GENRE_VOCABULARY[i] for i in groups.genres[g]],
                "regions": {r: round(float(p), 4) for r, p in zip(REGIONS, groups.region_p[g],
                                                                   strict=True)},
                "age_mean": round(float(groups.age_mean[g]), 1),
                "female_share": round(float(groups.female_p[g]), 3),
                "share": round(float(groups.size_p[g]), 4),
            }
            for g in range(n_groups)
        ],
        "example_film_id": example_film(films, users, inter, n_groups),
        "places": manifest_entry(places, films.ids, home),
    }
    _write_folder(out, films, users, inter, manifest, places, (city, cinema))
    steps.update()
    steps.close()
    return out


def read_groups(folder: str | os.PathLike[str]) -> dict[str, int]:
    """The planted taste group of every user of a demo folder: ``{user_id: group}``."""
    path = Path(folder) / GROUPS_FILE
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != f"{USER_ID},{GROUP}":
        raise InvalidParameterError(f"{path} is not a demo groups file (bad header)")
    out: dict[str, int] = {}
    for line in lines[1:]:
        user, group = line.split(",")
        out[user] = int(group)
    return out


def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``demo.json`` of a demo folder."""
    path = Path(folder) / DEMO_MARKER
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidParameterError(f"{folder} is not a demo folder: no {DEMO_MARKER}") from None
    return data


# --------------------------------------------------------------------------------------------
# Parameters and the target folder


def _check_parameters(n_users: int, n_films: int, n_interactions: int, n_groups: int,
                      names: Mapping[str, str]) -> None:
    """Refuse a size no demo has, calling each parameter what ``names`` says (``generate``)."""
    users, films, groups, inter = (names.get(n, n) for n in ("n_users", "n_films", "n_groups",
                                                             "n_interactions"))
    if n_users < 1:
        raise InvalidParameterError(f"{users} must be >= 1, got {n_users}")
    # each user watches 5 to half the catalog films, half of that on average: below 20 films
    # no count of interactions fits (12 films asked for 200..120)
    if n_films < 4 * MIN_PER_USER:
        raise InvalidParameterError(f"{films} must be >= {4 * MIN_PER_USER} (each user watches "
                                    f"at least {MIN_PER_USER} films, a quarter of the catalog "
                                    f"on average), got {n_films}")
    if n_groups < 1 or n_groups > n_users:
        raise InvalidParameterError(f"{groups} must be in 1..{users}, got {n_groups}")
    if n_groups > max_groups():
        raise InvalidParameterError(f"{groups} must be <= {max_groups()}, got {n_groups}")
    lo, hi = interaction_range(n_users, n_films)
    if not lo <= n_interactions <= hi:
        raise InvalidParameterError(
            f"{inter} must be in {lo}..{hi} for {n_users} users ({users}) and {n_films} films "
            f"({films}), got {n_interactions}")


def interaction_range(n_users: int, n_films: int) -> tuple[int, int]:
    """The counts of interactions a demo of ``n_users`` x ``n_films`` can hold: each user
    watches at least ``MIN_PER_USER`` films and half the most a user may on average."""
    return MIN_PER_USER * n_users, int(max_per_user(n_films) * n_users * 0.5)


def _check_target(out: Path) -> None:
    """Raise unless ``out`` is absent, an empty folder or a previous demo folder."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_dir() and not out.is_symlink():
        if (out / DEMO_MARKER).is_file() or not any(out.iterdir()):
            return
    raise InvalidParameterError(
        f"{out} exists and is not a demo data folder (no {DEMO_MARKER}); refusing to replace "
        "it: choose another folder or remove it")


# --------------------------------------------------------------------------------------------
# Writing


def _csv_text(header: Sequence[str], columns: Sequence[NDArray[Any]]) -> str:
    line: NDArray[np.str_] = np.asarray(columns[0]).astype(str)
    for col in columns[1:]:
        line = np.char.add(np.char.add(line, ","), np.asarray(col).astype(str))
    body = "\n".join(line.tolist())
    return ",".join(header) + "\n" + (body + "\n" if len(line) else "")


def _write_csv(path: Path, header: Sequence[str], columns: Sequence[NDArray[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(_csv_text(header, columns))


def _rating_text(rating: NDArray[np.float64]) -> NDArray[np.str_]:
    table = np.array([f"{x / 2:.1f}" for x in range(11)])
    return table[np.rint(rating * 2).astype(np.int64)]


def _write_folder(out: Path, films: Films, users: Users, inter: Viewings,
                  manifest: dict[str, Any], places: Places,
                  user_places: tuple[NDArray[np.str_], NDArray[np.str_]]) -> None:
    """Write the six files into a new folder that replaces ``out`` whole (umask permissions)."""
    with atomic_dir(out) as tmp:
        _write_csv(tmp / INTERACTIONS_FILE, (USER_ID, FILM_ID, RATING, TIMESTAMP),
                   (users.ids[inter.user], films.ids[inter.film], _rating_text(inter.rating),
                    inter.timestamp))
        genres = np.array(["|".join(GENRE_VOCABULARY[i] for i in gs) for gs in films.genres])
        order = np.argsort(films.ids, kind="stable")
        _write_csv(tmp / FILMS_FILE, CATALOG_COLUMNS,
                   (films.ids[order], np.array([_csv_field(t) for t in films.titles])[order],
                    films.years[order], genres[order]))
        _write_csv(tmp / USERS_FILE, (USER_ID, AGE, GENDER, OCCUPATION, REGION, CITY, CINEMA),
                   (users.ids, users.age, users.gender, users.occupation, users.region,
                    *user_places))
        city = places.cinema_city
        _write_csv(tmp / CINEMAS_FILE, CINEMA_COLUMNS,
                   (places.cinema_ids, np.asarray(places.city_names)[city],
                    np.asarray(REGIONS)[places.city_region[city]], places.screens, places.seats))
        _write_csv(tmp / GROUPS_FILE, (USER_ID, GROUP), (users.ids, users.group))
        (tmp / DEMO_MARKER).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _check_target(out)  # it may have appeared while we generated


def _csv_field(text: str) -> str:
    """Quote a CSV field when it needs it (RFC 4180)."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m recommender.io.demo OUT_DIR [--seed N ...]``: write a demo data folder."""
    p = argparse.ArgumentParser(prog="python -m recommender.io.demo", description=__doc__)
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--users", type=int, default=3000)
    p.add_argument("--films", type=int, default=400)
    # unset: ``generate``'s defaults (the demo's density at another size; 8 groups, or one
    # per user below 8), as ``recommender demo-data``; 100,000 and 8 here refused sizes
    p.add_argument("--interactions", type=int, default=None)
    p.add_argument("--groups", type=int, default=None)
    a = p.parse_args(argv)
    path = generate(a.out_dir, seed=a.seed, n_users=a.users, n_films=a.films,
                    n_interactions=a.interactions, n_groups=a.groups, progress=True)
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
