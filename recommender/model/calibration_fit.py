"""Fitting the calibrated probability: ranks of held-out viewers, the fitting table, the model.

The model is a binomial logistic regression of "watched in the held-out slice" on the
candidate's log rank fraction (piecewise linear, knots ``KNOTS``), the film's popularity and
momentum (``film_features``) and their products with the log rank (``FEATURES``), fitted on
aggregated counts per (film, rank-fraction bin); see ``recommender.model.calibration``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

N_BINS = 1000
# rank-fraction bin edges of the fitting table: 0, then geometric from 1e-4 to 1
FIT_EDGES = np.r_[0.0, np.geomspace(1e-4, 1.0, 41)]
KNOTS = tuple(math.log(k) for k in (1e-3, 1e-2, 0.05, 0.2, 0.5))
FEATURES = ("1", "x", *(f"(x-log {math.exp(k):.3g})+" for k in KNOTS), "pop", "mom", "x*pop",
            "x*mom")
RIDGE = 1.0  # ridge penalty (in binomial information units) on every coefficient but the first
Floats = NDArray[np.float64]


def hit_ranks(user_factors: NDArray[np.float32], film_factors: NDArray[np.float32],
               seen_by_film: sp.csr_matrix, heldout_by_film: sp.csr_matrix,
               films: NDArray[np.int64], known: NDArray[np.bool_] | None, batch: int
               ) -> list[tuple[int, NDArray[np.int64]]]:
    """Per film: (candidates t, 1-based ranks of its held-out viewers among them). A film
    whose candidates all score the same (nothing fitted: a zero taste vector) has no ranking
    to measure: it counts as (0, no ranks), where its held-out viewers would all have taken
    rank 1 and inflated the best ranks' rate."""
    unknown = None if known is None else np.flatnonzero(~known)
    out: list[tuple[int, NDArray[np.int64]]] = []
    for start in range(0, len(films), batch):
        block = films[start:start + batch]
        scores = film_factors[block] @ user_factors.T
        sub_seen = seen_by_film[block]
        rows = np.repeat(np.arange(len(block)), np.diff(sub_seen.indptr))
        scores[rows, sub_seen.indices] = -np.inf
        if unknown is not None and len(unknown):
            scores[:, unknown] = -np.inf
        n_cand = np.count_nonzero(scores > -np.inf, axis=1)
        sorted_desc = -np.sort(-scores, axis=1)
        sub_held = heldout_by_film[block]
        for r in range(len(block)):
            t = int(n_cand[r])
            if t > 1 and sorted_desc[r, 0] == sorted_desc[r, t - 1]:  # every candidate tied
                out.append((0, np.zeros(0, np.int64)))
                continue
            held = sub_held.indices[sub_held.indptr[r]:sub_held.indptr[r + 1]]
            s = scores[r, held]
            held_s = s[s > -np.inf]  # held-out rows already seen in the fit part are not hits
            # rank = 1 + number of candidates scoring strictly higher
            ranks = np.searchsorted(-sorted_desc[r, :t], -held_s, side="left") + 1
            out.append((t, ranks.astype(np.int64)))
    return out


def bin_counts(per_film: list[tuple[int, NDArray[np.int64]]]
               ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Hits and candidates per 0.1% rank bin, summed over the films."""
    hits = np.zeros(N_BINS, np.int64)
    cands = np.zeros(N_BINS, np.int64)
    for t, ranks in per_film:
        if t <= 0:
            continue
        hits += np.bincount(((ranks - 1) * N_BINS) // t, minlength=N_BINS)
        edges = -(-np.arange(N_BINS + 1) * t // N_BINS)  # ceil(b * t / N_BINS)
        cands += np.diff(edges)
    return hits, cands

def film_features(viewers: NDArray[np.integer], recent: NDArray[np.integer] | None,
                  n_users: int, total: int, recent_total: int) -> tuple[Floats, Floats]:
    """(popularity, momentum) of films with ``viewers`` before a cut, ``recent`` of them in the
    latest window (``recent_total`` of ``total`` interactions). Momentum is 0 without a window.
    """
    n = np.asarray(viewers, np.float64)
    pop = np.log((n + 1.0) / max(n_users, 1))
    if recent is None or recent_total <= 0 or total <= 0:
        return pop, np.zeros_like(pop)
    w = np.asarray(recent, np.float64)
    return pop, np.log((w + 0.5) / (n + 1.0)) - math.log(recent_total / total)


def design(x: Floats, pop: Floats | float, mom: Floats | float) -> Floats:
    """The logistic model's columns (``FEATURES``) for log rank fractions ``x``."""
    x = np.asarray(x, np.float64)
    pop = np.broadcast_to(pop, x.shape)
    mom = np.broadcast_to(mom, x.shape)
    cols = [np.ones_like(x), x, *(np.maximum(x - k, 0.0) for k in KNOTS), pop, mom, x * pop,
            x * mom]
    return np.stack(cols, axis=-1)


def fit_logistic(X: Floats, hits: Floats, cands: Floats, ridge: float = RIDGE,
                 iterations: int = 100) -> Floats:
    """Binomial logistic regression on aggregated counts: Newton steps with step halving on
    the penalised log-likelihood (ridge on every coefficient but the intercept)."""
    n_feat = X.shape[1]
    pen = np.full(n_feat, ridge)
    pen[0] = 0.0
    base = min(max(float(hits.sum()) / max(float(cands.sum()), 1.0), 1e-9), 1 - 1e-9)
    beta = np.zeros(n_feat)
    beta[0] = math.log(base / (1 - base))

    def loss(b: Floats) -> float:
        eta = X @ b
        return float((cands * np.logaddexp(0.0, eta) - hits * eta).sum()
                     + 0.5 * (pen * b * b).sum())

    current = loss(beta)
    for _ in range(iterations):
        eta = X @ beta
        p = 1.0 / (1.0 + np.exp(-np.clip(eta, -35, 35)))
        w = cands * p * (1 - p)
        # einsum, not BLAS: sums over the rows that BLAS splits among its threads, so the
        # coefficients depended on the thread count (training's side thread runs under one)
        grad = np.einsum("ri,r->i", X, hits - cands * p) - pen * beta
        hess = np.einsum("ri,rj->ij", X * w[:, None], X) + np.diag(pen) + 1e-9 * np.eye(n_feat)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6:
            trial = beta + t * step
            value = loss(trial)
            if value <= current:
                break
            t /= 2
        else:
            break
        beta, done = trial, current - value < 1e-10 * max(abs(current), 1.0)
        current = value
        if done:
            break
    return beta


def coef_cov(X: Floats, hits: Floats, cands: Floats, beta: Floats, ridge: float = RIDGE
             ) -> Floats:
    """The covariance of ``fit_logistic``'s coefficients ``beta``: the inverse of the penalised
    Fisher information ``X'WX + ridge`` at ``beta`` (the Hessian its last Newton step solved),
    the large-sample spread of the estimate over held-out slices like this one."""
    n_feat = X.shape[1]
    pen = np.full(n_feat, ridge)
    pen[0] = 0.0
    p = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -35, 35)))
    w = cands * p * (1 - p)
    info = np.einsum("ri,rj->ij", X * w[:, None], X) + np.diag(pen) + 1e-9 * np.eye(n_feat)
    cov = np.linalg.inv(info)
    return np.asarray((cov + cov.T) / 2, np.float64)  # symmetric to the last digit


def fit_table(per_film: list[tuple[int, NDArray[np.int64]]], pop: Floats, mom: Floats
              ) -> tuple[Floats, Floats, Floats]:
    """The fitting table: one row per (film, rank-fraction bin) with candidates: design
    rows, hits and candidates."""
    xs, ps, ms, hs, cs = [], [], [], [], []
    for (t, ranks), fp, fm in zip(per_film, pop, mom, strict=True):
        if t <= 0:
            continue
        lo = np.ceil(FIT_EDGES * t).astype(np.int64)  # first 0-based rank of each bin
        lo[-1] = t
        n = np.diff(lo)
        h = np.bincount(np.searchsorted(FIT_EDGES, (ranks - 1) / t, side="right") - 1,
                        minlength=len(n))[:len(n)]
        keep = n > 0
        mid = (lo[:-1] + lo[1:] - 1) / 2.0  # mean 0-based rank in the bin
        xs.append(np.log((mid[keep] + 0.5) / t))
        hs.append(h[keep])
        cs.append(n[keep])
        ps.append(np.full(int(keep.sum()), fp))
        ms.append(np.full(int(keep.sum()), fm))
    if not xs:
        return np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0)
    X = design(np.concatenate(xs), np.concatenate(ps), np.concatenate(ms))
    return X, np.concatenate(hs).astype(np.float64), np.concatenate(cs).astype(np.float64)


def isotonic_rates(hits: NDArray[np.number[Any]], cands: NDArray[np.number[Any]]) -> Floats:
    """Non-increasing hit rate per rank bin: isotonic regression of hits / candidates
    weighted by candidates (bins without candidates weigh nothing)."""
    from scipy.optimize import isotonic_regression

    hits = np.asarray(hits, np.float64)
    cands = np.asarray(cands, np.float64)
    rate = np.divide(hits, cands, out=np.zeros_like(hits), where=cands > 0)
    return np.asarray(isotonic_regression(rate, weights=np.maximum(cands, 1e-9),
                                          increasing=False).x, np.float64)


def fit_isotonic_groups(per_film: list[tuple[int, NDArray[np.int64]]], pop: Floats,
                        mom: Floats, n_groups: int = 3) -> dict[str, Any]:
    """The alternative to the logistic model: one isotonic rank curve (``N_BINS`` bins) per
    popularity x momentum group (terciles of the measured films by default)."""
    q = np.linspace(0, 1, n_groups + 1)[1:-1]
    pop_edges = np.quantile(pop, q) if len(pop) else np.zeros(0)
    mom_edges = np.quantile(mom, q) if len(mom) else np.zeros(0)
    group = (np.searchsorted(pop_edges, pop, side="right") * n_groups
             + np.searchsorted(mom_edges, mom, side="right"))
    overall = isotonic_rates(*bin_counts(per_film))
    curves = []
    for g in range(n_groups * n_groups):
        members = [pf for pf, gg in zip(per_film, group.tolist(), strict=True) if gg == g]
        h, c = bin_counts(members)
        curves.append(isotonic_rates(h, c) if c.sum() and h.sum() else overall)
    return {"kind": "isotonic_groups", "groups": n_groups,
            "pop_edges": [float(e) for e in pop_edges], "mom_edges": [float(e) for e in mom_edges],
            "curves": [[float(f"{v:.6g}") for v in curve] for curve in curves]}


def isotonic_group_curve(model: dict[str, Any], pop: float, mom: float) -> Floats:
    """The rank curve of the popularity x momentum group a film with these features is in."""
    n = int(model["groups"])
    g = (int(np.searchsorted(model["pop_edges"], pop, side="right")) * n
         + int(np.searchsorted(model["mom_edges"], mom, side="right")))
    return np.asarray(model["curves"][g], np.float64)
