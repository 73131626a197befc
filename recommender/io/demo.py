"""Deterministic synthetic demo data with planted audience structure.

``generate`` writes a folder of CSV files that look like a small film-viewing log
(``interactions.csv``, ``films.csv``, ``users.csv``) plus the ground truth that was planted
in it (``groups.csv``: each user's taste group, ``demo.json``: the generator's parameters,
each group's favoured genres and regional skew, and a film that makes a good demo).

Planted structure:

* each taste group favours 2-3 genres (no two groups the same set), is over-represented in
  1-2 regions and mildly skewed in age and gender;
* a user's films come mostly (``TASTE_SHARE``) from films of their group's favoured genres,
  the rest from global popularity, so blockbusters are watched across groups;
* film popularity is Zipf-like (long tail) and user activity lognormal (a few heavy users
  with hundreds of views, many with 5-15); every user has at least ``MIN_PER_USER``
  distinct films and every film at least one viewer;
* ratings are higher when the film matches the user's taste;
* nobody watches a film before its release.

Everything is drawn from ``np.random.default_rng(seed)`` with vectorised numpy (loops only
per group, per film title or per chunk of users), so the same seed gives the same bytes.
"""

from __future__ import annotations

import argparse
import calendar
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from recommender.errors import InvalidParameterError
from recommender.io.columns import FILM_ID, GENDER, OCCUPATION, RATING, REGION, TIMESTAMP, USER_ID

DEMO_MARKER = "demo.json"
GENERATOR = "recommender.demo"
VERSION = 1

INTERACTIONS_FILE = "interactions.csv"
FILMS_FILE = "films.csv"
USERS_FILE = "users.csv"
GROUPS_FILE = "groups.csv"

TITLE = "title"
YEAR = "year"
GENRES = "genres"
AGE = "age"
GROUP = "group"

MIN_PER_USER = 5
TASTE_SHARE = 0.85
ZIPF_EXPONENT = 1.4
"""Share of a user's choices drawn from their group's favoured genres (the rest: popularity)."""

# Genre vocabulary with rough real-world frequencies (relative weights).
GENRE_WEIGHTS: dict[str, float] = {
    "Action": 0.10, "Adventure": 0.07, "Animation": 0.04, "Comedy": 0.14, "Crime": 0.07,
    "Documentary": 0.04, "Drama": 0.17, "Family": 0.04, "Fantasy": 0.05, "Horror": 0.06,
    "Musical": 0.03, "Romance": 0.07, "Sci-Fi": 0.05, "Thriller": 0.08, "Western": 0.03,
}
GENRE_VOCABULARY: tuple[str, ...] = tuple(GENRE_WEIGHTS)

REGIONS: tuple[str, ...] = ("North", "South", "East", "West", "Central", "Coastal")
OCCUPATIONS: tuple[str, ...] = (
    "student", "engineer", "healthcare", "educator", "sales", "artist", "administrative",
    "tradesperson", "retired", "other",
)
_OCCUPATION_WEIGHTS = (0.10, 0.12, 0.11, 0.09, 0.12, 0.07, 0.13, 0.10, 0.04, 0.12)

FIRST_YEAR, LAST_YEAR = 1970, 2026
MIN_AGE, MAX_AGE = 16, 75
_DAY = 86_400
WINDOW_END = calendar.timegm((2026, 7, 1, 0, 0, 0))
WINDOW_START = WINDOW_END - 3 * 365 * _DAY

_ADJECTIVES = (
    "Silent", "Last", "Dark", "Broken", "Hidden", "Golden", "Lost", "Crimson", "Endless",
    "Frozen", "Wild", "Quiet", "Burning", "Final", "Secret", "Electric", "Hollow", "Savage",
    "Distant", "Scarlet", "Iron", "Velvet", "Bitter", "Lonely", "Shattered", "Eternal",
    "Restless", "Forgotten", "Northern", "Brave", "Little", "Perfect", "Fallen", "Sacred",
    "Wicked", "Blue", "Painted", "Falling", "Sweet", "Long",
)
_NOUNS = (
    "Harbor", "Protocol", "Horizon", "River", "Empire", "Garden", "Signal", "Kingdom", "Shadow",
    "Storm", "Frontier", "Station", "Letter", "Promise", "Witness", "Machine", "Island",
    "Summer", "Winter", "Crown", "Road", "Dream", "Mirror", "Circuit", "Orchard", "Covenant",
    "Descent", "Tide", "Valley", "Heist", "Voyage", "Requiem", "Legacy", "Outpost", "Paradox",
    "Ballad", "Tempest", "Canyon", "Sanctuary", "Echo", "Hunter", "Stranger", "Detective",
    "Daughter", "Captain", "Orbit", "Code", "Ember", "Lighthouse", "Carnival",
)
_TIMES = ("Midnight", "Yesterday", "Tomorrow", "Sunday", "December", "Twilight", "Daybreak",
          "Monsoon", "Autumn", "Solstice")
_PLACES = ("Paris", "Memphis", "Tokyo", "Casablanca", "Avalon", "Brooklyn", "Havana",
           "Marseille", "Sonora", "Alaska", "Vienna", "Lisbon")
_NAMES = ("Maggie", "Oscar", "Luna", "Jack", "Nora", "Felix", "Rosa", "Leo", "Iris", "Walter",
          "Ada", "Hugo")


def generate(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 7,
    n_users: int = 3000,
    n_films: int = 400,
    n_interactions: int = 100_000,
    n_groups: int = 8,
    progress: bool = False,
) -> Path:
    """Write a demo data folder to ``out_dir`` and return its path.

    The folder is written into a temporary folder beside ``out_dir`` and renamed into place,
    so a failure leaves no partial folder. An existing ``out_dir`` is replaced when it is a
    previous demo folder (it holds ``demo.json``) or empty; anything else raises
    ``InvalidParameterError``. The same arguments always give byte-identical files.
    """
    _check_parameters(n_users, n_films, n_interactions, n_groups)
    out = Path(out_dir)
    _check_target(out)
    steps = tqdm(total=5, desc="demo data", disable=not progress, unit="step")
    rng = np.random.default_rng(seed)

    groups = _plan_groups(rng, n_groups)
    steps.update()
    films = _make_films(rng, n_films)
    steps.update()
    users = _make_users(rng, n_users, groups)
    steps.update()
    inter = _make_interactions(rng, films, users, groups, n_interactions)
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
        "example_film_id": _example_film(films, users, inter, n_groups),
    }
    _write_folder(out, films, users, inter, manifest)
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


def _check_parameters(n_users: int, n_films: int, n_interactions: int, n_groups: int) -> None:
    if n_users < 1:
        raise InvalidParameterError(f"n_users must be >= 1, got {n_users}")
    if n_films < 2 * MIN_PER_USER:
        raise InvalidParameterError(f"n_films must be >= {2 * MIN_PER_USER}, got {n_films}")
    if n_groups < 1 or n_groups > n_users:
        raise InvalidParameterError(f"n_groups must be in 1..n_users, got {n_groups}")
    if n_groups > _max_groups():
        raise InvalidParameterError(f"n_groups must be <= {_max_groups()}, got {n_groups}")
    lo, hi = MIN_PER_USER * n_users, int(_max_per_user(n_films) * n_users * 0.5)
    if not lo <= n_interactions <= hi:
        raise InvalidParameterError(
            f"n_interactions must be in {lo}..{hi} for {n_users} users and {n_films} films, "
            f"got {n_interactions}")


def _max_groups() -> int:
    n = len(GENRE_VOCABULARY)
    return n * (n - 1) // 2


def _max_per_user(n_films: int) -> int:
    return max(MIN_PER_USER, int(0.5 * n_films))


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
# Groups


class _Groups:
    """Planted taste groups: favoured genres, user share, regional / age / gender skew."""

    def __init__(self, genres: list[list[int]], size_p: NDArray[np.float64],
                 region_p: NDArray[np.float64], age_mean: NDArray[np.float64],
                 female_p: NDArray[np.float64]) -> None:
        self.genres = genres
        self.size_p = size_p
        self.region_p = region_p
        self.age_mean = age_mean
        self.female_p = female_p

    def __len__(self) -> int:
        return len(self.genres)


def _plan_groups(rng: np.random.Generator, n_groups: int) -> _Groups:
    n_genres = len(GENRE_VOCABULARY)
    weight = np.array(list(GENRE_WEIGHTS.values()))
    by_weight = np.argsort(-weight, kind="stable")
    common = [int(i) for i in rng.permutation(by_weight[: n_genres // 2])]
    rare = [int(i) for i in rng.permutation(by_weight[n_genres // 2:])]
    use = np.zeros(n_genres)


    def least_used(exclude: Sequence[int]) -> list[int]:
        # fewest groups first, then the rarest genre (an overlap on a rare genre blurs less)
        key = use + weight / weight.sum() + rng.random(n_genres) * 0.02
        return [int(i) for i in np.argsort(key, kind="stable") if int(i) not in exclude]

    # Pass 1: a pair per group: a common and a rarer genre while they last (disjoint pairs),
    # then the least used pair not taken yet.
    sets: list[list[int]] = []
    for g in range(n_groups):
        if g < min(len(common), len(rare)):
            pair = [common[g], rare[g]]
        else:
            taken = {tuple(sorted(x)) for x in sets}
            pair = next(list(c) for c in itertools.combinations(least_used(()), 2)
                        if tuple(sorted(c)) not in taken)
        sets.append(pair)
        use[pair] += 1
    # Pass 2: genres no group favours yet go, as a third genre, to random groups.
    spare = [i for i in least_used(()) if use[i] == 0]
    for extra, g in zip(spare, rng.permutation(n_groups), strict=False):
        sets[int(g)].append(extra)
    sets = [sorted(x, key=lambda i: GENRE_VOCABULARY[i]) for x in sets]
    size_p = rng.dirichlet(np.full(n_groups, 8.0))
    region_p = np.ones((n_groups, len(REGIONS)))
    # one or two over-represented regions per group, the first rotating through the regions
    region_order = rng.permutation(len(REGIONS))
    for g in range(n_groups):
        hot = [int(region_order[g % len(REGIONS)])]
        if rng.random() < 0.4:
            hot.append(int(region_order[(g + 1 + int(rng.integers(len(REGIONS) - 1)))
                                        % len(REGIONS)]))
        region_p[g, hot] += [3.5, 2.0][: len(hot)] if len(hot) == 2 else [5.0]
    region_p /= region_p.sum(axis=1, keepdims=True)
    age_mean = rng.uniform(26.0, 50.0, n_groups)
    female_p = rng.uniform(0.35, 0.65, n_groups)
    return _Groups(sets, size_p, region_p, age_mean, female_p)


# --------------------------------------------------------------------------------------------
# Films


class _Films:
    def __init__(self, ids: NDArray[np.str_], titles: list[str], years: NDArray[np.int64],
                 genres: list[list[int]], release: NDArray[np.int64],
                 popularity: NDArray[np.float64], quality: NDArray[np.float64]) -> None:
        self.ids = ids
        self.titles = titles
        self.years = years
        self.genres = genres
        self.release = release
        self.popularity = popularity
        self.quality = quality

    def __len__(self) -> int:
        return len(self.ids)


def _make_films(rng: np.random.Generator, n: int) -> _Films:
    span = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    year_p = np.exp((span - FIRST_YEAR) / 16.0)
    years = np.sort(rng.choice(span, size=n, p=year_p / year_p.sum()))
    # IMDb-like ids grow with time: sorted unique 7-digit numbers follow the sorted years, so
    # older films get ids with leading zeros.
    nums = np.sort(rng.choice(np.arange(30_000, 9_990_000), size=n, replace=False))
    if nums[0] >= 1_000_000:
        nums[0] = 30_000 + int(rng.integers(970_000))
    shuffle = rng.permutation(n)
    ids = np.char.zfill(nums.astype(str), 7)[shuffle]
    years = years[shuffle]
    year_start = np.array([calendar.timegm((int(y), 1, 1, 0, 0, 0)) for y in range(
        FIRST_YEAR, LAST_YEAR + 1)], dtype=np.int64)[years - FIRST_YEAR]
    latest = WINDOW_END - 45 * _DAY
    release_span = np.minimum(365 * _DAY, latest - year_start)
    release = year_start + (rng.random(n) * release_span).astype(np.int64)

    gp = np.array(list(GENRE_WEIGHTS.values()))
    gp /= gp.sum()
    n_genres = rng.choice([1, 2, 3], size=n, p=[0.35, 0.45, 0.20])
    genres: list[list[int]] = []
    for k in n_genres:
        genres.append(sorted(int(i) for i in rng.choice(len(gp), size=int(k), replace=False,
                                                        p=gp)))
    # Zipf-like popularity by a rank that favours recent films a little.
    key = rng.gumbel(size=n) + 1.2 * (years - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-key, kind="stable")] = np.arange(n)
    popularity = np.power(rank + 2.0, -ZIPF_EXPONENT, dtype=np.float64)
    quality = np.clip(rng.normal(3.45, 0.45, n) + 0.25 * (rank < n // 10), 1.8, 4.6).astype(
        np.float64)
    titles = _make_titles(rng, n)
    return _Films(ids, titles, years, genres, release, popularity, quality)


def _make_titles(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` unique believable titles from word lists (a loop per film)."""
    seen: set[str] = set()
    out: list[str] = []

    def pick(words: Sequence[str]) -> str:
        return words[int(rng.integers(len(words)))]

    for _ in range(n):
        for attempt in range(50):
            form = int(rng.integers(9))
            a, n1, n2 = pick(_ADJECTIVES), pick(_NOUNS), pick(_NOUNS)
            if form <= 1:
                t = f"The {a} {n1}"
            elif form == 2:
                t = f"{a} {n1}"
            elif form == 3:
                t = f"{pick(_TIMES)} {n1}"
            elif form == 4:
                t = f"The {n1} of {pick(_PLACES)}"
            elif form == 5:
                t = f"{pick(_NAMES)}'s {n1}"
            elif form == 6:
                t = f"A {n1} in {pick(_PLACES)}"
            elif form == 7:
                t = f"The {n1}" if n1 != n2 else f"The Last {n1}"
            else:
                t = f"{pick(_NAMES)} and the {n1}" if n1 != n2 else f"{a} {n1}"
            if rng.random() < 0.06 or attempt >= 20:
                t = f"{t} {int(rng.integers(2, 5))}"
            if t not in seen:
                break
        else:  # pragma: no cover - word lists give far more titles than any demo needs
            t = f"{t} ({len(out)})"
        seen.add(t)
        out.append(t)
    return out


# --------------------------------------------------------------------------------------------
# Users


class _Users:
    def __init__(self, ids: NDArray[np.str_], group: NDArray[np.int64], age: NDArray[np.int64],
                 gender: NDArray[np.str_], occupation: NDArray[np.str_],
                 region: NDArray[np.str_]) -> None:
        self.ids = ids
        self.group = group
        self.age = age
        self.gender = gender
        self.occupation = occupation
        self.region = region

    def __len__(self) -> int:
        return len(self.ids)


def _make_users(rng: np.random.Generator, n: int, groups: _Groups) -> _Users:
    width = max(5, len(str(n)))
    ids = np.char.add("u", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    group = rng.choice(len(groups), size=n, p=groups.size_p)
    age = np.clip(np.rint(rng.normal(groups.age_mean[group], 12.0)), MIN_AGE, MAX_AGE)
    age = age.astype(np.int64)
    u = rng.random(n)
    female = groups.female_p[group] * 0.97
    gender = np.where(u < female, "F", np.where(u < 0.97, "M", "X"))
    occ = rng.choice(len(OCCUPATIONS), size=n, p=np.array(_OCCUPATION_WEIGHTS) / sum(
        _OCCUPATION_WEIGHTS))
    r = rng.random(n)
    student, retired = OCCUPATIONS.index("student"), OCCUPATIONS.index("retired")
    occ = np.where((age < 23) & (r < 0.7), student, occ)
    occ = np.where((age >= 65) & (r < 0.8), retired, occ)
    occ = np.where((occ == retired) & (age < 50), OCCUPATIONS.index("other"), occ)
    occ = np.where((occ == student) & (age > 35), OCCUPATIONS.index("other"), occ)
    cum = np.cumsum(groups.region_p[group], axis=1)
    region_idx = np.minimum((rng.random((n, 1)) > cum).sum(axis=1), len(REGIONS) - 1)
    return _Users(ids, group, age, gender, np.asarray(OCCUPATIONS)[occ],
                  np.asarray(REGIONS)[region_idx])


# --------------------------------------------------------------------------------------------
# Interactions


class _Interactions:
    def __init__(self, user: NDArray[np.int64], film: NDArray[np.int64],
                 rating: NDArray[np.float64], timestamp: NDArray[np.int64],
                 match: NDArray[np.bool_]) -> None:
        self.user = user
        self.film = film
        self.rating = rating
        self.timestamp = timestamp
        self.match = match

    def __len__(self) -> int:
        return len(self.user)


def taste_matrix(film_genres: list[list[int]], groups: list[list[int]]) -> NDArray[np.float64]:
    """groups x films: 1 where all the film's genres are favoured, 0.6 where some are, else 0."""
    n_genres = len(GENRE_VOCABULARY)
    films = np.zeros((len(film_genres), n_genres))
    for f, gs in enumerate(film_genres):
        films[f, gs] = 1.0
    favs = np.zeros((len(groups), n_genres))
    for g, fav in enumerate(groups):
        favs[g, fav] = 1.0
    hits = favs @ films.T
    full = hits >= films.sum(axis=1)[None, :]
    return np.where(hits == 0, 0.0, np.where(full, 1.0, 0.6))


def _activity(rng: np.random.Generator, n_users: int, total: int, cap: int) -> NDArray[np.int64]:
    """Per-user counts: MIN_PER_USER + lognormal extra, capped, summing to about ``total``."""
    raw = rng.lognormal(0.0, 1.35, n_users)
    extra_total = total - MIN_PER_USER * n_users
    room = cap - MIN_PER_USER
    extra = np.zeros(n_users)
    if extra_total > 0:
        scale = extra_total / raw.sum()
        for _ in range(30):  # scale the uncapped users up until the capped mass is recovered
            extra = np.minimum(raw * scale, room)
            got = extra.sum()
            if abs(got - extra_total) < 0.5:
                break
            free = raw[raw * scale < room].sum()
            if free <= 0:
                break
            scale += (extra_total - got) / free
    counts = MIN_PER_USER + np.floor(extra).astype(np.int64)
    # hand out the rounding remainder to the users with the largest fractional parts
    short = int(total - counts.sum())
    if short > 0:
        frac = np.where(counts < cap, extra - np.floor(extra), -1.0)
        counts[np.argsort(-frac, kind="stable")[:short]] += 1
    return np.minimum(counts, cap)


def _make_interactions(rng: np.random.Generator, films: _Films, users: _Users, groups: _Groups,
                       n_interactions: int) -> _Interactions:
    n_users, n_films = len(users), len(films)
    taste = taste_matrix(films.genres, groups.genres) * films.popularity
    taste /= taste.sum(axis=1, keepdims=True)
    pop = films.popularity / films.popularity.sum()
    log_p = np.log(TASTE_SHARE * taste + (1 - TASTE_SHARE) * pop)  # groups x films

    counts = _activity(rng, n_users, n_interactions, _max_per_user(n_films))
    # Weighted sampling without replacement per user via Gumbel top-k, in chunks of users
    # taken in order of activity so that each chunk only ranks its largest count of keys.
    rows = max(1, 2_000_000 // n_films)
    by_count = np.argsort(counts, kind="stable")
    user_parts: list[NDArray[np.int64]] = []
    film_parts: list[NDArray[np.int64]] = []
    for start in range(0, n_users, rows):
        who = by_count[start:start + rows]
        k = counts[who]
        kmax = int(k.max())
        # Gumbel noise as -log(Exp(1)): same distribution, a few times faster to draw
        keys = log_p[users.group[who]] - np.log(rng.standard_exponential((len(who), n_films)))
        if kmax < n_films:
            top = np.argpartition(-keys, kmax - 1, axis=1)[:, :kmax]
        else:
            top = np.broadcast_to(np.arange(n_films), keys.shape)
        top_keys = np.take_along_axis(keys, top, axis=1)
        ranked = np.take_along_axis(top, np.argsort(-top_keys, axis=1, kind="stable"), axis=1)
        film_parts.append(ranked[np.arange(kmax)[None, :] < k[:, None]])
        user_parts.append(np.repeat(who, k))
    user = np.concatenate(user_parts)
    film = np.concatenate(film_parts)

    # every film gets at least one viewer: a random user of a group that likes it
    unseen = np.flatnonzero(np.bincount(film, minlength=n_films) == 0)
    if len(unseen):
        fans = rng.integers(n_users, size=len(unseen))
        user = np.concatenate([user, fans])
        film = np.concatenate([film, unseen])

    n = len(user)
    match = taste_matrix(films.genres, groups.genres)[users.group[user], film] > 0

    # ratings: film quality + taste match + user bias + noise; ~55% of users rate in whole stars
    bias = rng.normal(0.0, 0.35, n_users)
    halves = rng.random(n_users) < 0.45
    raw = (films.quality[film] + np.where(match, 0.55, -0.45) + bias[user]
           + rng.normal(0.0, 0.7, n))
    step = np.where(halves[user], 2.0, 1.0)
    rating = np.clip(np.rint(raw * step) / step, 1.0, 5.0)

    # timestamps: each user is active over part of the window; never before the film's release
    u_start = WINDOW_START + (rng.random(n_users) * (WINDOW_END - WINDOW_START) * 0.8)
    u_len = np.exp(rng.normal(np.log(300 * _DAY), 0.8, n_users))
    u_end = np.minimum(u_start + u_len, WINDOW_END)
    lo = np.maximum(u_start[user], films.release[film])
    hi = np.minimum(np.maximum(u_end[user], lo + 14 * _DAY), WINDOW_END)
    ts = (lo + rng.random(n) * (hi - lo)).astype(np.int64)

    order = np.lexsort((film, ts, user))
    return _Interactions(user[order], film[order], rating[order], ts[order], match[order])


def _example_film(films: _Films, users: _Users, inter: _Interactions, n_groups: int) -> str:
    """A popular film whose audience leans clearly towards one planted group."""
    n_films = len(films)
    views = np.bincount(inter.film, minlength=n_films)
    top = np.argsort(-views, kind="stable")[: max(5, n_films // 20)]
    by_group = np.bincount(inter.film * n_groups + users.group[inter.user],
                           minlength=n_films * n_groups).reshape(n_films, n_groups)
    group_share = np.bincount(users.group, minlength=n_groups) / len(users)
    lift = (by_group[top] / np.maximum(views[top, None], 1) / np.maximum(group_share, 1e-9))
    best = top[int(np.argmax(lift.max(axis=1)))]
    return str(films.ids[best])


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


def _write_folder(out: Path, films: _Films, users: _Users, inter: _Interactions,
                  manifest: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        _write_csv(tmp / INTERACTIONS_FILE, (USER_ID, FILM_ID, RATING, TIMESTAMP),
                   (users.ids[inter.user], films.ids[inter.film], _rating_text(inter.rating),
                    inter.timestamp))
        genres = np.array(["|".join(GENRE_VOCABULARY[i] for i in gs) for gs in films.genres])
        order = np.argsort(films.ids, kind="stable")
        _write_csv(tmp / FILMS_FILE, (FILM_ID, TITLE, YEAR, GENRES),
                   (films.ids[order], np.array([_csv_field(t) for t in films.titles])[order],
                    films.years[order], genres[order]))
        _write_csv(tmp / USERS_FILE, (USER_ID, AGE, GENDER, OCCUPATION, REGION),
                   (users.ids, users.age, users.gender, users.occupation, users.region))
        _write_csv(tmp / GROUPS_FILE, (USER_ID, GROUP), (users.ids, users.group))
        (tmp / DEMO_MARKER).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _check_target(out)  # it may have appeared while we generated
        os.chmod(tmp, 0o755)
        old: Path | None = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "data")
        try:
            os.replace(tmp, out)
        except BaseException:
            if old is not None:
                os.replace(old / "data", out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
    p.add_argument("--interactions", type=int, default=100_000)
    p.add_argument("--groups", type=int, default=8)
    a = p.parse_args(argv)
    path = generate(a.out_dir, seed=a.seed, n_users=a.users, n_films=a.films,
                    n_interactions=a.interactions, n_groups=a.groups, progress=True)
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
