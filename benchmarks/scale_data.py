"""Synthetic interaction logs of a given shape with realistic long tails.

Film popularity follows a shifted power law (rank r gets weight ``(r + r0) ** -1.8``, so the
top film reaches ~40% of users and the median film a few dozen), user activity a log-normal
tail above a floor of 20 films (as in MovieLens: median ~70, mean ~145, heaviest user ~35% of
the catalog). Users belong to one of a few planted taste groups that re-weight the films'
popularity, so the factorisation has real structure to find. Every (user, film) pair is
distinct, every user and every film appears at least once, and the totals are exact.

Writes a project-layout folder (``recommender train --data`` reads it)::

    interactions.csv       user_id,film_id,rating,timestamp (sorted by user, then time)
    interactions.parquet   the same rows (int64 ids, float32 rating, int64 timestamp)
    films.csv              film_id,title,year,genres
    users.csv              user_id,age_band,gender,region
    shape.json             the shape and summary statistics

Usage::

    python benchmarks/scale_data.py --shape ml20m        # 138,493 x 26,744 x 20,000,263
    python benchmarks/scale_data.py --shape 1m --shape 5m
    python benchmarks/scale_data.py --interactions 200000 --out benchmarks/data/tiny
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

DATA_DIR = Path(__file__).resolve().parent / "data"

ML20M = (138_493, 26_744, 20_000_263)
GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
          "War", "Western")
POP_EXPONENT = 1.8
MIN_ACTIVITY = 20


@dataclass(frozen=True)
class Shape:
    name: str
    users: int
    films: int
    interactions: int


def scaled_shape(interactions: int, name: str | None = None) -> Shape:
    """The ML-20M shape scaled to ``interactions``: users in proportion, films with the square
    root (catalogs grow slower than audiences); the ML-20M mean activity is kept."""
    u, f, n = ML20M
    if interactions == n:
        return Shape(name or "ml20m", u, f, n)
    ratio = interactions / n
    users = max(10, int(round(u * ratio)))
    films = max(50, int(round(f * ratio ** 0.5)))
    users = min(users, interactions // MIN_ACTIVITY)
    return Shape(name or _short(interactions), users, films, interactions)


def _short(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


NAMED = {"ml20m": ML20M[2], "20m": ML20M[2], "5m": 5_000_000, "1m": 1_000_000,
         "500k": 500_000, "200k": 200_000}


def shape_by_name(name: str) -> Shape:
    if name not in NAMED:
        raise SystemExit(f"unknown shape {name!r}; expected one of {', '.join(NAMED)}")
    return scaled_shape(NAMED[name], "ml20m" if name == "20m" else name)


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def user_activity(rng: np.random.Generator, users: int, films: int, total: int
                  ) -> NDArray[np.int64]:
    """Films per user: ``MIN_ACTIVITY`` + a log-normal tail, summing exactly to ``total``."""
    floor = min(MIN_ACTIVITY, total // users)
    cap = max(floor + 1, int(0.35 * films))
    extra = rng.lognormal(mean=np.log(48.0), sigma=1.38, size=users)
    budget = total - floor * users
    if budget < 0:
        raise ValueError(f"{total} interactions cannot give {users} users {floor} films each")
    if users * cap < total:
        raise ValueError(f"{total} interactions do not fit in {users} users x {films} films")
    # scale the tail to the budget, respecting the cap (a few passes converge)
    counts = np.zeros(users, np.int64)
    for _ in range(50):
        scaled = extra * (budget / max(extra.sum(), 1e-12))
        counts = np.minimum(np.floor(scaled).astype(np.int64), cap - floor)
        over = scaled > cap - floor
        if not over.any() or budget - counts.sum() <= 0:
            break
        extra = np.where(over, (cap - floor) * (extra.sum() / budget), extra)
    counts += floor
    # distribute the rounding remainder one film at a time over random users below the cap
    short = total - int(counts.sum())
    while short != 0:
        if short > 0:
            room = np.flatnonzero(counts < cap)
            pick = rng.choice(room, size=min(short, len(room)), replace=False)
            counts[pick] += 1
        else:
            room = np.flatnonzero(counts > floor)
            pick = rng.choice(room, size=min(-short, len(room)), replace=False)
            counts[pick] -= 1
        short = total - int(counts.sum())
    return counts


def film_popularity(films: int) -> NDArray[np.float64]:
    """Power-law weights by popularity rank (rank 0 is the most popular film)."""
    r0 = max(1.0, 300.0 * films / ML20M[1])
    w = (np.arange(1, films + 1) + r0) ** -POP_EXPONENT
    return w / w.sum()


def sample_pairs(rng: np.random.Generator, counts: NDArray[np.int64], groups: NDArray[np.int64],
                 probs: NDArray[np.float64], log: bool = False) -> NDArray[np.int64]:
    """Distinct (user, film) keys ``user * films + film``: ``counts[u]`` films for user ``u``,
    drawn without replacement from its group's film distribution ``probs[group]``.

    Rounds of vectorised draws with replacement, de-duplicated; each round asks a user for
    its missing films, inflated by how much of its distribution it has already used up.
    """
    n_users = len(counts)
    n_films = probs.shape[1]
    cdfs = np.cumsum(probs, axis=1)
    cdfs[:, -1] = 1.0
    have = np.zeros(n_users, np.int64)
    used_mass = np.zeros(n_users, np.float64)
    kept: list[NDArray[np.int64]] = []
    rounds = 0
    while True:
        deficit = counts - have
        need = np.flatnonzero(deficit > 0)
        if len(need) == 0:
            break
        rounds += 1
        if rounds > 200:
            raise RuntimeError("sampling did not converge")
        left = np.maximum(1.0 - used_mass[need], 1e-3)
        ask = np.ceil(deficit[need] / left * 1.15).astype(np.int64) + 2
        users = np.repeat(need, ask)
        u01 = rng.random(len(users))
        films = np.empty(len(users), np.int64)
        g_of = groups[users]
        for g in range(probs.shape[0]):
            sel = g_of == g
            films[sel] = np.searchsorted(cdfs[g], u01[sel], side="right")
        np.minimum(films, n_films - 1, out=films)
        new = users * n_films + films
        # de-duplicate against what these users already have and among themselves
        if kept:
            old = np.concatenate(kept)
            old = old[deficit[old // n_films] > 0]
            both = np.concatenate([old, new])
            _, first = np.unique(both, return_index=True)
            fresh = both[first[first >= len(old)]]
        else:
            fresh = np.unique(new)
        # keep a random subset of at most deficit[u] fresh films per user
        fu = fresh // n_films
        order = np.lexsort((rng.random(len(fresh)), fu))
        fresh, fu = fresh[order], fu[order]
        starts = np.searchsorted(fu, fu, side="left")
        pos = np.arange(len(fresh)) - starts
        take = fresh[pos < deficit[fu]]
        kept.append(take)
        tu = take // n_films
        have += np.bincount(tu, minlength=n_users)
        used_mass += np.bincount(tu, weights=probs[groups[tu], take % n_films],
                                 minlength=n_users)
        if log:
            print(f"  round {rounds}: {len(take):,} pairs kept, "
                  f"{int((counts - have).clip(0).sum()):,} to go", file=sys.stderr)
    return np.sort(np.concatenate(kept))


def cover_every_film(rng: np.random.Generator, keys: NDArray[np.int64], n_films: int,
                     popular: NDArray[np.int64]) -> NDArray[np.int64]:
    """Give each film with no interaction one, taken over from a pair on a popular film
    (the user keeps the same activity; pairs stay distinct since nobody had the film)."""
    films = keys % n_films
    counts = np.bincount(films, minlength=n_films)
    missing = np.flatnonzero(counts == 0)
    if len(missing) == 0:
        return keys
    donors = np.flatnonzero(np.isin(films, popular))
    pick = rng.choice(donors, size=len(missing), replace=False)
    users = keys[pick] // n_films
    keys = keys.copy()
    keys[pick] = users * n_films + missing
    return np.sort(keys)


def generate(shape: Shape, out: Path, seed: int = 0, groups: int = 16,
             parquet: bool = True, log: bool = True) -> Path:
    """Write the folder described in the module docstring; returns it."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    U, F, N = shape.users, shape.films, shape.interactions
    counts = user_activity(rng, U, F, N)
    group = rng.integers(groups, size=U)
    base = film_popularity(F)
    # each taste group re-weights the catalog: log-normal boosts, strongest on its genre
    film_genre = rng.integers(len(GENRES), size=F)
    group_genre = rng.permutation(np.resize(np.arange(len(GENRES)), groups))
    boost = rng.normal(0.0, 0.8, size=(groups, F))
    boost += 1.5 * (film_genre[None, :] == group_genre[:, None])
    probs = base[None, :] * np.exp(boost)
    probs /= probs.sum(axis=1, keepdims=True)
    if log:
        print(f"{shape.name}: sampling {N:,} pairs for {U:,} users x {F:,} films",
              file=sys.stderr)
    keys = sample_pairs(rng, counts, group, probs, log=log)
    keys = cover_every_film(rng, keys, F, np.argsort(-base)[: max(1, F // 100)])
    user_idx = keys // F
    rank_idx = keys % F  # film popularity rank
    del keys
    # film ids: distinct integers in a MovieLens-like range, popularity unrelated to id
    film_ids = np.sort(rng.choice(max(5 * F, 1000), size=F, replace=False) + 1)
    rank_to_film = rng.permutation(F)  # popularity rank -> position in film_ids
    film_col = film_ids[rank_to_film[rank_idx]].astype(np.int64)
    user_col = (user_idx + 1).astype(np.int64)
    # ratings: half stars, MovieLens-like mix (mean ~3.5)
    stars = np.arange(1, 11) / 2.0
    p_star = np.array([1.1, 3.4, 1.6, 7.0, 4.8, 21.4, 11.2, 27.4, 7.6, 14.5])
    rating = rng.choice(stars, size=N, p=p_star / p_star.sum()).astype(np.float32)
    # timestamps: each user is active over a span starting somewhere in 1996..2015
    start = rng.integers(820_454_400, 1_420_070_400, size=U)
    span = np.minimum(rng.exponential(60 * 86_400 * 6, size=U), 1_427_000_000 - start)
    ts = start[user_idx] + (rng.random(N) * span[user_idx]).astype(np.int64)
    order = np.lexsort((ts, user_idx))
    table = pa.table({
        "user_id": pa.array(user_col[order]),
        "film_id": pa.array(film_col[order]),
        "rating": pa.array(rating[order]),
        "timestamp": pa.array(ts[order].astype(np.int64)),
    })
    del order, user_col, film_col, rating, ts
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "interactions.csv.tmp"
    with open(tmp, "wb") as f:
        f.write(b"user_id,film_id,rating,timestamp\n")
        pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    tmp.replace(out / "interactions.csv")
    if parquet:
        tmp = out / "interactions.parquet.tmp"
        pq.write_table(table, tmp, compression="snappy", row_group_size=1 << 20)
        tmp.replace(out / "interactions.parquet")
    # metadata: films (genre = the planted genre, plus a random second one) and users
    second = rng.integers(len(GENRES), size=F)
    genre_names = np.asarray(GENRES)
    g1 = genre_names[film_genre[np.argsort(rank_to_film)]]
    g2 = genre_names[second]
    genres = np.where(g1 == g2, g1, np.char.add(np.char.add(g1, "|"), g2))
    years = rng.integers(1920, 2016, size=F)
    titles = np.char.add(np.char.add(np.char.add("Film ", film_ids.astype(str)), " "),
                         np.char.add(np.char.add("(", years.astype(str)), ")"))
    pacsv.write_csv(pa.table({"film_id": film_ids, "title": titles, "year": years,
                              "genres": genres}), out / "films.csv")
    bands = np.array(["under 18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"])
    regions = np.array(["New England", "Mid-Atlantic", "South Atlantic", "Southeast",
                        "Great Lakes", "Upper Midwest", "Central", "South Central", "Mountain",
                        "Pacific"])
    pacsv.write_csv(pa.table({
        "user_id": np.arange(1, U + 1),
        "age_band": bands[rng.choice(7, size=U, p=[.04, .18, .35, .2, .12, .07, .04])],
        "gender": np.array(["F", "M"])[rng.integers(2, size=U)],
        "region": regions[rng.integers(10, size=U)],
    }), out / "users.csv")
    film_counts = np.bincount(rank_idx, minlength=F)
    stats = {
        **asdict(shape),
        "seed": seed,
        "taste_groups": groups,
        "film_popularity": f"power law, rank weight (r + r0)^-{POP_EXPONENT}",
        "user_activity": f"{MIN_ACTIVITY} + log-normal tail",
        "films_per_user": _summary(counts),
        "users_per_film": _summary(film_counts),
        "top_1pct_films_share": round(float(np.sort(film_counts)[::-1][: max(1, F // 100)].sum()
                                            / N), 4),
        "csv_bytes": (out / "interactions.csv").stat().st_size,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (out / "shape.json").write_text(json.dumps(stats, indent=1) + "\n")
    if log:
        print(f"{shape.name}: wrote {out} in {stats['seconds']} s "
              f"({stats['csv_bytes'] / 1e6:.0f} MB CSV)", file=sys.stderr)
    return out


def _summary(x: NDArray[np.integer]) -> dict[str, float]:
    return {"min": int(x.min()), "median": float(np.median(x)), "mean": round(float(x.mean()), 1),
            "max": int(x.max())}


def ensure(shape: Shape, seed: int = 0, log: bool = True) -> Path:
    """The folder for ``shape`` under ``benchmarks/data/``, generated if missing or stale."""
    out = DATA_DIR / shape.name
    meta = out / "shape.json"
    if meta.is_file() and (out / "interactions.parquet").is_file():
        d = json.loads(meta.read_text())
        if (d.get("users"), d.get("films"), d.get("interactions"), d.get("seed")) == (
                shape.users, shape.films, shape.interactions, seed):
            return out
    return generate(shape, out, seed=seed, log=log)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", action="append", default=[],
                    help=f"named shape ({', '.join(NAMED)}); repeatable")
    ap.add_argument("--interactions", type=int, help="a custom size (ML-20M proportions)")
    ap.add_argument("--users", type=int)
    ap.add_argument("--films", type=int)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--force", action="store_true", help="regenerate even if present")
    args = ap.parse_args(argv)
    shapes = [shape_by_name(s) for s in args.shape]
    if args.interactions:
        s = scaled_shape(args.interactions)
        s = Shape(s.name, args.users or s.users, args.films or s.films, s.interactions)
        shapes.append(s)
    if not shapes:
        ap.error("give --shape or --interactions")
    for s in shapes:
        out = args.out if args.out and len(shapes) == 1 else DATA_DIR / s.name
        if args.force or args.out:
            generate(s, out, seed=args.seed)
        else:
            ensure(s, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
