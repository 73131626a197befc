"""Which watched (user, film) pairs a model's factors were not fitted on, so reasons skip them.

``--min-rating`` keeps ratings below it out of the fit (and with ``warm_iterations`` 0 the
calibration holdout is out of the final fit too), yet every such pair stays ``seen``: without
a record of them, a recommendation's ``because`` cited a film its viewer rated low, which no
part of their taste came from. Both trainers record them (``record``) as a users x films CSR
structure, saved as ``unfitted_indptr.npy`` and ``unfitted_indices.npy`` with
``meta["unfitted_pairs"]`` their count (0: no file; a folder holding them is format version
3, so an older worker refuses it rather than cite them). A folder saved before the record
(no ``unfitted_pairs``) whose ``--min-rating`` left ratings out (``interactions_fitted`` in
its data) or trained with ``warm_iterations`` 0 cannot tell them apart: its recommendations
give no reasons (``explaining_films``), not wrong ones. (Before ``interactions_fitted`` was
recorded, ``--min-rating`` dropped low ratings from ``seen`` too: every seen pair was fitted.)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import ArtifactError
from recommender.model.model import Model

KEY = "unfitted_pairs"  # meta.json: how many seen pairs the factors were not fitted on
FILES = ("unfitted_indptr.npy", "unfitted_indices.npy")
FORMAT = 3  # the oldest format version that reads a folder holding the record


def record(meta: dict[str, Any], seen: sp.csr_matrix, users: NDArray[np.integer],
           films: NDArray[np.integer]) -> sp.csr_matrix | None:
    """The seen pairs not among the fitted ``(users, films)`` (aligned index arrays of
    distinct pairs, each a seen one), as a CSR structure of ``seen``'s shape, None when there
    is none; records their count in ``meta`` (and the format version that reads them)."""
    if len(users) == seen.nnz:  # every seen pair fitted: no matrices (20M pairs at ML-20M)
        meta[KEY] = 0
        return None
    fitted = sp.csr_matrix((np.ones(len(users), np.float32), (users, films)), shape=seen.shape)
    fitted.sum_duplicates()
    base = sp.csr_matrix((np.ones(seen.nnz, np.float32), seen.indices, seen.indptr),
                         shape=seen.shape)
    left = (base - base.multiply(fitted > 0)).tocsr()
    left.eliminate_zeros()
    meta[KEY] = int(left.nnz)
    if not left.nnz:
        return None
    meta["format_version"] = max(int(meta.get("format_version") or 1), FORMAT)
    left.sort_indices()
    left.data[:] = 1.0
    return left


def arrays(model: Model) -> dict[str, NDArray[Any]]:
    """``artifact.save``'s arrays of the record (none when every seen pair was fitted)."""
    left = model.unfitted
    if left is None or not left.nnz:
        return {}
    idx = np.int32 if left.nnz < 2**31 - 1 else np.int64
    return {"unfitted_indptr": np.asarray(left.indptr, idx),
            "unfitted_indices": np.asarray(left.indices, idx)}


def needed(meta: dict[str, Any]) -> list[str]:
    """The record's files a folder with ``meta`` must hold."""
    count = meta.get(KEY)
    return list(FILES) if isinstance(count, int) and not isinstance(count, bool) and count > 0 \
        else []


def read(src: Path, meta: dict[str, Any], arr: Callable[[str], NDArray[Any]],
         shape: tuple[int, int]) -> sp.csr_matrix | None:
    """The record of the folder ``src`` (``arr`` reads one of its arrays), checked against
    ``meta[KEY]`` and ``shape``; None when it holds none."""
    if not needed(meta):
        return None
    indptr, indices = arr("unfitted_indptr"), arr("unfitted_indices")
    ok = (indptr.shape == (shape[0] + 1,) and int(indptr[0]) == 0
          and int(indptr[-1]) == len(indices) == meta[KEY] and not (np.diff(indptr) < 0).any()
          and (not len(indices) or 0 <= int(indices.min()) <= int(indices.max()) < shape[1]))
    if not ok:
        raise ArtifactError(f"{src / FILES[0]}: does not match {FILES[1]}, the model's "
                            f"{shape[0]} users x {shape[1]} films or {KEY} {meta[KEY]}")
    return sp.csr_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=shape,
                         copy=False)


def known(model: Model) -> bool:
    """Whether the model can tell which seen pairs were fitted: it holds the record (or
    recorded none), or (a folder saved before the record) ``--min-rating`` left nothing out
    (no ``interactions_fitted``) and the final fit had every interaction."""
    if KEY in model.meta:
        return True
    data = model.meta.get("data")
    left_out = isinstance(data, dict) and "interactions_fitted" in data
    return not left_out and not _calibration_fit_is_the_model(model)


def _calibration_fit_is_the_model(model: Model) -> bool:
    """Whether the factors are the calibration fit's (``warm_iterations`` 0): the holdout
    was not fitted. A folder saved before ``meta["refit"]`` says so by its ``warm_iterations``
    0 and a calibration (a holdout drawn; EASE always refit)."""
    refit = model.meta.get("refit")
    if refit is not None:
        return str(refit).startswith("none: the calibration fit is the model")
    params = model.meta.get("params")
    warm = params.get("warm_iterations") if isinstance(params, dict) else None
    return warm == 0 and model.family != "ease" and bool(model.calibration)


#: the note of a recommendation list whose reasons ``known`` cannot give (README: Model folder)
UNEXPLAINED = ("no reasons (every because is empty): this model folder was saved before it "
               "recorded which watched films its --min-rating (or warm_iterations 0) left out "
               "of the fit, so it cannot tell which of the user's films a recommendation came "
               "from; retrain it to get reasons")


def unexplained(model: Model, user_idx: int) -> str | None:
    """``UNEXPLAINED`` where ``explaining_films`` gives user ``user_idx`` none because the
    model cannot tell (``known``), else None (a user new to the live overlay is explained)."""
    return UNEXPLAINED if user_idx < _trained_users(model) and not known(model) else None


def explaining_films(model: Model, user_idx: int) -> NDArray[np.int32]:
    """The films user ``user_idx`` watched that their taste was fitted on (sorted): what a
    recommendation's reasons may cite. A user new to the live overlay (every film from
    events, fitted by fold-in) has every film, whatever the folder; a trained user of a model
    that cannot tell (``known``) none."""
    watched = model.user_films(user_idx)
    left = model.unfitted
    if user_idx >= _trained_users(model):  # new to the overlay: fitted on its events alone
        return watched
    if not known(model):
        return watched[:0]
    if left is None:
        return watched
    s, e = left.indptr[user_idx], left.indptr[user_idx + 1]
    if s == e:
        return watched
    # both sorted, every unfitted film a watched one: their places by one search (np.isin
    # cost ~40 us a request, a sixth of a recommendation)
    drop = np.asarray(left.indices[s:e])
    at = np.searchsorted(watched, drop)
    if int(at[-1]) >= len(watched) or not np.array_equal(watched[at], drop):
        return watched[~np.isin(watched, drop)]  # not so (never from the trainers)
    keep = np.ones(len(watched), bool)
    keep[at] = False
    return watched[keep]


def _trained_users(model: Model) -> int:
    """How many of ``model``'s users it was trained on: the record's rows, or (a folder saved
    before the record) its users less those the live overlay added (``meta["overlay"]``)."""
    if model.unfitted is not None:
        return int(model.unfitted.shape[0])
    overlay = model.meta.get("overlay")
    new = overlay.get("new_users", 0) if isinstance(overlay, dict) else 0
    return model.n_users - int(new)
