"""Cold start (time protocol): audiences for new films from their genres and comparable titles."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.evaluation import metrics
from recommender.evaluation.scoring import MIN_VIEWERS
from recommender.evaluation.splits import Index, Split
from recommender.kernels.ranking import top_k, top_k_rows
from recommender.model.model import Model


def genre_incidence(model: Model) -> NDArray[np.float32]:
    """``(films, genres)`` 0/1 matrix of the catalog's genres (vocabulary order)."""
    vocab = {g: i for i, g in enumerate(model.catalog.genre_vocabulary())}
    rows, cols = [], []
    for f, text in enumerate(model.catalog.genres.tolist()):
        for g in text.split("|"):
            if g:
                rows.append(f)
                cols.append(vocab[g])
    out = np.zeros((len(model.catalog.genres), len(vocab)), np.float32)
    out[rows, cols] = 1.0
    return out


def comparable_titles(model: Model, film: int, known: Index, popularity: NDArray[np.float64],
                      n: int = 10, incidence: NDArray[np.float32] | None = None
                      ) -> dict[str, float]:
    """What a planner would name as comparable titles for a new film, read off the catalog:
    known films sharing its genres (Jaccard), closer release years first (a 10-year decay),
    popularity breaking ties. Returns ``{film_id: weight}`` (empty when it has no genres).
    ``incidence`` (from :func:`genre_incidence`) saves rebuilding it per film."""
    g = genre_incidence(model) if incidence is None else incidence
    want = g[film]
    if not want.any():
        return {}
    gk = g[known]
    inter = gk @ want
    union = gk.sum(axis=1) + want.sum() - inter
    sim = (inter / np.maximum(union, 1)).astype(np.float64)
    years = model.catalog.years
    y0 = years[film]
    if y0 > 0:
        yk = years[known]
        sim = sim * np.where(yk > 0, np.exp(-np.abs(yk - y0) / 10.0), 0.5)
    sim = np.where(sim > 0, sim + 1e-6 * np.log1p(popularity[known]), -np.inf)
    best = top_k(sim, n)
    return {str(model.films.ids[known[i]]): float(sim[i]) for i in best}


def cold_start_eval(model: Model, split: Split, k: int = 100, min_viewers: int = MIN_VIEWERS
                    ) -> dict[str, Any]:
    """Audiences for films first seen after the cut-off, built only from their genres and
    comparable titles, against ranking users by activity. Every evaluated user is a candidate
    (nobody has watched a new film in training). ``model`` is indexed like ``split`` (as the
    local trainer builds it from ``split.train``)."""
    from recommender.query.audience import cold_start_vector

    if split.new_films is None:
        return {"status": "n/a (needs the time protocol)"}
    if not model.catalog.genre_vocabulary():
        return {"status": "n/a (no film genres in the catalog)"}
    new = split.new_films.to_csr()[split.users].T.tocsr()  # films x evaluated users
    n_viewers = np.diff(new.indptr)
    films = np.flatnonzero(n_viewers >= min_viewers)
    films = np.array([f for f in films if model.catalog.genres[f]], np.int64)
    if len(films) == 0:
        return {"status": f"n/a (no new film has {min_viewers}+ test viewers)"}
    popularity = np.bincount(split.train.film_idx, minlength=split.train.n_films).astype(float)
    uf = np.asarray(model.user_factors)[split.users]
    incidence = genre_incidence(model)
    vec: dict[str, list[NDArray[np.float32]]] = {"engine": [], "engine_genres_only": []}
    for f in films:
        genres = [g for g in model.catalog.genres[f].split("|") if g]
        comp = comparable_titles(model, int(f), split.films, popularity, incidence=incidence)
        vec["engine"].append(cold_start_vector(model, comp, genres))
        vec["engine_genres_only"].append(cold_start_vector(model, (), genres))
    activity = np.bincount(split.history.user_idx, minlength=split.history.n_users)[split.users]
    truth = new[films].toarray() > 0
    candidates = np.ones_like(truth)
    out: dict[str, Any] = {"films_evaluated": int(len(films)),
                           "comparable_titles": "10 known films by genre Jaccard x year decay"}
    rankings = {name: np.vstack(v) @ uf.T for name, v in vec.items()}
    rankings["popularity"] = np.broadcast_to(activity.astype(np.float32),
                                             truth.shape).copy()
    for name, scores in rankings.items():
        scores = np.asarray(scores, np.float32)
        top, counts = top_k_rows(scores, k)
        hits = metrics.hits_at_k(top, counts, truth)
        n_pos = n_viewers[films]
        # recall counts a tie at the cut by its expected hits, as score_split does (users
        # by activity tie in whole runs: the index order filled the cut)
        recall = metrics.recall_of_hits(metrics.expected_hits_at_k(scores, truth, k), n_pos, k)
        out[name] = {
            f"audience_recall@{k}": round(metrics.mean(recall), 5),
            f"audience_ndcg@{k}": round(metrics.mean(metrics.ndcg_at_k(hits, n_pos)), 5),
            "audience_auc": round(metrics.mean(metrics.auc(scores, truth, candidates)), 5),
        }
    return out
