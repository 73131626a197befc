"""What a tier calibration measures that the fitted factors do not change, built apart from them.

``prepare`` builds, from the interactions and the held-out mask alone, the films x users
matrices of the fit part, the held-out slice and the latest window before the cut, the
held-out slice's span in days and the activity curve (``calibration_horizon``). Training
builds them in its side thread while the calibration fit runs (``side_work``), so that only
the ranking and the probability model wait for the fit's factors (on 16 cores the side
thread's calibration outlasted the refit beside it, and the main thread waited for it).
``calibration.from_arrays`` is ``prepare`` then ``calibrate``: the same result either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.model.calibration_horizon import activity_curve, latest, resolution, span_days


@dataclass(frozen=True)
class Prepared:
    """``calibrate``'s inputs other than the factors (its arguments of the same names)."""

    fit_by_film: sp.csr_matrix
    heldout_by_film: sp.csr_matrix
    window_by_film: sp.csr_matrix | None
    horizon_days: float | None
    horizon_curve: dict[str, Any] | None


def prepare(user_idx: NDArray[np.integer], film_idx: NDArray[np.integer],
            timestamp: NDArray[np.integer] | None, held: NDArray[np.bool_], n_users: int,
            n_films: int, seed: int = 0) -> Prepared:
    """The training interactions (index arrays) and the held-out mask as ``calibrate``'s
    inputs; the window and the horizon come from ``timestamp`` (None: a random hold-out, no
    momentum, no span in days)."""
    def by_film(mask: NDArray[np.bool_]) -> sp.csr_matrix:
        m = sp.csr_matrix((np.ones(int(mask.sum()), np.float32),
                           (np.asarray(film_idx)[mask], np.asarray(user_idx)[mask])),
                          shape=(n_films, n_users))
        m.sum_duplicates()
        return m

    window = days = curve = None
    if timestamp is not None:
        ts = np.asarray(timestamp, np.int64)
        fit_rows = np.flatnonzero(~held)
        recent = np.zeros(len(held), bool)
        recent[fit_rows[latest(ts[fit_rows], int(held.sum()), seed=seed)]] = True
        window = by_film(recent)
        days = span_days(ts[held], int(ts.max()), resolution(ts))
        if days is not None:
            curve = activity_curve(np.asarray(user_idx), np.asarray(film_idx), ts, n_users,
                                   n_films, days)
    return Prepared(by_film(~held), by_film(held), window, days, curve)
