"""Fold-in: the taste vector of a user from their films, for every model family.

One entry point per use, each dispatching on ``model.family``:

- ``fold_in(model, confidence)``: vectors for rows of confidence (users x films, as
  ``confidence_of`` gives them); the live overlay's refresh of users with new events.
  ALS: the exact user step of implicit's ``recalculate_user`` (``als_fold_in``). EASE: the
  linear map ``confidence @ model.fold_in_projection`` (``ease.py``), which gives a training
  user exactly their trained vector.
- ``fold_in_history(model, film_idx)``: one user from the films they watched (one view each);
  recommendations for a user the model does not know: ``fold_in`` of that row's confidence,
  the vector the overlay gives a new user with one event per film.

ALS reads ``alpha`` and ``regularization`` from ``meta["params"]``; EASE reads neither (its
confidence is the weighting's values, without alpha, as in training).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import ArtifactError
from recommender.model.model import Model

PAIRS_PER_CHUNK = 1 << 18  # padded (user, film) slots per ALS fold-in step (bounds memory)


def can_fold_in(model: Model) -> bool:
    """Whether ``fold_in`` gives this model's users vectors: ALS models (``implicit`` ALS,
    the default) and EASE models; BPR and LMF have no user step."""
    if model.family == "ease":
        return True
    return str(model.meta.get("model", "als")) == "als"


def unserved_ids(model: Model, film_ids: Sequence[str], user_ids: Sequence[str]
                 ) -> tuple[list[str], list[str]]:
    """Of events' ``film_ids`` and ``user_ids``, the distinct ones ``model`` cannot serve, in
    the order first given: films it does not know (their events change no audience until a
    model trained with them knows the film) and users it does not know when it cannot fold
    one in (``can_fold_in``; else none: a new user is folded in)."""
    films = list(dict.fromkeys(film_ids))
    unknown = [f for f, i in zip(films, model.films.to_index(films, strict=False).tolist(),
                                 strict=True) if i < 0] if films else []
    users: list[str] = []
    if len(user_ids) and not can_fold_in(model):
        ids = list(dict.fromkeys(user_ids))
        users = [u for u, i in zip(ids, model.users.to_index(ids, strict=False).tolist(),
                                   strict=True) if i < 0]
    return unknown, users


def mistyped_users(model: Model, user_ids: Sequence[str], most: int = 100
                   ) -> list[tuple[str, str]]:
    """(id as given, the model's user it may mean) for the distinct ``user_ids`` the model
    does not know that are one of its users' ids but for surrounding spaces, leading zeros or
    Unicode form (``IdMap.same_but_zeros``), the first ``most`` in the order given. A model
    that folds users in takes such an id as a new user, silently: a response keyed ``" u42"``
    was no conversion of the plan row of ``u42``, who stayed in the film's audience and a
    next wave's candidates."""
    out: list[tuple[str, str]] = []
    users = model.users
    # one lookup per distinct id (``IdMap``'s dict, built once): ``to_index`` hashed every
    # user of the model again for each batch (a second for 100 events beside 2M users)
    for u in dict.fromkeys(user_ids):
        near = [] if u in users else users.same_but_zeros(u)
        if near:
            out.append((u, near[0]))
            if len(out) >= most:
                break
    return out


def named_unserved(model: Model, film_ids: Sequence[str], user_ids: Sequence[str],
                   most: int = 100) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """``unserved_ids`` and ``mistyped_users`` (``most`` of them) of one batch, each id named
    once: a mistyped user id is left out of the users a model that folds no user in cannot
    serve (BPR, LMF), where it was named twice, as mistyped and as unknown."""
    films, users = unserved_ids(model, film_ids, user_ids)
    near = mistyped_users(model, user_ids, most)
    named = {u for u, _ in near}
    return films, [u for u in users if u not in named], near


def gram(film_factors: NDArray[np.floating]) -> NDArray[np.float64]:
    """``YtY`` (factors x factors, float64): computed once per model."""
    y = np.asarray(film_factors, np.float64)
    return y.T @ y


def fold_in(model: Model, confidence: sp.csr_matrix,
            yty: NDArray[np.float64] | None = None) -> NDArray[np.float32]:
    """Vectors (users x factors, float32) for the rows of ``confidence`` (``confidence_of``:
    the model's weighting, alpha applied for ALS). ``yty`` caches ALS's ``gram``."""
    if model.family == "ease":
        return _ease(model, confidence)
    params = model.meta.get("params", {})
    return als_fold_in(model.film_factors, confidence,
                       float(params.get("regularization", 0.0)), yty)


def event_value(model: Model) -> float | None:
    """The value of a new (user, film) pair without a rating under the ``rating`` scheme: the
    ``event_rating`` training recorded (``weighting.event_rating``, what ``train --events``
    gives the same event); None under other schemes, or for a model that recorded none
    (trained before it was recorded, or on a log without ratings: the events' weights)."""
    if str(model.meta.get("params", {}).get("weighting")) != "rating":
        return None
    value = model.meta.get("data", {}).get("event_rating")
    return float(value) if isinstance(value, int | float) else None


def fold_in_history(model: Model, film_idx: NDArray[np.integer], reg: float | None = None
                    ) -> NDArray[np.float32]:
    """Taste vector (factors,) of a user who is not in the model, from the films they watched
    (one view each, valued as an event without a rating is: ``event_value``).

    The vector ``fold_in`` gives the same films' row of confidence (``confidence_of``), so a
    watch list gets the vector the live overlay gives a new user with one event per film.
    ALS: implicit's user step with the confidence training used, ``c = alpha x value`` (it
    was ``1 + alpha``, a step of another objective: further from the trained vectors of the
    model's own users by the median ratio ``benchmarks/results/demo_figures.md`` gives);
    ``reg`` overrides the model's regularization. EASE: ``x @ fold_in_projection`` (``reg``
    does not apply).
    """
    films = np.unique(np.asarray(film_idx, np.int64))
    value = event_value(model)
    row = sp.csr_matrix((np.full(len(films), 1.0 if value is None else value),
                         (np.zeros(len(films), np.int64), films)), shape=(1, model.n_films))
    confidence = confidence_of(model, row, model.seen)
    if model.family == "ease":
        return _ease(model, confidence)[0]
    params = model.meta.get("params", {})
    lam = float(params.get("regularization", 0.0)) if reg is None else reg
    return als_fold_in(model.film_factors, confidence, lam)[0]


def _ease(model: Model, confidence: sp.csr_matrix) -> NDArray[np.float32]:
    if model.fold_in_projection is None:
        raise ArtifactError("this EASE model has no fold_in_projection to fold users in with")
    proj = np.asarray(model.fold_in_projection, np.float64)
    out = np.asarray(sp.csr_matrix(confidence, dtype=np.float64) @ proj)
    return np.ascontiguousarray(out, np.float32)


def confidence_of(model: Model, counts: sp.csr_matrix, seen: sp.csr_matrix
                  ) -> sp.csr_matrix:
    """Confidence of ``counts`` (users x films, the summed weights of each user's
    interactions) under the model's weighting, alpha applied for ALS (EASE's X has none);
    ``seen`` (all users) gives bm25 its film frequencies and user lengths."""
    params = model.meta.get("params", {})
    scheme = str(params.get("weighting", "binary"))
    alpha = float(params.get("alpha", 1.0)) if model.family == "als" else 1.0
    c = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    if scheme == "log":
        c.data = 1.0 + np.log1p(c.data)
    elif scheme == "rating":
        c.data = np.maximum(c.data, 1e-3)
    else:
        c.data = np.ones_like(c.data)
    if scheme == "bm25":
        k1, b = float(params.get("bm25_k1", 1.2)), float(params.get("bm25_b", 0.75))
        n_users = seen.shape[0]
        df = np.diff(sp.csc_matrix(seen).indptr).astype(np.float64)
        idf = np.log(n_users) - np.log1p(df)
        avg = seen.nnz / max(n_users, 1)
        rows = np.repeat(np.arange(c.shape[0]), np.diff(c.indptr))
        lengths = np.diff(c.indptr).astype(np.float64)
        norm = (1.0 - b) + b * lengths[rows] / max(avg, 1e-12)
        c.data = np.maximum(c.data * (k1 + 1.0) / (k1 * norm + c.data) * idf[c.indices], 1e-3)
    c.data *= alpha
    return c


def als_fold_in(film_factors: NDArray[np.floating], confidence: sp.csr_matrix,
                regularization: float, yty: NDArray[np.float64] | None = None
                ) -> NDArray[np.float32]:
    """The ALS user step for each row of ``confidence`` (users x films, alpha already applied,
    positive values) against fixed ``film_factors``; returns (users, factors) float32. A row
    with no film gets the zero vector, as in implicit.

    implicit's ``recalculate_user`` (exact solve, not conjugate gradient), in numpy: with ``Y``
    the film factors and ``c`` the confidence of each of the user's films,
    ``x = (YtY + reg I + sum_i (c_i - 1) y_i y_i^T)^-1 sum_i c_i y_i``, for a batch of users."""
    y = np.asarray(film_factors, np.float64)
    f = y.shape[1]
    yty = gram(y) if yty is None else yty
    conf = sp.csr_matrix(confidence)
    n = conf.shape[0]
    out = np.zeros((n, f), np.float32)
    lengths = np.diff(conf.indptr)
    base = yty + regularization * np.eye(f)
    # users by history length, in chunks whose padded histories fit PAIRS_PER_CHUNK: a chunk's
    # users have similar lengths, so little of the padding is wasted
    order = np.argsort(lengths, kind="stable")
    sorted_len = np.maximum(lengths[order], 1)
    start = 0
    while start < n:
        fits = np.arange(1, n - start + 1) * sorted_len[start:] <= PAIRS_PER_CHUNK
        stop = start + max(1, int(np.flatnonzero(fits)[-1]) + 1 if fits.any() else 1)
        rows = order[start:stop]
        lens = lengths[rows]
        pad = int(lens.max(initial=0))
        if pad == 0:
            start = stop
            continue
        # padded films (index 0, confidence 0 where there is no film: contributes nothing)
        slot = np.arange(pad)[None, :] < lens[:, None]
        idx = np.zeros((len(rows), pad), np.int64)
        c = np.zeros((len(rows), pad))
        pos = conf.indptr[rows][:, None] + np.arange(pad)[None, :]
        idx[slot] = conf.indices[pos[slot]]
        c[slot] = conf.data[pos[slot]]
        yp = y[idx]                                          # (users, pad, f)
        yt = yp.transpose(0, 2, 1)                           # batched matmuls (BLAS)
        a = base[None] + yt @ (yp * np.where(slot, c - 1.0, 0.0)[..., None])
        b = (yt @ c[..., None])[..., 0]
        solved = np.linalg.solve(a, b[..., None])[..., 0]
        out[rows] = np.where((lens > 0)[:, None], solved, 0.0).astype(np.float32)
        start = stop
    return out
