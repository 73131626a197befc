"""A fit's scale: taste vectors past 32-bit scores refused, a fit predicting nothing noted.

``fit_factors`` (``training``) and ``check_scale`` name huge confidence values as a failed
fit's cause (``huge_advice``); ``collapsed`` is what ``meta.json`` records of an ALS or EASE
fit whose every score is next to 0; ``learned_nothing`` what it records of one whose vectors
collapsed below any usable score; ``record`` writes whichever holds (both trainers call it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.kernels.norms import largest_norm
from recommender.model.config import TrainConfig

# a confidence value past this (alpha applied) is named as a fit's failure's cause: ALS
# diverged from about 1e20 (weights of 1e30 under --weighting rating, read as confidence)
HUGE_CONFIDENCE = 1e6
# the largest norm of a fitted taste vector: past it a score (a dot product) or a squared norm
# may overflow float32 (factorised EASE on weights of 1e30 reached 4.5e15, scores 4.5e45: every
# answer came out empty or tied, with no word)
MAX_FACTOR_NORM = 1e15


def huge_advice(matrix: sp.csr_matrix, config: TrainConfig) -> str:
    """What to do when ``matrix``'s confidence values are huge, or "" when they are not: the
    values ``--weighting rating`` reads as they are, or ALS's ``--alpha`` (a binary log at
    --alpha 1e12 was told to rescale its ratings and train with --weighting binary)."""
    alpha = config.alpha if config.family == "als" and config.model == "als" else 1.0
    raw = float(np.max(matrix.data, initial=0.0))
    top = raw * alpha  # ALS alone scales by alpha
    if top <= HUGE_CONFIDENCE:
        return ""
    if config.weighting == "rating" and raw > HUGE_CONFIDENCE:
        return (f"its confidence values reach {top:.3g} (--weighting rating reads the log's "
                "ratings, or its weights when it has none, as they are): rescale them, or "
                "train with --weighting binary or log")
    return (f"its confidence values reach {top:.3g} (--alpha {alpha:g} times --weighting "
            f"{config.weighting}'s values of at most {raw:.3g}): lower --alpha")


def check_scale(uf: NDArray[np.float32], ff: NDArray[np.float32], matrix: sp.csr_matrix,
                config: TrainConfig) -> None:
    """Refuse a fit whose taste vectors are not finite or longer than ``MAX_FACTOR_NORM``:
    its scores would overflow float32 (an inf score, and NaN from inf - inf)."""
    # np.max, not max(): a NaN norm is kept whichever side holds it (max() drops a NaN
    # that comes second, and a fit with NaN film vectors was accepted)
    top = float(np.max([largest_norm(uf), largest_norm(ff)]))
    if np.isfinite(top) and top <= MAX_FACTOR_NORM:
        return
    family = "EASE" if config.family == "ease" else config.model.upper()
    raise InvalidParameterError(
        f"the {family} fit's taste vectors reach a length of {top:.3g}, past what 32-bit "
        f"scores hold: " + (huge_advice(matrix, config) or "raise --regularization (or "
                             "--ease-lambda), or lower --learning-rate (BPR, LMF)"))


# ALS and EASE are fitted to predict 1 for a watched film: a model whose every score is at
# most this predicts next to nothing (its regularization outweighs the log), and its scores,
# shown to 6 decimals, all read 0 (its orders are the fit's: float32 keeps their relative
# differences at any such scale, and on a sparse log such a fit can rank well)
COLLAPSED_SCORE = 1e-3


def collapsed(uf: NDArray[np.float32], ff: NDArray[np.float32], config: TrainConfig
              ) -> dict[str, Any] | None:
    """For an ALS or EASE fit whose every score is at most ``COLLAPSED_SCORE`` (bounded by its
    longest user and film vectors' lengths): what ``meta.json`` records of it, else None. BPR
    and LMF rank by logits of no fixed scale, so they are not judged."""
    if config.family != "ease" and config.model != "als":
        return None
    bound = float(np.prod([largest_norm(x) for x in (uf, ff)]))
    if bound > COLLAPSED_SCORE:
        return None
    # ALS weighs a watched film by --alpha (against 1 for every other): a small one does the
    # same, and the note sent the user to a --regularization left at its default
    knob, fix = ((f"--ease-lambda {config.ease_lambda:g}", "a lower --ease-lambda")
                 if config.family == "ease" else
                 (f"--regularization {config.regularization:g} at --alpha {config.alpha:g}",
                  "a lower --regularization or a higher --alpha"))
    return {"largest_score": float(f"{bound:.3g}"), "note": (
        f"every score is at most {bound:.3g}, where a watched film's target is 1: the fit "
        f"predicts next to nothing ({knob} outweighs what this log holds), so every score "
        "reads 0 as shown (6 decimals) and says nothing in absolute terms; audiences and "
        "recommendations still follow the scores' relative differences, which such a fit "
        f"keeps (on a sparse log it can rank well); for scores on the scale of 1, train with "
        f"{fix}, or on a larger log")}


def learned_nothing(uf: NDArray[np.float32], ff: NDArray[np.float32], config: TrainConfig,
                    seen: sp.csr_matrix) -> dict[str, Any] | None:
    """For an ALS or EASE fit that learned nothing usable, what ``meta.json`` records of it
    (``learned_nothing``), else None: the product of the two sides' median nonzero taste norms
    (the typical pair's score bound) is at most ``model.NO_SCORE`` (1e-6: below the float32
    rounding of a score fitted to 1; its comment says why) and the median user of ``seen``
    (users x films) has fewer than ``model.RELATING_INTERACTIONS``, so no film was related to
    another and most answers are tie-breaks (``Model.learned_nothing``, the same rule). The
    relative "nothing fitted" rule cannot see it: every vector collapsed, the median ones too;
    a fit that small on a log that relates films is ``collapsed``'s."""
    from recommender.model.model import NO_SCORE, RELATING_INTERACTIONS

    if config.family != "ease" and config.model != "als":
        return None
    medians = []
    for x in (uf, ff):
        norms = np.linalg.norm(np.asarray(x, np.float64), axis=1)
        live = norms[norms > 0]
        medians.append(float(np.median(live)) if len(live) else 0.0)
    typical = medians[0] * medians[1]
    counts = np.diff(seen.indptr)
    median = float(np.median(counts)) if len(counts) else 0.0
    if typical > NO_SCORE or median >= RELATING_INTERACTIONS:
        return None
    per_user = float(counts.mean()) if len(counts) else 0.0
    return {"typical_score": float(f"{typical:.3g}"),
            "median_norms": {"users": float(f"{medians[0]:.3g}"),
                             "films": float(f"{medians[1]:.3g}")},
            "interactions_per_user": {"mean": round(per_user, 2), "median": median},
            "note": (
        f"the model learned nothing usable: its taste vectors collapsed (median norms "
        f"{medians[0]:.2g} for users, {medians[1]:.2g} for films; a typical score "
        f"{typical:.2g}, at most {NO_SCORE:g}, inside float32's rounding of a target of 1), "
        f"because the log has too few interactions per user (median {median:g}, mean "
        f"{per_user:.2g}: a user with one film relates no two films, what taste is learned "
        "from): "
        "audiences, recommendations, lookalikes and comparable films will score ~0 and be "
        "ordered by the tie-break, not taste, and say so in their note; train on a log with "
        "several interactions per user")}


def record(meta: dict[str, Any], uf: NDArray[np.float32], ff: NDArray[np.float32],
           config: TrainConfig, seen: sp.csr_matrix) -> None:
    """Write into ``meta`` (``meta.json``) ``learned_nothing`` when the fit learned nothing,
    else ``collapsed`` when every score is next to 0, else neither: one rule for the local and
    the Spark trainer (Spark recorded only ``collapsed``, so a Spark model that learned nothing
    was served with collapsed's "still ranks" and no warning). ``seen``: users x films."""
    if (nothing := learned_nothing(uf, ff, config, seen)) is not None:
        meta["learned_nothing"] = nothing  # collapsed's "still ranks" would not hold
    elif (small := collapsed(uf, ff, config)) is not None:
        meta["collapsed"] = small
