"""The demo's synthetic world: planted taste groups, films with believable titles, and users.

Each ``make_*`` draws from the generator it is given, in a fixed order, so the same seed gives
the same world (see :mod:`recommender.io.demo`).
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

ZIPF_EXPONENT = 1.4
"""Film popularity falls off as ``(rank + 2) ** -ZIPF_EXPONENT`` (a long tail)."""

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
DAY = 86_400
WINDOW_END = calendar.timegm((2026, 7, 1, 0, 0, 0))
WINDOW_START = WINDOW_END - 3 * 365 * DAY

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


def max_groups() -> int:
    """How many taste groups the genre vocabulary allows (one distinct genre pair each)."""
    n = len(GENRE_VOCABULARY)
    return n * (n - 1) // 2


# --------------------------------------------------------------------------------------------
# Groups


@dataclass
class Groups:
    """Planted taste groups: favoured genres, user share, regional / age / gender skew."""

    genres: list[list[int]]
    size_p: NDArray[np.float64]
    region_p: NDArray[np.float64]
    age_mean: NDArray[np.float64]
    female_p: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.genres)


def plan_groups(rng: np.random.Generator, n_groups: int) -> Groups:
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
    return Groups(sets, size_p, region_p, age_mean, female_p)


# --------------------------------------------------------------------------------------------
# Films


@dataclass
class Films:
    """The films: ids, titles, years, genre indices, release times (unix seconds), Zipf-like
    popularity and a quality that lifts ratings."""

    ids: NDArray[np.str_]
    titles: list[str]
    years: NDArray[np.int64]
    genres: list[list[int]]
    release: NDArray[np.int64]
    popularity: NDArray[np.float64]
    quality: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.ids)


def make_films(rng: np.random.Generator, n: int) -> Films:
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
    latest = WINDOW_END - 45 * DAY
    release_span = np.minimum(365 * DAY, latest - year_start)
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
    return Films(ids, titles, years, genres, release, popularity, quality)


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


@dataclass
class Users:
    """The users: ids, planted group, age, gender, occupation and region."""

    ids: NDArray[np.str_]
    group: NDArray[np.int64]
    age: NDArray[np.int64]
    gender: NDArray[np.str_]
    occupation: NDArray[np.str_]
    region: NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.ids)


def make_users(rng: np.random.Generator, n: int, groups: Groups) -> Users:
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
    return Users(ids, group, age, gender, np.asarray(OCCUPATIONS)[occ],
                  np.asarray(REGIONS)[region_idx])


