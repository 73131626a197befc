"""Audience segments (users clustered on their taste vectors) and lift tables of a user set.

Segments are labelled by what distinguishes them: their activity when it is far from the
other segments' (heavy or light viewers), else the genres their members over-index on; the
lift tables give the segment split and the demographic portrait of any set of users.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.io.dataset import Catalog

#: Above this many users the k-means starts run on a seeded sample of this size, and only
#: the best start's centres are refined on every user.
KMEANS_SAMPLE = 20_000


def kmeans(
    x: NDArray[np.float32], k: int, seed: int = 0, iterations: int = 30, n_init: int = 4,
    min_size: int = 1,
) -> NDArray[np.int16]:
    """Spherical k-means (k-means++ seeding, best of ``n_init`` starts) on the rows of ``x``;
    returns labels 0..k-1, numbered by segment size, largest first.

    A segment of fewer than ``min_size`` users is merged into the others (``merge_small``):
    a segment is described by its size, its members' films and a label drawn from them, so a
    small one would describe a few people (the minimum cell rule; fewer than ``k`` segments
    may remain).

    Rows are L2-normalised first, so users cluster by the direction of their taste, not by
    how much they watch. The start with the highest total cosine to its centres wins; on more
    than ``KMEANS_SAMPLE`` rows the starts compete on a seeded sample and the winner's
    centres are then refined on every row.
    """
    n = x.shape[0]
    k = max(1, min(k, n))
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    xn = (x / np.where(norms > 0, norms, 1)).astype(np.float32)
    rng = np.random.default_rng(seed)
    sample = (np.sort(rng.choice(n, KMEANS_SAMPLE, replace=False)) if n > KMEANS_SAMPLE
              else None)
    xs = xn if sample is None else xn[sample]
    best_centers, best_labels, best_fit = None, np.zeros(n, np.int64), -np.inf
    for _ in range(max(1, n_init)):
        centers, labels, fit = _lloyd(xs, _seed_centers(xs, k, rng), iterations)
        if fit > best_fit:
            best_centers, best_labels, best_fit = centers, labels, fit
    if sample is not None and best_centers is not None:
        _, best_labels, _ = _lloyd(xn, best_centers, iterations)
    best_labels = merge_small(xn, merge_alike(xn, best_labels), min_size)
    sizes = np.bincount(best_labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")[: int((sizes > 0).sum())]
    remap = np.full(k, -1, np.int64)
    remap[order] = np.arange(len(order))
    return remap[best_labels].astype(np.int16)


# segments whose centres point the same way to within this (1 - cosine) are one taste: k-means
# split users on round-off (a log where every user watched every film: two segments of users
# at cosine 1 - 1e-14, the second labelled "(segment 1)")
SAME_DIRECTION = 1e-5


def merge_alike(xn: NDArray[np.float32], labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """``labels`` with segments whose centres (the normalised means of their unit rows) are
    within ``SAME_DIRECTION`` of each other joined into the largest of them."""
    labels = np.asarray(labels, np.int64).copy()
    if not len(labels):
        return labels
    k = int(labels.max()) + 1
    onehot = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                           shape=(k, len(labels)))
    centres = _unit(np.asarray(onehot @ np.asarray(xn, np.float64)))
    sizes = np.bincount(labels, minlength=k)
    for a in np.argsort(-sizes, kind="stable"):
        alike = np.flatnonzero((sizes > 0) & (centres @ centres[a] >= 1 - SAME_DIRECTION))
        alike = alike[alike != a] if sizes[a] else alike[:0]
        labels[np.isin(labels, alike)] = a
        sizes[a] += sizes[alike].sum()
        sizes[alike] = 0
    return labels


def merge_small(xn: NDArray[np.float32], labels: NDArray[np.int64], min_size: int
                ) -> NDArray[np.int64]:
    """``labels`` with every segment of fewer than ``min_size`` rows dissolved, smallest
    first: its rows go to the nearest (by cosine) centre of the segments left, each centre
    the normalised mean of its members' unit rows; one segment is always kept. Labels keep
    their numbers (dissolved ones are left empty)."""
    labels = np.asarray(labels, np.int64).copy()
    if min_size <= 1 or not len(labels):
        return labels
    k = int(labels.max()) + 1
    # the members' sums, once (a one-hot product), then moved with the rows each merge
    # moves: summing every row again at each merge (np.add.at) took 1.2 s a merge on
    # 500,000 users, 22 s for 20 small segments
    onehot = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                           shape=(k, len(labels)))
    sums = np.asarray(onehot @ np.asarray(xn, np.float64))
    sizes = np.bincount(labels, minlength=k)
    while True:
        live = np.flatnonzero(sizes > 0)
        small = live[sizes[live] < min_size]
        if not len(small) or len(live) == 1:
            return labels
        gone = small[np.argmin(sizes[small])]
        keep = live[live != gone]
        centres = _unit(sums[keep])
        rows = np.flatnonzero(labels == gone)
        moved = np.asarray(xn[rows], np.float64)
        to = keep[np.argmax(moved @ centres.T, axis=1)]
        labels[rows] = to
        np.add.at(sums, to, moved)
        sums[gone] = 0.0
        sizes += np.bincount(to, minlength=k)
        sizes[gone] = 0


def _unit(x: NDArray[np.floating]) -> NDArray[np.float64]:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x, np.float64) / np.where(norms > 0, norms, 1)


def assign(new: NDArray[np.floating], trained: NDArray[np.floating],
           labels: NDArray[np.integer]) -> NDArray[np.int64]:
    """The segment of each row of ``new`` by ``kmeans``'s own rule: argmax cosine to the
    centres, the normalised means of the ``trained`` rows' unit vectors under ``labels`` (the
    centres the clustering ended on). A row of zeros gets segment 0."""
    labels = np.asarray(labels, np.int64)
    k = int(labels.max()) + 1 if len(labels) else 1
    sums = np.zeros((k, trained.shape[1]))
    np.add.at(sums, labels, _unit(trained))
    return np.argmax(_unit(new) @ _unit(sums).T, axis=1).astype(np.int64)


def _seed_centers(xn: NDArray[np.float32], k: int, rng: np.random.Generator
                  ) -> NDArray[np.float32]:
    """k-means++ seeding: each next centre drawn with probability proportional to the squared
    distance to the nearest centre so far."""
    n = xn.shape[0]
    centers = np.empty((k, xn.shape[1]), np.float32)
    centers[0] = xn[rng.integers(n)]
    d2 = np.full(n, np.inf, np.float32)
    for c in range(1, k):
        d2 = np.minimum(d2, ((xn - centers[c - 1]) ** 2).sum(axis=1))
        p = d2 / d2.sum() if d2.sum() > 0 else None
        centers[c] = xn[rng.choice(n, p=p)]
    return centers


def _lloyd(xn: NDArray[np.float32], centers: NDArray[np.float32], iterations: int
           ) -> tuple[NDArray[np.float32], NDArray[np.int64], float]:
    """Lloyd iterations from ``centers`` on unit rows (assign by cosine, re-centre, project
    to the sphere); returns (centres, labels, total cosine of the rows to their centres)."""
    n, k = xn.shape[0], centers.shape[0]
    labels = np.zeros(n, np.int64)
    for it in range(iterations):
        new = np.argmax(xn @ centers.T, axis=1)
        if it > 0 and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        # per-cluster sums as a one-hot (k x n) CSR product: the same float32 sums in the same
        # (row) order as np.add.at(sums, labels, xn), an order of magnitude faster
        indptr = np.zeros(k + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        onehot = sp.csr_matrix((np.ones(n, np.float32), np.argsort(labels, kind="stable"),
                                indptr), shape=(k, n))
        sums = np.asarray(onehot @ xn, dtype=np.float32)
        empty = counts == 0
        sums[~empty] /= counts[~empty, None]
        # re-seed an empty cluster with the point worst served by its centre
        if empty.any():
            worst = np.argsort((xn * centers[labels]).sum(axis=1))[: int(empty.sum())]
            sums[empty] = xn[worst]
        cn = np.linalg.norm(sums, axis=1, keepdims=True)
        centers = (sums / np.where(cn > 0, cn, 1)).astype(np.float32)
    fit = float((xn * centers[labels]).sum())
    return centers, labels, fit


MIN_GENRE_SHARE = 0.05  # a label genre holds at least 5% of the segment's genre views
#: what the floor leaves out of a segment's top_genres, as the CLI's legend and the schema say it
TOP_GENRES_FLOOR = (f"genres under {MIN_GENRE_SHARE:.0%} of the segment's genre views are left "
                    "out, however high their lift")
DISTINCT_LIFT = 1.25  # a genre names a segment only if the segment over-indexes on it this much
HEAVY_RATIO = 2.0  # heavy viewers: median films per user >= 2x the other segments' median
LIGHT_RATIO = 0.5  # light viewers: <= half of it


def describe(
    labels: NDArray[np.int16],
    seen: sp.csr_matrix,
    catalog: Catalog,
    n_films: int = 5,
    n_genres: int = 3,
) -> list[dict[str, Any]]:
    """Per segment: id, size, label, activity, top genres (with lift) and representative films.

    Genre lift = the segment's share of views in the genre / the whole base's share.
    A representative film is one the segment watches far more than the base does
    (lift x share, among films watched by at least 2% of the segment). Activity is the
    median number of distinct films per member (``films_per_user``), against the median user
    (``activity_ratio``); labels come from ``label_segments``.
    """
    k = int(labels.max()) + 1 if len(labels) else 0
    n_users = seen.shape[0]
    seg_film, per_user = segment_film_counts(labels, seen, k)
    sizes = np.bincount(labels, minlength=k)
    all_film = seg_film.sum(axis=0)
    genres = catalog.genre_vocabulary()
    genre_rows = [set(g.split("|")) if g else set() for g in catalog.genres.tolist()]
    film_genre = np.array([[g in row for g in genres] for row in genre_rows], np.float32
                          ).reshape(len(genre_rows), len(genres))
    seg_genre = seg_film @ film_genre
    all_genre = all_film @ film_genre
    overall = float(np.median(per_user)) if n_users else 0.0
    out: list[dict[str, Any]] = []
    for s in range(k):
        info: dict[str, Any] = {"segment": s, "size": int(sizes[s]),
                                "share": float(sizes[s] / max(n_users, 1))}
        members = per_user[np.asarray(labels) == s]
        info["films_per_user"] = float(np.median(members)) if len(members) else 0.0
        info["activity_ratio"] = round(info["films_per_user"] / overall, 3) if overall else 1.0
        top: list[dict[str, Any]] = []
        if genres and seg_genre[s].sum() > 0:
            seg_share = seg_genre[s] / seg_genre[s].sum()
            lift = seg_share / np.maximum(all_genre / all_genre.sum(), 1e-12)
            # a label names genres the segment actually watches, not a niche it barely touches
            lift = np.where(seg_share >= MIN_GENRE_SHARE, lift, 0.0)
            for g in np.argsort(-lift, kind="stable")[:n_genres + 2]:
                # above 1 as stored and read (3 decimals): 1.0002 read "lift 1.000"
                if (shown := round(float(lift[g]), 3)) > 1.0:
                    top.append({"genre": genres[g], "lift": shown})
        share_seg = seg_film[s] / max(sizes[s], 1)
        share_all = all_film / max(n_users, 1)
        film_lift = share_seg / np.maximum(share_all, 1e-12)
        eligible = share_seg >= 0.02
        score = np.where(eligible, film_lift * share_seg, -np.inf)
        reps = [int(i) for i in np.argsort(-score)[:n_films] if np.isfinite(score[i])]
        info["_genres"] = [t["genre"] for t in top if t["lift"] >= DISTINCT_LIFT]
        info["top_genres"] = top[:n_genres]
        info["representative_films"] = [
            {"film_id": str(catalog.film_ids[i]), "title": str(catalog.titles[i]),
             "lift": round(float(film_lift[i]), 3)} for i in reps]
        out.append(info)
    label_segments(out)
    return out


def segment_film_counts(labels: NDArray[np.integer], seen: sp.csr_matrix, k: int
                        ) -> tuple[NDArray[np.float32], NDArray[np.integer]]:
    """(k x films float32: the members of each segment who watched each film, films watched
    per user). The counts are whole numbers, exact in float32, as the sums of a one-hot
    (k x users) product with ``seen > 0`` were; one count of (segment, film) keys is cheaper."""
    watched = sp.csr_matrix(seen > 0)
    per_user = np.diff(watched.indptr)
    n_f = watched.shape[1]
    cells = np.repeat(np.asarray(labels, np.int64) * n_f, per_user) + watched.indices
    return (np.bincount(cells, minlength=k * n_f).reshape(k, n_f).astype(np.float32),
            per_user)


def activity_levels(films_per_user: list[float]) -> list[str]:
    """``heavy``, ``light`` or ``typical`` per segment: a segment is heavy when its median
    films per user is at least ``HEAVY_RATIO`` times the median of the other segments'
    medians, light when at most ``LIGHT_RATIO`` times it."""
    levels = []
    for s, value in enumerate(films_per_user):
        others = films_per_user[:s] + films_per_user[s + 1:]
        ref = float(np.median(others)) if others else 0.0
        if ref > 0 and value >= HEAVY_RATIO * ref:
            levels.append("heavy")
        elif ref > 0 and value <= LIGHT_RATIO * ref:
            levels.append("light")
        else:
            levels.append("typical")
    return levels


def _candidates(info: dict[str, Any], level: str, title: str) -> list[tuple[Any, str]]:
    """(key, label) candidates of one segment, best first; two labels with the same key say
    the same thing (the same genres in another order), so a later segment moves on."""
    genres: list[str] = info["_genres"]
    n = info["films_per_user"]
    activity = f"{n:.0f} films/user"
    pairs = [(a, b) for i, a in enumerate(genres) for b in genres[i + 1:]]
    out: list[tuple[Any, str]] = []
    if level != "typical":
        who = "Heavy viewers" if level == "heavy" else "Light viewers"
        out += [((level, frozenset(p)), f"{who}: {' & '.join(p)}") for p in pairs[:3]]
        out += [((level, frozenset([g])), f"{who}: {g}") for g in genres[:1]]
        out.append(((level, n), f"{who} ({activity})"))
        if genres:  # none: "Light viewers:  (1 films/user)" said nothing the line above did
            out += [((level, frozenset(genres[:3]), n), f"{who}: {', '.join(genres[:3])} "
                                                        f"({activity})")]
    else:
        out += [(("fans", frozenset(p)), f"{' & '.join(p)} fans") for p in pairs[:3]]
        if len(genres) >= 3:
            out.append((("fans", frozenset(genres[:3])),
                        f"{', '.join(genres[:2])} & {genres[2]} fans"))
        out += [(("fans", frozenset([g])), f"{g} fans") for g in genres[:2]]
        if title:
            out.append((("title", title), f"Fans of {title}"))
        out += [(("fans", frozenset(p), n), f"{' & '.join(p)} fans ({activity})")
                for p in pairs[:1]]
        out.append((("typical", n), f"Viewers of {activity}"))
    return out


def label_segments(infos: list[dict[str, Any]]) -> None:
    """Give each segment (largest first) a unique label from what distinguishes it: its
    activity level when far from the other segments' (``activity_levels``: "Heavy viewers
    (140 films/user)", "Heavy viewers: Drama & Comedy"), else the genres it over-indexes on
    (lift >= ``DISTINCT_LIFT``: "Drama & Comedy fans"). A label whose genres another segment
    of the same activity level already has (in any order) gives way to the next
    distinguishing genre, then to the activity level; segments of different levels may name
    the same genres, told apart by the prefix ("Drama fans", "Heavy viewers: Drama"). The
    segment number is the last resort. Sets ``label`` and ``activity``."""
    levels = activity_levels([float(i["films_per_user"]) for i in infos])
    used: set[Any] = set()
    labels: set[str] = set()
    for info, level in zip(infos, levels, strict=True):
        reps = info.get("representative_films") or []
        title = str(reps[0]["title"]) if reps and reps[0].get("title") else ""
        chosen = f"Segment {info['segment']}"
        for key, label in _candidates(info, level, title):
            if key not in used and label not in labels:
                used.add(key)
                chosen = label
                break
        else:
            fallback = next((lab for _, lab in _candidates(info, level, title)), "")
            if fallback and f"{fallback} (segment {info['segment']})" not in labels:
                chosen = f"{fallback} (segment {info['segment']})"
        labels.add(chosen)
        info["label"] = chosen
        info["activity"] = level
        info.pop("_genres", None)


def _codes(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """``np.unique(values, return_inverse=True)``, by counting for small non-negative integers
    (segment labels: the sort took ~0.13 s of every summary at 2M users)."""
    if values.dtype.kind in "iu" and len(values) and values.min() >= 0 \
            and values.max() < 1 << 20:
        present = np.bincount(values) > 0
        uniq = np.flatnonzero(present).astype(values.dtype)
        return uniq, (np.cumsum(present) - 1)[values]
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, np.asarray(inverse, np.int64).reshape(-1)


def lift_table(
    values: NDArray[np.str_] | NDArray[np.integer],
    subset: NDArray[np.integer],
    names: list[str] | None = None,
    coded: tuple[NDArray[Any], NDArray[np.integer]] | None = None,
) -> list[dict[str, Any]]:
    """Distribution of ``values`` over the users in ``subset`` against all users, with lift.

    ``values`` has one entry per user; ``subset`` holds user indices. Rows are ordered by
    lift, largest first; lift = share in subset / share among all users. ``coded``: the
    caller's ``np.unique(values, return_inverse=True)``, when it has it already.
    """
    uniq, inverse = _codes(np.asarray(values)) if coded is None else coded
    base = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)
    sub = np.bincount(inverse[np.asarray(subset, np.int64)], minlength=len(uniq)).astype(
        np.float64)
    base_share = base / max(base.sum(), 1)
    sub_share = sub / max(sub.sum(), 1)
    lift = np.where(base_share > 0, sub_share / np.maximum(base_share, 1e-12), 0.0)
    rows = []
    for i in np.argsort(-lift, kind="stable"):
        v = uniq[i]
        rows.append({
            "value": names[int(v)] if names is not None else str(v),
            "count": int(sub[i]),
            "share": round(float(sub_share[i]), 4),
            "base_share": round(float(base_share[i]), 4),
            "lift": round(float(lift[i]), 3),
        })
    return rows
