"""User -> films: recommendations (known users, or a new user from the films they watched),
their explanations, comparable films, and batch recommendations."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.audience import check_k
from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.model import Model
from recommender.ranking import top_k, top_k_rows


@dataclass
class FilmList:
    """Ranked films, aligned arrays; ``because`` lists per film the watched films that
    contributed most (film_id, title, share of the score)."""

    user_id: str | None
    film_idx: NDArray[np.int64]
    score: NDArray[np.float32]
    because: list[list[dict[str, Any]]] | None = None

    def rows(self, model: Model) -> list[dict[str, Any]]:
        out = []
        for r, (f, s) in enumerate(zip(self.film_idx.tolist(), self.score, strict=True)):
            row: dict[str, Any] = {
                "film_id": str(model.films.ids[f]), "rank": r + 1, "score": round(float(s), 6),
                "title": str(model.catalog.titles[f]), "year": int(model.catalog.years[f]) or None,
                "genres": [g for g in str(model.catalog.genres[f]).split("|") if g],
            }
            if self.because is not None:
                row["because"] = self.because[r]
            out.append(row)
        return out


def fold_in(model: Model, film_idx: NDArray[np.integer], reg: float | None = None
            ) -> NDArray[np.float32]:
    """Taste vector of a user who is not in the model, from the films they watched.

    One ALS half-step: argmin_u sum_i c_i (1 - u.y_i)^2 + sum_other (u.y_j)^2 + reg |u|^2
    with c_i = 1 + alpha, solved in closed form (f x f system).
    """
    params = model.meta.get("params", {})
    alpha = float(params.get("alpha", 1.0))
    lam = float(params.get("regularization", 0.05)) if reg is None else reg
    Y = np.asarray(model.film_factors, np.float64)
    Yi = Y[np.asarray(film_idx)]
    A = Y.T @ Y + alpha * (Yi.T @ Yi) + lam * np.eye(Y.shape[1])
    b = (1 + alpha) * Yi.sum(axis=0)
    return np.linalg.solve(A, b).astype(np.float32)


def explain(model: Model, watched: NDArray[np.integer], films: NDArray[np.integer],
            n: int = 3) -> list[list[dict[str, Any]]]:
    """For each recommended film, the watched films whose taste vectors point the same way
    (cosine similarity), with each one's share of the positive similarity mass."""
    if len(watched) == 0 or len(films) == 0:
        return [[] for _ in films]
    ff = np.asarray(model.film_factors)
    norms = model.film_norms
    w = ff[watched] / norms[watched, None]
    r = ff[films] / norms[films, None]
    sim = r @ w.T  # (recs, watched)
    pos = np.clip(sim, 0, None)
    totals = pos.sum(axis=1)
    # per row: the n most similar watched films, ties to the lower position (as top_k);
    # for the usual short histories one stable sort of the block beats a partition
    if sim.shape[1] <= 512:
        best = np.argsort(-sim, axis=1, kind="stable")[:, :n]
    else:
        best, _ = top_k_rows(sim, n)
    picked = np.asarray(watched)[best]
    ids = model.films.ids[picked].tolist()
    titles = model.catalog.titles[picked].tolist()
    sims = np.take_along_axis(sim, best, axis=1).tolist()
    with np.errstate(invalid="ignore", divide="ignore"):  # rows with total 0 report share 0
        shares = (np.take_along_axis(pos, best, axis=1) / totals[:, None]).tolist()
    out = []
    for r_ids, r_titles, r_sims, r_shares, total in zip(ids, titles, sims, shares,
                                                         totals.tolist(), strict=True):
        out.append([
            {"film_id": str(i), "title": str(t), "similarity": round(s, 4),
             "share": round(sh, 4) if total > 0 else 0.0}
            for i, t, s, sh in zip(r_ids, r_titles, r_sims, r_shares, strict=True)
        ])
    return out


def recommend_user(model: Model, user_id: str, k: int = 10, exclude_seen: bool = True,
                   explain_n: int = 3) -> FilmList:
    """Top-``k`` films for a known user, watched films excluded by default."""
    check_k(k)
    u = model.user_index(user_id)
    watched = model.user_films(u)
    scores = np.asarray(model.film_factors @ model.user_factors[u], np.float32)
    if exclude_seen:
        scores[watched] = -np.inf
    top = top_k(scores, k)
    because = explain(model, watched, top, explain_n) if explain_n else None
    return FilmList(user_id, top, scores[top], because)


def recommend_from_history(model: Model, film_ids: Sequence[str], k: int = 10,
                           explain_n: int = 3) -> FilmList:
    """Top-``k`` films for a user unknown to the model, from the films they watched."""
    check_k(k)
    if not film_ids:
        raise InvalidParameterError("give at least one watched film id")
    watched = np.unique(model.films.to_index(film_ids, strict=True, error=UnknownFilmError))
    scores = np.asarray(model.film_factors @ fold_in(model, watched), np.float32)
    scores[watched] = -np.inf
    top = top_k(scores, k)
    because = explain(model, watched, top, explain_n) if explain_n else None
    return FilmList(None, top, scores[top], because)


def similar_films(model: Model, film_id: str, k: int = 10) -> FilmList:
    """Comparable films: cosine similarity of taste vectors, the film itself excluded."""
    check_k(k)
    f = model.film_index(film_id)
    ff = np.asarray(model.film_factors)
    scores = ((ff @ ff[f]) / (model.film_norms * model.film_norms[f])).astype(np.float32)
    scores[f] = -np.inf
    top = top_k(scores, k)
    return FilmList(None, top, scores[top])


def batch_recommendations(
    model: Model, user_idx: NDArray[np.integer], k: int = 10, exclude_seen: bool = True,
    batch: int = 1024,
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]]:
    """Top-``k`` films of many users, ``batch`` users per matrix product.

    Yields ``(users, films, scores, counts)``; row r's first ``counts[r]`` entries are real.
    """
    check_k(k)
    ff_t = np.ascontiguousarray(np.asarray(model.film_factors).T)
    all_users: NDArray[np.int64] = np.asarray(user_idx, np.int64)
    for start in range(0, len(all_users), batch):
        users = all_users[start:start + batch]
        scores = np.asarray(model.user_factors[users]) @ ff_t
        if exclude_seen:
            sub = model.seen[users]
            rows = np.repeat(np.arange(len(users)), np.diff(sub.indptr))
            scores[rows, sub.indices] = -np.inf
        films, counts = top_k_rows(scores, k)
        yield users, films, np.take_along_axis(scores, films, axis=1), counts
