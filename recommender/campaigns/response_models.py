"""Simulated responses beyond independent draws: users who differ from their p, places shocked.

``simulate.respond`` draws each plan row's purchase independently with its planted
probability ``p`` (p1 for a target, p0 for a control). Real responses are overdispersed, in two
ways a ``ResponseModel`` plants on top of the same truth:

- **heterogeneity** (``rho``): a user's true probability is not the plan's. In each response
  draw every user draws one quantile ``U ~ Uniform(0, 1)``, and each of their rows has the true
  probability ``q``, the ``U``-quantile of ``Beta(p (1 - rho) / rho, (1 - p) (1 - rho) / rho)``:
  mean ``p`` and variance ``rho p (1 - p)``, so that two rows of one user with the same ``p``
  respond with correlation ``rho`` (the beta-binomial's intra-class correlation) and rows of
  different users independently. One row's response alone is still Bernoulli(p) (``E[q] =
  p``): the spread shows only among rows that share a user, so a plan of one row per user
  (a cap of 1, the default) responds as independent draws do, whatever ``rho``.
- **a shock shared by a place** (``shock_sd``): each place (``place_labels``: a user attribute
  such as region or cinema, or the demo's planted taste group) draws one factor
  ``exp(shock_sd Z - shock_sd^2 / 2)``, log-normal with mean 1 and its log's sd ``shock_sd``,
  which multiplies ``q`` on every row of its users, targets and controls alike (capped at 1):
  a city's weather, a holiday, a cinema closing.
- both: the Beta draw, then the factor.

The hidden draws are fresh in each response draw (the planted ``p`` stays the truth; a draw is
one of the campaigns it could have been) and come from ``rng`` after the responses' own
uniforms, so that ``ResponseModel()`` (``rho = 0``, ``shock_sd = 0``) consumes ``rng`` as
``respond`` does and draws the same conversions. ``planted_rates`` gives the report's two
rates' estimands for any probabilities: the planted ``p`` (what a repeat of the campaign
converts on average) or the draw's ``q`` (what this campaign's users were set to convert).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy import special

from recommender.campaigns.simulate import Truth, row_probabilities
from recommender.errors import InvalidParameterError
from recommender.io import demo
from recommender.model.model import Model

#: ``place_labels``' name for the demo's planted taste groups (a cluster where no place is)
GROUP = "group"


@dataclass(frozen=True)
class ResponseModel:
    """How responses depart from independent draws with the planted ``p`` (module docstring):
    ``rho`` in [0, 1), the intra-class correlation of one user's rows; ``shock_sd`` >= 0, the
    sd of the log of each place's factor."""

    rho: float = 0.0
    shock_sd: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rho < 1.0:  # NaN too
            raise InvalidParameterError(f"rho: expected a number in [0, 1), got {self.rho}")
        if not (0.0 <= self.shock_sd and math.isfinite(self.shock_sd)):
            raise InvalidParameterError(
                f"shock_sd: expected a finite number >= 0, got {self.shock_sd}")

    @property
    def independent(self) -> bool:
        """Whether the responses are independent draws with the planted ``p`` (no latent)."""
        return self.rho == 0.0 and self.shock_sd == 0.0


def beta_quantiles(p: NDArray[np.float64], rho: float, u: NDArray[np.float64]
                   ) -> NDArray[np.float64]:
    """The ``u``-quantiles of ``Beta`` with mean ``p`` and variance ``rho p (1 - p)``, one per
    entry (``p`` of 0 or 1, and ``rho = 0``, keep ``p``)."""
    p = np.asarray(p, np.float64)
    if rho == 0.0:
        return p.copy()
    out = p.copy()
    inner = (p > 0) & (p < 1)
    k = (1.0 - rho) / rho
    out[inner] = special.betaincinv(p[inner] * k, (1.0 - p[inner]) * k, u[inner])
    return out


def true_probabilities(p: NDArray[np.float64], user: NDArray[np.int64],
                       place: NDArray[np.int64], model: ResponseModel,
                       rng: np.random.Generator) -> NDArray[np.float64]:
    """Each row's true probability in one response draw: ``p`` (planted) drawn around by the
    row's ``user`` (an index: rows of one user share their quantile) and multiplied by the
    factor of its ``place`` (an index), as the module docstring says."""
    q = np.asarray(p, np.float64).copy()
    if model.rho > 0:
        u = rng.random(int(user.max(initial=-1)) + 1)
        q = beta_quantiles(q, model.rho, u[user])
    if model.shock_sd > 0:
        z = rng.standard_normal(int(place.max(initial=-1)) + 1)
        factor = np.exp(model.shock_sd * z - model.shock_sd ** 2 / 2)
        q = np.minimum(q * factor[place], 1.0)
    return q


def place_labels(model: Model, truth: Truth, by: str, folder: str | Path | None = None
                 ) -> NDArray[np.str_]:
    """A place per user of ``truth`` (its ``user_ids``: the model's users, then newcomers):
    the model's user attribute ``by`` (``region``, ``city``, ``cinema``), or with ``by =
    "group"`` the planted taste group of the demo ``folder`` (a cluster where the model has no
    place). A user without one (a newcomer, an empty value) is in the place ``""``."""
    n_new = len(truth.user_ids) - model.n_users
    if by == GROUP:
        if folder is None:
            raise InvalidParameterError('places by "group" need the demo folder that planted '
                                        "the taste groups")
        groups = demo.read_groups(folder)
        known = np.array([str(groups.get(u, "")) for u in model.users.ids.tolist()], object)
    elif by in model.user_table.attributes:
        known = np.asarray(model.user_table.attributes[by], object)
    else:
        raise InvalidParameterError(
            f"places by {by!r}: the model's users have no such attribute (they have "
            f"{', '.join(sorted(model.user_table.attributes)) or 'none'}; or {GROUP!r}, the "
            "demo's planted taste groups)")
    return np.r_[known, np.full(n_new, "", object)].astype(str)


def respond_with(truth: Truth, rows: pa.Table, rng: np.random.Generator,
                 model: ResponseModel | None = None,
                 places: NDArray[np.str_] | None = None, waves: int = 1
                 ) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """``simulate.respond`` under ``model``: the purchases of ``rows`` in waves ``<= waves``
    (already bought: never). ``places``: one per user of ``truth`` (``place_labels``), needed
    when ``model.shock_sd > 0``. Returns (converted per row, the row's planted probability,
    its true probability in this draw); ``model`` None: independent draws."""
    model = model or ResponseModel()
    if model.shock_sd > 0 and places is None:
        raise InvalidParameterError("a shock shared by a place needs the users' places "
                                    "(place_labels)")
    if places is not None and len(places) != len(truth.user_ids):
        raise InvalidParameterError(f"places: expected one per user of the truth "
                                    f"({len(truth.user_ids):,}), got {len(places):,}")
    p, u = row_probabilities(truth, rows, waves)
    draw = rng.random(len(p))  # first, as ``respond`` draws them
    if model.independent:
        return draw < p, p, p
    codes = np.zeros(len(truth.user_ids), np.int64) if places is None else \
        np.unique(places, return_inverse=True)[1].ravel().astype(np.int64)
    q = true_probabilities(p, u.astype(np.int64), codes[u], model, rng)
    return draw < q, p, q


def planted_rates(p: NDArray[np.float64], target: NDArray[np.bool_],
                  strata: NDArray[Any] | None = None) -> tuple[float, float]:
    """(target rate, control rate) that the report estimates for rows of probability ``p`` in
    ``strata`` (one label per row; None: one stratum): over the strata holding both targets
    and controls, the targets' mean ``p``, and each stratum's controls' mean ``p`` weighted by
    its targets (``report.strata_stats``); their difference is ``simulate.planted_uplift``.
    NaN for both when no stratum holds both."""
    p = np.asarray(p, np.float64)
    labels = np.zeros(len(p), np.int64) if strata is None else \
        np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    k = int(labels.max(initial=-1)) + 1
    n_t = np.bincount(labels[target], minlength=k)
    n_c = np.bincount(labels[~target], minlength=k)
    both = (n_t > 0) & (n_c > 0)
    if not both.any():
        return math.nan, math.nan
    s_t = np.bincount(labels[target], weights=p[target], minlength=k)
    s_c = np.bincount(labels[~target], weights=p[~target], minlength=k)
    w = n_t[both] / n_t[both].sum()
    return float(s_t[both].sum() / n_t[both].sum()), float(np.sum(w * s_c[both] / n_c[both]))
