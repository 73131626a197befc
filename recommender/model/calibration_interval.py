"""The 95% interval of a tier's expected conversion: the calibration model's estimation noise.

``calibrate`` keeps the logistic coefficients' covariance (``model["cov"]``: the inverse of the
penalised Fisher information at the fit, ``calibration_fit.coef_cov``). ``mean_p_draws`` takes
``DRAWS`` coefficient vectors from N(coef, cov) with a fixed seed (one model, one interval: the
CLI and the service agree) and evaluates, for every draw at once, the curve ``p_at`` evaluates
(the film's ``GRID`` log rank fractions, forced non-increasing in rank the same way) and its
mean over ranges of ranks; ``tier_intervals`` takes their 2.5 and 97.5 percentiles, and those
of the lift (a tier's draw over the base's same draw).

What the interval covers: the noise of fitting the calibration on this held-out slice (had
the slice been drawn again), each (film, rank bin) count taken as an independent binomial.
Not covered: the same users counted across many films and the sample of films measured
(overdispersion the binomial leaves out), the logistic model's misspecification (its shape
in rank, popularity and momentum), the stretch to another horizon (``scale``) and the change
between periods; ``benchmarks/bench_calibration.py`` counts how often the interval, summed
over films, holds the conversions realised in a later period (``interval_coverage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.model.calibration import film_point, log_rank_grid, measured
from recommender.model.calibration_fit import design
from recommender.model.probability_digits import round_probability

Floats = NDArray[np.float64]
DRAWS = 200  # coefficient vectors drawn; the percentiles' own noise is small beside the width
SEED = 20_261_206  # fixed, so the same model gives the same interval every time
LEVEL_PCT = 95.0
#: a range of ranks longer than this is averaged over at most as many strata at their middle
#: ranks, their edges spaced evenly in log rank as the curve is (p_at's grid): each stratum
#: spans under 3% of its rank, where p is nearly straight. Equal strata put rank 1 to 1,950
#: of a million candidates in one, at the middle rank, where p's steep top made the base's
#: mean 54% low on the demo curve (under 0.01% now: tests/model/test_calibration_interval.py)
STRATA = 512
CHUNK = 128  # points evaluated per block (DRAWS x CHUNK floats)

COVERS = (f"{LEVEL_PCT:g}% interval ({DRAWS} draws of the calibration model's coefficients): "
          "the coefficients' sampling uncertainty only, from fitting the calibration on its "
          "held-out slice, its counts taken as independent; it leaves out the model's "
          "misspecification, the same users counted in many films, the films drawn to "
          "measure it, the stretch to another horizon and the change between periods, so "
          "later conversions often fall outside it (benchmarks/results/calibration.md "
          "measures how often)")


def interval_note(calibration: dict[str, Any]) -> str | None:
    """What a tier's ``expected_conversion_interval`` covers, or why it is null; None when the
    model measured no conversion at all (nothing to give an interval of)."""
    if not measured(calibration):
        return None
    model = calibration.get("model")
    if not model:
        return ("no interval: this model's calibration is one rank curve for every film, from "
                "before the per-film model; retrain to get one")
    if model.get("kind", "logistic") != "logistic":
        return (f"no interval: the {model.get('kind')} calibration has no coefficients to "
                "draw; only the logistic model gives one")
    if "cov" not in model:
        return ("no interval: this model's calibration predates the coefficients' covariance "
                "(calibration.json's model.cov); retrain to get one")
    cov = np.asarray(model["cov"], np.float64)
    n = len(model["coef"])
    if cov.shape != (n, n) or not np.isfinite(cov).all():
        return (f"no interval: calibration.json's model.cov is not a finite {n} x {n} matrix "
                f"(shape {cov.shape}); retrain to get one")
    return COVERS


def coef_draws(model: dict[str, Any], draws: int = DRAWS) -> Floats:
    """``draws`` coefficient vectors from N(coef, cov), the same ones every call (``SEED``);
    the square root of cov is its eigen-decomposition's (negative rounding noise clipped)."""
    coef = np.asarray(model["coef"], np.float64)
    cov = np.asarray(model["cov"], np.float64)
    values, vectors = np.linalg.eigh((cov + cov.T) / 2)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    z = np.random.default_rng(SEED).standard_normal((draws, len(coef)))
    # einsum, not BLAS, as in fit_logistic: the same digits whatever the thread count
    return coef + np.einsum("ki,ji->kj", z, root)


def _sigmoid(z: Floats) -> Floats:
    """The logistic function, in place where it can."""
    out = np.exp(-z)
    out += 1.0
    return np.asarray(np.reciprocal(out, out=out), np.float64)


def pooled(z: Floats, grid: Floats, peak: NDArray[np.int64]) -> Floats:
    """``calibration._non_increasing`` of each row's stretch ``z[d, :peak[d] + 1]``, all rows
    at once: the weighted isotonic (non-increasing) regression of the probabilities by its
    min-max formula, p*(i) = min over j <= i of max over i <= k <= peak of the weighted mean of
    p[j..k] (weights ``exp(grid)``), returned as logits; columns past a row's peak are
    meaningless (the caller keeps its own there)."""
    rows, top = z.shape
    p = _sigmoid(z)
    w = np.exp(grid[:top])
    sums = np.concatenate([np.zeros((rows, 1)), np.cumsum(p * w, axis=1)], axis=1)
    weights = np.r_[0.0, np.cumsum(w)]
    j, k = np.arange(top)[:, None], np.arange(top)[None, :]
    span = np.where(k >= j, weights[None, 1:] - weights[:-1, None], 1.0)  # (j, k)
    mean = (sums[:, None, 1:] - sums[:, :-1, None]) / span[None]
    valid = (k >= j)[None] & (k[None] <= peak[:, None, None])
    mean = np.where(valid, mean, -np.inf)
    high = np.maximum.accumulate(mean[:, :, ::-1], axis=2)[:, :, ::-1]  # max over k >= i
    low = np.minimum.accumulate(high, axis=1)  # min over j' <= j
    iso = np.clip(low[:, np.arange(top), np.arange(top)], 1e-300, 1.0 - 1e-16)
    return np.asarray(np.log(iso) - np.log1p(-iso), np.float64)


def forced(z: Floats, grid: Floats) -> Floats:
    """Each row of logits ``z`` (draws x grid) forced non-increasing as ``p_at`` forces its
    curve: a rise from the best rank to the row's peak pooled (``pooled``), then the running
    minimum."""
    z = np.array(z, np.float64)
    peak = np.argmax(z, axis=1)
    rising = np.flatnonzero(peak > 0)
    if len(rising):
        top = int(peak[rising].max()) + 1
        part = z[rising, :top]
        keep = np.arange(top)[None, :] <= peak[rising, None]
        z[rising, :top] = np.where(keep, pooled(part, grid, peak[rising]), part)
    return np.asarray(np.minimum.accumulate(z, axis=1), np.float64)


def _points(first: int, last: int) -> tuple[Floats, Floats]:
    """Ranks standing for ``first``..``last`` and their weights (users each stands for): every
    rank, or the middle ranks of at most ``STRATA`` strata spaced evenly in log rank."""
    n = last - first + 1
    if n <= STRATA:
        return np.arange(first, last + 1, dtype=np.float64), np.ones(n)
    # first rank of each stratum (those narrower than a rank merge: the best ranks stand alone)
    edges = np.unique(np.floor(np.geomspace(first, last + 1, STRATA + 1)).astype(np.int64))
    edges[0], edges[-1] = first, last + 1
    return (edges[:-1] + edges[1:] - 1) / 2.0, np.diff(edges).astype(np.float64)


def mean_p_draws(calibration: dict[str, Any], film: int, ranges: Sequence[tuple[int, int]],
                 total: int, draws: int = DRAWS) -> Floats:
    """(len(ranges), draws): the mean p over each range of ranks (1-based, of ``total``
    candidates) under each coefficient draw; a range with no rank gives NaNs. The caller
    checks ``interval_note`` is ``COVERS`` first."""
    model = calibration["model"]
    pop, mom, t = film_point(calibration, film)
    grid = log_rank_grid(t)
    z = forced(np.einsum("gi,ki->kg", design(grid, pop, mom), coef_draws(model, draws)), grid)
    slope = np.diff(z, axis=1)
    out = np.full((len(ranges), draws), np.nan)
    for r, (first, last) in enumerate(ranges):  # a few rings, never a loop over users
        if last < first or total <= 0:
            continue
        ranks, weight = _points(first, last)
        x = np.log(np.clip((ranks - 1) / total, 0.0, 1.0) + 0.5 / t)
        # as p_at interpolates: np.interp on the grid, clamped at its ends
        i = np.clip(np.searchsorted(grid, x, side="right") - 1, 0, len(grid) - 2)
        a = np.clip((x - grid[i]) / (grid[i + 1] - grid[i]), 0.0, 1.0)
        acc = np.zeros(draws)
        for lo in range(0, len(i), CHUNK):  # small blocks: a large temporary costs its pages
            part = slice(lo, lo + CHUNK)
            zq = z[:, i[part]]
            zq += slope[:, i[part]] * a[part]
            # einsum, not BLAS: the same digits whatever the thread count (the CLI = HTTP)
            acc += np.einsum("kn,n->k", _sigmoid(zq), weight[part])
        out[r] = acc / weight.sum()
    return out


def percentile_interval(values: Floats, digits: int | None) -> list[float] | None:
    """[2.5th, 97.5th] percentile of ``values``, rounded to ``digits`` decimals (None: as a
    probability, ``round_probability``); None if any is not finite."""
    if not len(values) or not np.isfinite(values).all():
        return None
    tail = (100.0 - LEVEL_PCT) / 2
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    if digits is None:
        return [round_probability(float(lo)), round_probability(float(hi))]
    return [round(float(lo), digits), round(float(hi), digits)]


def tier_intervals(calibration: dict[str, Any], film: int, ranges: Sequence[tuple[int, int]],
                   total: int, tied: bool = False
                   ) -> tuple[list[list[float] | None], list[list[float] | None]]:
    """Per range of ranks (a tier's; ``(1, 0)`` for an empty one): the 95% interval of its
    expected conversion and of its lift over all ``total`` candidates (None each where
    ``interval_note`` says there is none). ``tied``: the ranking has no order, so every
    non-empty range expects the film's mean p, as ``audience_summary`` gives it."""
    none: list[list[float] | None] = [None] * len(ranges)
    if interval_note(calibration) != COVERS or total <= 0:
        return none, list(none)
    means = mean_p_draws(calibration, film, [(1, total), *ranges], total)
    base = means[0]
    if tied:
        means[1:] = np.where(np.isnan(means[1:]), np.nan, base)
    convs = [percentile_interval(m, None) for m in means[1:]]  # probabilities
    lifts = [percentile_interval(m / base, 3) if (base > 0).all() else None for m in means[1:]]
    return convs, lifts
