"""Calibrated probabilities: p(user watches film within the horizon) from rank and film features.

How it is measured (also in the README): before the final fit, the latest ``holdout`` share of
the training interactions (by timestamp; a seeded random share when the data has no
timestamps) is set aside and a model is fitted on the rest. For a sample of films (drawn by
popularity, never by outcome), every user known before the cut who had not watched the film
is ranked; the "hits" are the candidates who watched it in the held-out slice. A logistic
model of hit against the candidate's log rank fraction (piecewise linear), the film's
popularity (log of its viewers per user before the cut) and momentum (log of its share of the
latest window before the cut, as large as the held-out slice, against its share of all
interactions), with their products, is fitted on those counts (binomial IRLS, lightly
ridged). ``p_at`` evaluates it for a film with the features measured at the end of training
(the window is then the held-out slice itself), forced non-increasing in rank.

The horizon: ``p`` is the probability of watching within the held-out slice's span
(``horizon_days``: last training timestamp minus the cut). ``scale`` stretches it to another
horizon, ``1 - (1 - p) ** k(days)``, where k is the growth of known users' activity on known
films over that many days against the horizon, measured on past cuts of the training data
(``calibration_horizon.activity_curve``): an approximation that keeps the shape of p over ranks
and ignores a film's own interest fading. Measured against later data in
``benchmarks/bench_calibration.py``.

The rank-bin hit and candidate counts (1,000 bins of 0.1%) are kept too: ``conversion`` and
``base_rate`` read them for the whole-model view.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.io.text import days_text
from recommender.model.calibration_fit import (
    FEATURES,
    KNOTS,
    N_BINS,
    bin_counts,
    coef_cov,
    design,
    film_features,
    fit_isotonic_groups,
    fit_logistic,
    fit_table,
    hit_ranks,
    isotonic_group_curve,
    isotonic_rates,
)
from recommender.model.calibration_horizon import (
    activity_curve,
    horizon_factor,
    resolution,
    scale,
)
from recommender.model.calibration_inputs import Prepared, prepare

__all__ = ["N_BINS", "activity_curve", "base_rate", "calibrate", "conversion", "from_arrays",
           "has_model", "horizon", "horizon_factor", "mean_p", "measured", "p_at",
           "random_holdout", "resolution", "scale", "tied_means", "uncalibrated"]
GRID = 96    # points of the log-rank grid p_at evaluates on, per film
METHOD = ("logistic in log rank fraction (piecewise linear), film popularity and momentum, "
          "fitted on the held-out slice of the training interactions")
Floats = NDArray[np.float64]


def calibrate(
    user_factors: NDArray[np.float32],
    film_factors: NDArray[np.float32],
    fit_by_film: sp.csr_matrix,
    heldout_by_film: sp.csr_matrix,
    window_by_film: sp.csr_matrix | None = None,
    horizon_days: float | None = None,
    max_films: int | None = None,
    seed: int = 0,
    batch: int = 64,
    horizon_curve: dict[str, Any] | None = None,
    method: str = "logistic",
) -> dict[str, Any]:
    """Fit the calibrated ``p`` on the held-out slice; returns what ``calibration.json`` holds.

    ``fit_by_film``: films x users structure of the interactions before the cut (the ones the
    factors were fitted on); ``heldout_by_film``: the held-out slice; ``window_by_film``: the
    latest interactions before the cut, as many as held out (None: no timestamps, so no
    momentum); ``horizon_days``: the held-out slice's span (None: no timestamps);
    ``horizon_curve``: see ``activity_curve``. ``max_films`` films are ranked (default: as many
    as 50 million candidate scores allow, at least 600). ``method``: ``logistic`` (shipped) or
    ``isotonic_groups`` (one isotonic rank curve per popularity x momentum tercile group).
    """
    n_films, n_users = fit_by_film.shape
    fit_by_film = fit_by_film.tocsr()
    heldout_by_film = heldout_by_film.tocsr()
    n_fit = np.diff(fit_by_film.indptr)
    known = np.bincount(fit_by_film.indices, minlength=n_users)[:n_users] > 0
    total, held_total = int(fit_by_film.nnz), int(heldout_by_film.nnz)
    w_fit = None if window_by_film is None else np.diff(window_by_film.tocsr().indptr)
    w_total = 0 if window_by_film is None else int(window_by_film.nnz)
    pop_c, mom_c = film_features(n_fit, w_fit, n_users, total, w_total)
    eligible = np.flatnonzero(n_fit > 0)
    rng = np.random.default_rng(seed)
    if max_films is None:
        max_films = max(600, int(5e7 // max(n_users, 1)))
    if len(eligible) > max_films:  # drawn by popularity (a covariate), never by outcome
        weight = np.sqrt(n_fit[eligible].astype(np.float64))
        films = rng.choice(eligible, size=max_films, replace=False, p=weight / weight.sum())
    else:
        films = eligible
    films = np.sort(films)
    per_film = hit_ranks(user_factors, film_factors, fit_by_film, heldout_by_film, films,
                          known, batch)
    hits, cands = bin_counts(per_film)
    X, h, c = fit_table(per_film, pop_c[films], mom_c[films])
    coef = fit_logistic(X, h, c) if len(h) and h.sum() > 0 else None
    model: dict[str, Any] | None = None if coef is None else {
        "kind": "logistic",
        "features": list(FEATURES),
        "knots": [round(math.exp(k), 6) for k in KNOTS],
        "coef": [float(b) for b in coef],
        # the coefficients' covariance (calibration_interval: the tiers' 95% intervals)
        "cov": [[float(v) for v in row] for row in coef_cov(X, h, c, coef)],
    }
    if model is not None and method == "isotonic_groups":
        model = fit_isotonic_groups(per_film, pop_c[films], mom_c[films])
    if model is not None:
        model.update({"momentum": window_by_film is not None, "fit_rows": int(len(h)),
                      "fit_hits": int(h.sum())})
    # features at the end of training: every interaction, and the held-out slice as the window
    full = (fit_by_film + heldout_by_film).tocsr()
    full.sum_duplicates()
    out: dict[str, Any] = {
        "method": METHOD,
        "bins": N_BINS,
        # films with a ranking measured (hit_ranks leaves out those whose candidates all tie)
        "films_evaluated": int(sum(t > 0 for t, _ in per_film)),
        # of those, the films with a held-out conversion (the horizon's description)
        "films_converted": int(sum(t > 0 and len(r) > 0 for t, r in per_film)),
        "hits": hits.tolist(),
        "candidates": cands.tolist(),
        "horizon_days": None if horizon_days is None else round(float(horizon_days), 3),
        "horizon_curve": horizon_curve,
        "model": model,
        "users": int(n_users),
        "interactions": int(full.nnz),
        "recent_interactions": held_total if window_by_film is not None else 0,
        "film_viewers": np.diff(full.indptr).tolist(),
        "film_recent": np.diff(heldout_by_film.indptr).tolist(),
    }
    return out


def from_arrays(
    user_factors: NDArray[np.float32],
    film_factors: NDArray[np.float32],
    user_idx: NDArray[np.integer],
    film_idx: NDArray[np.integer],
    timestamp: NDArray[np.integer] | None,
    held: NDArray[np.bool_],
    n_users: int,
    n_films: int,
    seed: int = 0,
    method: str = "logistic",
    prepared: Prepared | None = None,
) -> dict[str, Any]:
    """``calibrate`` from the training interactions as index arrays and the held-out mask
    (factors fitted on the rows where ``held`` is false); the window and the horizon come
    from ``timestamp`` (None: a random hold-out, no momentum, no span in days). ``prepared``:
    ``calibration_inputs.prepare`` of the same arguments, built before (else built here)."""
    p = prepared if prepared is not None else prepare(
        user_idx, film_idx, timestamp, held, n_users, n_films, seed=seed)
    return calibrate(user_factors, film_factors, p.fit_by_film, p.heldout_by_film,
                     p.window_by_film, p.horizon_days, seed=seed,
                     horizon_curve=p.horizon_curve, method=method)


def has_model(calibration: dict[str, Any]) -> bool:
    """Whether ``calibration`` holds a fitted probability model."""
    return bool(calibration) and bool(calibration.get("model"))


def measured(calibration: dict[str, Any]) -> bool:
    """Whether ``calibration`` measured a conversion: a fitted model, or rank-bin counts with
    at least one hit. A held-out slice in which no candidate ranked before the cut watched
    the film (a log of one user; one whose held-out slice holds only users or films the fit
    before it never saw, as when each user's events come in one block of time) leaves 1,000
    bins without a hit: that is no calibration, not a measured rate of 0 (read as one, every
    tier's conversion was 0.0 "within N days", plans expected nothing, and the model said
    "calibrated tiers: yes")."""
    if not calibration:
        return False
    return bool(calibration.get("model")) or _total_hits(calibration) > 0


def _total_hits(calibration: dict[str, Any]) -> int:
    """The held-out conversions behind ``calibration`` (its rank bins' hits summed)."""
    return int(np.sum(np.asarray(calibration.get("hits") or [], np.int64)))


def conversion(calibration: dict[str, Any], lo_pct: float, hi_pct: float) -> float | None:
    """Held-out conversion of the ranking slice ``lo_pct``% to ``hi_pct``% (0 = best), over
    every film measured (the whole-model view; a film's own figure comes from ``p_at``)."""
    if not measured(calibration):
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


def _bin_curve(calibration: dict[str, Any]) -> Floats:
    """Non-increasing hit rate per rank bin (isotonic fit of the counts); for models trained
    before the probability model existed."""
    return isotonic_rates(np.asarray(calibration["hits"], np.float64),
                          np.asarray(calibration["candidates"], np.float64))


def p_at(calibration: dict[str, Any], film: int,
         rank_fraction: NDArray[np.float64]) -> NDArray[np.float64]:
    """Probability that a candidate of ``film`` at ``rank_fraction`` (0 = best, < 1) watches it
    within the calibration horizon (see ``horizon``); zeros when the model has no calibration.

    Non-increasing in ``rank_fraction`` for a fixed film. The planner (campaigns) and the
    distribution forecast read probabilities only through this function, so a better
    calibration replaces its body, never its callers.
    """
    frac = np.clip(np.asarray(rank_fraction, np.float64), 0.0, 1.0)
    if not measured(calibration):
        return np.zeros(frac.shape, np.float64)
    model = calibration.get("model")
    if not model:
        rate = _bin_curve(calibration)
        idx = np.clip((frac * len(rate)).astype(np.int64), 0, len(rate) - 1)
        return rate[idx]
    pop, mom, t = film_point(calibration, film)
    if model.get("kind") == "isotonic_groups":
        rate = isotonic_group_curve(model, pop, mom)
        return rate[np.clip((frac * len(rate)).astype(np.int64), 0, len(rate) - 1)]
    grid = log_rank_grid(t)
    z = design(grid, pop, mom) @ np.asarray(model["coef"], np.float64)
    peak = int(np.argmax(z))
    if peak > 0:  # it rises from the best rank to its peak: that stretch is pooled
        z = np.r_[_non_increasing(z[:peak + 1], grid[:peak + 1]), z[peak + 1:]]
    z = np.minimum.accumulate(z)  # non-increasing in rank: a rise after the peak is cut
    zq = np.interp(np.log(frac + 0.5 / t), grid, z)
    return 1.0 / (1.0 + np.exp(-zq))


def film_point(calibration: dict[str, Any], film: int) -> tuple[float, float, int]:
    """A film's (popularity, momentum) at the end of training and its candidates t, as the
    model's ``p_at`` reads them (``calibration`` holds a fitted model)."""
    model = calibration["model"]
    n_users = int(calibration["users"])
    viewers = int(calibration["film_viewers"][film])
    recent = int(calibration["film_recent"][film]) if model.get("momentum") else None
    pop, mom = film_features(np.array([viewers]), None if recent is None else np.array([recent]),
                             n_users, int(calibration["interactions"]),
                             int(calibration["recent_interactions"]))
    return float(pop[0]), float(mom[0]), max(n_users - viewers, 1)


def log_rank_grid(t: int) -> NDArray[np.float64]:
    """The log rank fractions ``p_at`` evaluates a film of ``t`` candidates on."""
    return np.linspace(math.log(0.5 / t), 0.0, GRID)


def _non_increasing(z: NDArray[np.float64], grid: NDArray[np.float64]) -> NDArray[np.float64]:
    """The closest non-increasing curve to a logit curve ``z`` that rises from the best rank
    (a log where new, light users convert most): isotonic regression of its probabilities,
    each grid point weighted by the share of ranks it stands for (the grid is uniform in log
    rank, so that share grows as the rank fraction, ``exp(grid)``). It keeps the stretch's
    mean rate; the running minimum alone clamped such a curve to its best rank's value, so
    every rank got about 1e-24 where 1.3% of candidates converted. A rise after the curve's
    peak (the fitted tail turning up) is still cut by the running minimum, which the
    calibration benchmark measures as the better rule there (the pooled tail over-predicted
    the ranks beyond the broad ring on ML-100K: realised / predicted 0.66 against 0.95)."""
    from scipy.optimize import isotonic_regression

    p = 1.0 / (1.0 + np.exp(-z))
    iso = np.asarray(isotonic_regression(p, weights=np.exp(grid), increasing=False).x)
    iso = np.clip(iso, 1e-300, 1.0 - 1e-16)
    return np.log(iso) - np.log1p(-iso)


def p_in_order(calibration: dict[str, Any], film: int, desc: NDArray[np.floating]
               ) -> NDArray[np.float64]:
    """``p_at`` for a film's candidates sorted best first (``desc``: their scores, in that
    order): position i's p is that of rank fraction i / n, except that users with equal
    scores share the mean p over the ranks their run spans, since their order among
    themselves is arbitrary (a film whose candidates all tie gets its mean p everywhere)."""
    n = len(desc)
    return tied_means(p_at(calibration, film, np.arange(n) / max(n, 1)), desc)


def tied_means(by_rank: NDArray[np.float64], desc: NDArray[np.floating]
               ) -> NDArray[np.float64]:
    """``by_rank`` (a non-increasing ``p`` per rank, best first) with the users whose scores
    ``desc`` tie sharing the mean over the ranks their run spans (``p_in_order``'s rule, also
    for a new film's mixed calibration)."""
    n = len(desc)
    if n < 2:
        return by_rank
    starts = np.flatnonzero(np.r_[True, desc[1:] != desc[:-1]])
    if len(starts) == n:  # no tie: the usual case
        return by_rank
    ends = np.r_[starts[1:], n]
    sums = np.r_[0.0, np.cumsum(by_rank)]
    means = (sums[ends] - sums[starts]) / (ends - starts)
    # the difference of two running sums is off by a few ulps of the sum: a run over a flat
    # stretch of the curve came out above or below it, and a later run above an earlier
    # one (p rising with rank), so the planner's tie-break by rank, which needs equal p to
    # be equal, took rank 42 before rank 1. A run's mean lies between its ends' p (by_rank
    # is non-increasing), and the runs' means stay non-increasing in rank.
    means = np.minimum.accumulate(np.clip(means, by_rank[ends - 1], by_rank[starts]))
    return np.repeat(means, ends - starts)


def mean_p(calibration: dict[str, Any], film: int, first: int, last: int, total: int
           ) -> float | None:
    """Mean ``p`` over ranks ``first``..``last`` (1-based) of ``total`` candidates; None
    without calibration or for an empty range."""
    if not measured(calibration):
        return None
    if last < first or total <= 0:
        return None
    ranks = np.arange(first, last + 1, dtype=np.float64)
    return float(p_at(calibration, film, (ranks - 1) / total).mean())

#: below this many held-out conversions behind the calibration, its probabilities are said to
#: be rough (a log of 5 users fitted the per-film model on 3 conversions, without a word)
FEW_HITS = 100


#: how a horizon of a model without calibration has begun since the first stored plans
NO_CALIBRATION = "no calibration in this model"


def uncalibrated(horizon: dict[str, Any]) -> bool:
    """Whether a stored ``horizon`` (a plan summary's) is a model's without calibration: its
    ``calibrated`` False, or, in a plan stored before that flag, its description saying so
    (those plans' reports said their zeros "cover the calibration's held-out slice")."""
    if "calibrated" in horizon:
        return horizon["calibrated"] is False
    return str(horizon.get("description") or "").startswith(NO_CALIBRATION)


#: what a probability measured on a random holdout is (a log without times): the horizon's note
RANDOM_HOLDOUT_NOTE = ("not a conversion rate: each probability is the chance that a hidden "
                       "viewing is found, measured on a random held-out share of the training "
                       "interactions (the log has no time, so it forecasts no conversion in any "
                       "span of days)")


def random_holdout(horizon: dict[str, Any]) -> bool:
    """Whether a ``horizon`` (a summary's, a plan's) was measured on a random holdout, so its
    p are no forecast of conversion; a plan stored before the flag reads False, as then."""
    return horizon.get("random_holdout") is True


def horizon(calibration: dict[str, Any]) -> dict[str, Any]:
    """What a probability from ``p_at`` covers: the span of the held-out slice behind it,
    whether anything was measured (``calibrated``: False when every probability is 0), and
    what it was measured on: ``held_out_conversions`` (the held-out slice's conversions of
    ranked candidates) over ``films_measured`` films ranked, ``films_converted`` of them with a
    conversion (all None without a holdout; ``films_converted`` None for a model trained
    before it was counted), and
    ``random_holdout`` (True, with ``note``, when the holdout was a random share: a log without
    timestamps, whose p measure how often a hidden viewing is found, not a conversion)."""
    # the measurement's size, which every probability comes from (its source, beside the
    # days): said in the description only under FEW_HITS conversions, it had no field
    converted = calibration.get("films_converted") if calibration else None
    source = ({"held_out_conversions": _total_hits(calibration),
               "films_measured": int(calibration.get("films_evaluated") or 0),
               "films_converted": None if converted is None else int(converted)}
              if calibration and "hits" in calibration else
              {"held_out_conversions": None, "films_measured": None, "films_converted": None})
    if not measured(calibration):
        # a model without rank-bin counts held out nothing: it was not "a holdout measuring
        # no conversion" (said of every --holdout 0 model)
        why = ("its calibration holdout measured no conversion: retrain with --holdout > 0 on "
               "a log whose held-out slice has viewers the fit before it knew"
               if calibration and "hits" in calibration else
               "no calibration holdout was fitted: trained with --holdout 0, or the holdout "
               "left nothing to fit before it, as meta.json's refit says; retrain with "
               "--holdout > 0")
        return {"days": None, "calibrated": False, "random_holdout": False, **source,
                "description": f"{NO_CALIBRATION}: every probability is 0 ({why})"}
    days = calibration.get("horizon_days")
    kind = "calibrated per film" if calibration.get("model") else "one curve for every film"
    hits = _total_hits(calibration)
    if hits < FEW_HITS:  # 3 conversions behind an 11-coefficient model read as a measurement
        kind += (f", measured on only {hits} held-out conversion{'s' if hits != 1 else ''}: "
                 "a rough figure")
    elif source["films_measured"]:  # the conversions fall on fewer films than were ranked
        on = ("" if source["films_converted"] is None  # a model trained before it was counted
              else f" (on {source['films_converted']:,} films)")
        kind += (f", measured on {hits:,} held-out conversions{on} over "
                 f"{source['films_measured']:,} films ranked")
    if not days:
        return {"days": None, "calibrated": True, "random_holdout": True, **source,
                "note": RANDOM_HOLDOUT_NOTE, "description": (
                    f"probability ({kind}) of watching within the held-out slice of the "
                    "training interactions, a random share (the log has no timestamps, or all "
                    f"are equal), so it has no span in days; {RANDOM_HOLDOUT_NOTE}")}
    return {"days": days, "calibrated": True, "random_holdout": False, **source,
            "description": (
        f"probability ({kind}) of watching within {days_text(days)} days, the span of the "
        "held-out slice (the latest training interactions); over a horizon of D days a "
        "probability p becomes 1 - (1 - p) ** k(D), where k(D) is the growth of known users' "
        "activity over D days measured on past cuts of the training data (the model's "
        "horizon curve; past its last point it keeps its last pace): an approximation that "
        "keeps the order of the probabilities over ranks and ignores a film's own interest "
        "fading")}
