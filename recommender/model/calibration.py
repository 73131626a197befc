"""Expected conversion of each audience tier, measured on interactions held out from training.

How it is measured (also in the README): before the final fit, the latest ``holdout`` share of
the training interactions (by timestamp; a seeded random share when the data has no
timestamps) is set aside and a model is fitted on the rest. For a sample of films that have
held-out viewers, every user who had not watched the film in the fitted part is ranked; each
candidate falls in one of 1,000 rank bins (0.1% of the ranking each, bin 0 the best). We count,
per bin, the candidates and the "hits" (candidates who watched the film in the held-out slice).
A tier's expected conversion is hits / candidates over the bins it covers, summed over films:
the share of the tier's users who went on to watch. The counts are stored in the model so any
tier boundaries can be evaluated later at 0.1% resolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

N_BINS = 1000


def measure(
    user_factors: NDArray[np.float32],
    film_factors: NDArray[np.float32],
    seen_by_film: sp.csr_matrix,
    heldout_by_film: sp.csr_matrix,
    max_films: int = 600,
    seed: int = 0,
    batch: int = 64,
) -> dict[str, Any]:
    """Rank-bin hit and candidate counts over a sample of films with held-out viewers.

    ``seen_by_film`` and ``heldout_by_film`` are films x users CSR matrices (structure only).
    """
    n_films, n_users = seen_by_film.shape
    with_heldout = np.flatnonzero(np.diff(heldout_by_film.indptr) > 0)
    rng = np.random.default_rng(seed)
    films = (rng.choice(with_heldout, size=max_films, replace=False)
             if len(with_heldout) > max_films else with_heldout)
    films = np.sort(films)
    hits = np.zeros(N_BINS, np.int64)
    cands = np.zeros(N_BINS, np.int64)
    for start in range(0, len(films), batch):
        block = films[start:start + batch]
        scores = film_factors[block] @ user_factors.T
        sub_seen = seen_by_film[block]
        rows = np.repeat(np.arange(len(block)), np.diff(sub_seen.indptr))
        scores[rows, sub_seen.indices] = -np.inf
        n_cand = n_users - np.diff(sub_seen.indptr)
        sorted_desc = -np.sort(-scores, axis=1)
        sub_held = heldout_by_film[block]
        for r in range(len(block)):
            t = int(n_cand[r])
            if t <= 0:
                continue
            held = sub_held.indices[sub_held.indptr[r]:sub_held.indptr[r + 1]]
            s = scores[r, held]
            held_s = s[s > -np.inf]  # held-out rows already seen in the fit part are not hits
            # rank = 1 + number of candidates scoring strictly higher
            ranks = np.searchsorted(-sorted_desc[r, :t], -held_s, side="left") + 1
            hits += np.bincount(((ranks - 1) * N_BINS) // t, minlength=N_BINS)
            edges = -(-np.arange(N_BINS + 1) * t // N_BINS)  # ceil(b * t / N_BINS)
            cands += np.diff(edges)
    return {
        # a frozen output value written into calibration.json (not a module path to update)
        "method": "held-out slice of the training interactions; see recommender/calibration.py",
        "bins": N_BINS,
        "films_evaluated": int(len(films)),
        "hits": hits.tolist(),
        "candidates": cands.tolist(),
    }


def conversion(calibration: dict[str, Any], lo_pct: float, hi_pct: float) -> float | None:
    """Expected conversion of the ranking slice from ``lo_pct``% to ``hi_pct``% (0 = best)."""
    if not calibration or not calibration.get("hits"):
        return None
    hits = np.asarray(calibration["hits"], np.int64)
    cands = np.asarray(calibration["candidates"], np.int64)
    n = len(hits)
    lo, hi = int(round(lo_pct * n / 100)), int(round(hi_pct * n / 100))
    denom = cands[lo:hi].sum()
    return float(hits[lo:hi].sum() / denom) if denom > 0 else None


def base_rate(calibration: dict[str, Any]) -> float | None:
    """Conversion of a random non-viewer: the whole ranking's hit rate."""
    return conversion(calibration, 0.0, 100.0)


def p_at(calibration: dict[str, Any], film: int,
         rank_fraction: NDArray[np.float64]) -> NDArray[np.float64]:
    """Probability that a candidate of ``film`` at ``rank_fraction`` (0 = best, < 1) watches it
    within the calibration horizon (see ``horizon``); zeros when the model has no calibration.

    The planner (campaigns) and the distribution forecast read probabilities only through this
    function, so a better calibration replaces its body, never its callers.
    """
    frac = np.asarray(rank_fraction, np.float64)
    if not calibration or not calibration.get("hits"):
        return np.zeros(frac.shape, np.float64)
    hits = np.asarray(calibration["hits"], np.float64)
    cands = np.asarray(calibration["candidates"], np.float64)
    rate = np.divide(hits, cands, out=np.zeros_like(hits), where=cands > 0)
    idx = np.clip((frac * len(rate)).astype(np.int64), 0, len(rate) - 1)
    return rate[idx]


def horizon(calibration: dict[str, Any]) -> dict[str, Any]:
    """What a probability from ``p_at`` covers: the span of the held-out slice behind it."""
    return {"days": calibration.get("horizon_days"),
            "description": "the span of the held-out slice of the training interactions"}
