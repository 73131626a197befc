"""The demo's viewing log: who watches which films, when, and how they rate them.

A user's films come mostly (``TASTE_SHARE``) from their group's favoured genres and the rest
from popularity; ratings are higher on a taste match; nobody watches a film before its
release (see :mod:`recommender.io.demo`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from recommender.io.demo_world import (
    DAY,
    GENRE_VOCABULARY,
    WINDOW_END,
    WINDOW_START,
    Films,
    Groups,
    Users,
)

MIN_PER_USER = 5
"""Every user watches at least this many distinct films."""
TASTE_SHARE = 0.85
"""Share of a user's choices drawn from their group's favoured genres (the rest: popularity)."""


def max_per_user(n_films: int) -> int:
    """The most films one user watches: half the catalog."""
    return max(MIN_PER_USER, int(0.5 * n_films))


@dataclass
class Viewings:
    """The viewing log as indices into the users and films, in (user, time, film) order;
    ``match`` marks views of a film of the viewer's favoured genres."""

    user: NDArray[np.int64]
    film: NDArray[np.int64]
    rating: NDArray[np.float64]
    timestamp: NDArray[np.int64]
    match: NDArray[np.bool_]

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


def make_viewings(rng: np.random.Generator, films: Films, users: Users, groups: Groups,
                  n_interactions: int, region_lift: NDArray[np.float64] | None = None,
                  user_region: NDArray[np.int64] | None = None) -> Viewings:
    """The viewing log. ``region_lift`` (regions x films, with ``user_region`` each user's
    region index) multiplies the sampling weights in each region: the planted regional taste.
    It draws nothing from ``rng``, so the random stream is the same with or without it."""
    n_users, n_films = len(users), len(films)
    taste = taste_matrix(films.genres, groups.genres) * films.popularity
    taste /= taste.sum(axis=1, keepdims=True)
    pop = films.popularity / films.popularity.sum()
    log_p = np.log(TASTE_SHARE * taste + (1 - TASTE_SHARE) * pop)  # groups x films
    lifted = region_lift is not None and user_region is not None
    log_lift = np.log(region_lift) if region_lift is not None else np.zeros((1, n_films))
    region = user_region if user_region is not None else np.zeros(n_users, np.int64)

    counts = _activity(rng, n_users, n_interactions, max_per_user(n_films))
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
        if lifted:
            keys += log_lift[region[who]]
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
    u_len = np.exp(rng.normal(np.log(300 * DAY), 0.8, n_users))
    u_end = np.minimum(u_start + u_len, WINDOW_END)
    lo = np.maximum(u_start[user], films.release[film])
    hi = np.minimum(np.maximum(u_end[user], lo + 14 * DAY), WINDOW_END)
    ts = (lo + rng.random(n) * (hi - lo)).astype(np.int64)

    order = np.lexsort((film, ts, user))
    return Viewings(user[order], film[order], rating[order], ts[order], match[order])


def example_film(films: Films, users: Users, inter: Viewings, n_groups: int) -> str:
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

