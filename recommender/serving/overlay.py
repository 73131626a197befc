"""New interactions on top of a trained model, without retraining: the live overlay.

An ``Overlay`` holds, for one base model, the events applied since it was trained: per user
the extra films watched, and the users the model has never seen. ``Overlay.model()`` returns a
*derived* ``Model`` in which

- every extra (user, film) pair is part of ``seen`` and ``seen_by_film``, so audiences and
  recommendations exclude it like any training interaction;
- each user with new films has a refreshed taste vector, ``fold_in``: the least-squares step
  ALS performs for one user against the fixed film factors (same regularization, alpha and
  weighting as the model's training, ``meta["params"]``), or for an EASE model the linear map
  of the user's confidence row by its ``fold_in_projection`` (``recommender.model.foldin``);
- a user new to the model gets an index after the model's own (``n_users + j``) and an id from
  the overlay's own id table (the base model's ``IdMap`` is never changed), a vector by
  fold-in, a segment (the nearest centre by cosine, as training assigns) and empty
  attributes, and so appears in audiences.

The base model is never modified; the derived one shares its film side (factors, catalog,
calibration) and copies the user side, so materialising costs O(users x factors + seen pairs)
plus the fold-in of the users with events since the previous derived model (only those).

Fold-in is implicit's ``recalculate_user`` (exact solve, not conjugate gradient), in numpy:
with ``Y`` the film factors and ``c = alpha x value`` the confidence of each of the user's
films, ``x = (YtY + reg I + sum_i (c_i - 1) y_i y_i^T)^-1 sum_i c_i y_i``, solved for a batch of
users at once. Values follow the model's weighting; interactions the model was trained on count
as one view each (the model keeps their structure, not their weight). Under the ``rating``
scheme an event carries no rating: it is valued as ``train --events`` values it (a new pair at
the ``event_rating`` training recorded, the log's median raised to ``min_rating``; a pair the
user rated is unchanged), so folding events in and retraining on them agree. So a known user's
vector is the trained one plus what the events change: the fold-in of the user's rows with
the events less the fold-in of the same rows without them. The trained part stays as trained
under every scheme (a rating-weighted vector is not replaced by a one-view-each one); for
EASE, linear in the confidence, this is exact; for ALS the change is the difference of two
user steps. A new user's vector is the fold-in itself. Models other than ALS and EASE (BPR, LMF) are
not refreshed: their new interactions are excluded, but vectors stay and new users get none.
Such users' events are counted (``events_for_unknown_users``), and ``POST /events`` names them.
A fold-in that comes out non-finite (absurd weights) is refused: the user keeps their previous
vector (a new user the zero vector), it is counted in ``describe()`` and logged once per overlay.
Users the store erased (``forgotten``: ``recommender.campaigns.erasure.Erasures``) are left out:
their events are not applied, and the derived model has no row for them
(``recommender.model.dropped.without_users``), a base model's user included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.io.dataset import UserTable
from recommender.io.ids import IdMap
from recommender.model import foldin, segments
from recommender.model.dropped import without_users
from recommender.model.foldin import PAIRS_PER_CHUNK, confidence_of, gram
from recommender.model.foldin import als_fold_in as fold_in
from recommender.model.model import Model, Segments
from recommender.serving.engine import Engine

log = logging.getLogger(__name__)
# the ALS step, its Gram matrix and the confidence of counts live in the model room
# (recommender/model/foldin.py), which dispatches on the model family; re-exported here
__all__ = ["PAIRS_PER_CHUNK", "Overlay", "confidence_of", "engine_with", "fold_in", "gram"]


class Overlay:
    """Events applied to one base model (see the module docstring). Not thread-safe: one
    writer (the service's poller) applies and materialises."""

    def __init__(self, base: Model, since: int = 0, gone: str | None = None,
                 forgotten: Callable[[NDArray[np.str_]], NDArray[np.bool_]] | None = None
                 ) -> None:
        self.base = base
        self.forgotten = forgotten                   # the mask of erased ids (or None)
        self.erased_events = 0                       # events of erased users, not applied
        self._base_erased: NDArray[np.bool_] | None = None  # the base users erased
        self.since = since            # events up to this sequence are in the base model
        # why the store no longer holds the events the base model was trained through
        # (a restore then new events: ``campaigns.trained_events``); all of them then apply
        self.gone = gone
        self.seq = since              # the last sequence number applied
        self.new_ids: list[str] = []  # the overlay's id table: index n_users + j
        self._new_map = IdMap(np.zeros(0, str))
        self._u: list[NDArray[np.int64]] = []
        self._f: list[NDArray[np.int64]] = []
        self._w: list[NDArray[np.float64]] = []
        self.applied = 0
        self.unknown_film_events = 0
        self.unknown_user_events = 0  # BPR, LMF: no fold-in, so a new user cannot be served
        self._derived: Model | None = None
        self._yty: NDArray[np.float64] | None = None
        self._uf: NDArray[np.float32] | None = None      # vectors of the last derived model
        self._dirty: list[NDArray[np.int64]] = []        # users with events since then
        self.refresh_vectors = foldin.can_fold_in(base)
        self.refused_vectors = 0                         # non-finite fold-ins not installed

    def apply(self, user_ids: NDArray[np.str_], film_ids: NDArray[np.str_],
              weights: NDArray[np.floating], seq: int) -> None:
        """Add events (aligned columns) up to sequence ``seq``. Events for films the model
        does not know are counted and left for the next training."""
        films = self.base.films.to_index(pa.array(np.asarray(film_ids, str)), strict=False)
        known = films >= 0
        self.unknown_film_events += int((~known).sum())
        if self.forgotten is not None and len(film_ids):
            erased = self.forgotten(np.asarray(user_ids, str))
            self.erased_events += int((erased & known).sum())
            known &= ~erased
        users_s = np.asarray(user_ids, str)[known]
        users = self.base.users.to_index(pa.array(users_s), strict=False)
        if self.refresh_vectors and (users < 0).any():
            fresh = users_s[users < 0]
            pos = self._new_map.to_index(pa.array(fresh), strict=False)
            unseen = fresh[pos < 0]
            if len(unseen):
                uniq, first = np.unique(unseen, return_index=True)
                self.new_ids.extend(uniq[np.argsort(first)].tolist())
                self._new_map = IdMap(np.asarray(self.new_ids, str))
                pos = self._new_map.to_index(pa.array(fresh), strict=False)
            users[users < 0] = self.base.n_users + pos
        ok = users >= 0
        self.unknown_user_events += int((~ok).sum())
        self._u.append(users[ok])
        self._f.append(films[known][ok])
        self._w.append(np.asarray(weights, np.float64)[known][ok])
        self._dirty.append(users[ok])
        self.applied += int(ok.sum())
        self.seq = max(self.seq, int(seq))
        self._derived = None

    @property
    def n_users(self) -> int:
        return self.base.n_users + len(self.new_ids)

    def describe(self) -> dict[str, Any]:
        u = np.concatenate(self._u) if self._u else np.zeros(0, np.int64)
        return {"base_model": self.base.version, "since_seq": self.since, "seq": self.seq,
                "events_applied": self.applied,
                "users_refreshed": int(len(np.unique(u))) if self.refresh_vectors else 0,
                "new_users": len(self.new_ids),
                "events_for_unknown_films": self.unknown_film_events,
                "events_for_unknown_users": self.unknown_user_events,
                "non_finite_vectors_refused": self.refused_vectors,
                "trained_events_gone": self.gone,
                "events_of_erased_users": self.erased_events,
                "vectors": ("fold-in (EASE projection)" if self.base.family == "ease" else
                            "fold-in (ALS user step)") if self.refresh_vectors else
                "unchanged (fold-in is the ALS or EASE step; this model is neither)"}

    def model(self) -> Model:
        """The derived model (cached until the next ``apply``); the base model itself when no
        event was read, and with ``meta["overlay"]`` only when those read apply to nothing
        (films it lacks): it has read them, so what it reflects (``Engine.events_seq``, a
        next wave's ``events_seq``) runs through them (it said 0, or the training's)."""
        if self._derived is None:
            derived = (self._materialise() if self.applied else self.base
                       if self.seq == self.since else
                       replace(self.base, meta={**self.base.meta, "overlay": self.describe()}))
            if self.forgotten is not None:
                derived = without_users(derived, self._erased(derived.n_users), self.forgotten)
            self._derived = derived
        return self._derived

    def _erased(self, n: int) -> NDArray[np.bool_]:
        """The mask of the erased among ``n`` users: the base model's, hashed once per
        overlay (each id is hashed: not at every poll), then False for the users new to it
        (``apply`` left out every event of an erased id)."""
        assert self.forgotten is not None
        if self._base_erased is None:
            self._base_erased = np.asarray(self.forgotten(self.base.users.ids), bool)
        return np.r_[self._base_erased, np.zeros(n - self.base.n_users, bool)]

    @property
    def changes(self) -> bool:
        """Whether the derived model differs from the base one (events read, or users
        erased), so a new engine serves it."""
        return not (self.applied == 0 and self.seq == self.since and
                    self.model() is self.base)

    def _materialise(self) -> Model:
        base = self.base
        n_base, n = base.n_users, self.n_users
        u, f, w = (np.concatenate(x) for x in (self._u, self._f, self._w))
        extra = sp.csr_matrix((w, (u, f)), shape=(n, base.n_films), dtype=np.float64)
        extra.sum_duplicates()
        indptr = np.r_[np.asarray(base.seen.indptr, np.int64),
                       np.full(n - n_base, base.seen.nnz, np.int64)]
        old = sp.csr_matrix((np.ones(base.seen.nnz), np.asarray(base.seen.indices),
                             indptr), shape=(n, base.n_films))
        fill = _event_rating(base)
        if fill is not None:  # rated as train --events rates them: a new pair at the fill,
            extra.data[:] = fill  # a pair the user rated keeps its rating (no change)
            extra = (extra - extra.multiply(old)).tocsr()
            extra.eliminate_zeros()
        counts = (old + extra).tocsr()
        counts.sort_indices()
        seen = sp.csr_matrix((np.ones(counts.nnz, np.float32), counts.indices.copy(),
                              counts.indptr.copy()), shape=counts.shape, dtype=np.float32)
        uf = np.zeros((n, base.user_factors.shape[1]), np.float32)
        if self._uf is None:
            uf[:n_base] = base.user_factors
        else:  # only users with events since the last derived model are folded in again
            uf[:len(self._uf)] = self._uf
        touched = np.unique(np.concatenate(self._dirty)) if self._dirty else u[:0]
        self._dirty = []
        if self.refresh_vectors and len(touched):
            if self._yty is None and base.family == "als":
                self._yty = gram(base.film_factors)
            conf = confidence_of(base, counts[touched], seen)
            # a row with a non-finite confidence would poison its solve: left out, refused
            bad_rows = np.unique(np.repeat(np.arange(len(touched)), np.diff(conf.indptr))[
                ~np.isfinite(conf.data)])
            conf.data[~np.isfinite(conf.data)] = 0.0
            conf.eliminate_zeros()
            with np.errstate(all="ignore"):
                fresh = foldin.fold_in(base, conf, self._yty)
                # a known user keeps the trained vector plus what the events change: the
                # rebuilt rows count a trained interaction as one view (the model keeps which
                # films, not their ratings), so folding them alone would replace a
                # rating-weighted vector by a binary one. Exact for EASE (linear in the
                # confidence); for ALS the change is the difference of two user steps
                known = touched < n_base
                if known.any():
                    before = foldin.fold_in(base, confidence_of(base, old[touched[known]], seen),
                                            self._yty)
                    fresh[known] += base.user_factors[touched[known]] - before
            finite: NDArray[np.bool_] = np.asarray(np.isfinite(fresh).all(axis=1), bool)
            finite[bad_rows] = False
            uf[touched[finite]] = fresh[finite]
            self._refuse(int((~finite).sum()), np.asarray(touched[~finite], np.int64))
        self._uf = uf
        users = (base.users if n == n_base else
                 IdMap(pa.concat_arrays([pa.array(base.users.ids.tolist(), pa.string()),
                                         pa.array(self.new_ids, pa.string())])))
        meta = dict(base.meta)
        meta["overlay"] = self.describe()
        return replace(base, users=users, user_factors=uf, seen=seen,
                       seen_by_film=seen.T.tocsr(), segments=self._segments(uf),
                       user_table=self._user_table(users), meta=meta, _user_norms=None,
                       _max_user_norm=None)

    def _refuse(self, n: int, users: NDArray[np.int64]) -> None:
        """Count (and log, the first time) fold-ins refused for being non-finite."""
        if n == 0:
            return
        if self.refused_vectors == 0:
            log.warning("fold-in gave a non-finite taste vector for %d user(s) (first: index "
                        "%d); their previous vectors are kept (logged once per overlay)", n,
                        int(users[0]))
        self.refused_vectors += n

    def _segments(self, uf: NDArray[np.float32]) -> Segments:
        labels = np.asarray(self.base.segments.labels)
        extra = len(uf) - len(labels)
        if extra == 0:
            return self.base.segments
        # training's own rule (spherical k-means: the nearest centre by cosine), not the
        # Euclidean distance to raw means, which put 7% (ALS) to 23% (EASE) of users with a
        # trained user's very history in another segment; over the taste columns, as training
        # clusters (BPR's and LMF's bias columns out: LMF's user bias moved 2.5% of clones)
        taste = self.base.taste
        nearest = segments.assign(taste(uf[len(labels):]), taste(self.base.user_factors),
                                  labels)
        return Segments(np.r_[labels, nearest.astype(labels.dtype)], self.base.segments.info)

    def _user_table(self, users: IdMap) -> UserTable:
        table = self.base.user_table
        extra = len(users) - len(table.user_ids)
        if extra == 0:
            return table
        attrs = {k: np.r_[np.asarray(v, str), np.full(extra, "", str)]
                 for k, v in table.attributes.items()}
        return UserTable(users.ids.copy(), attrs)


def engine_with(engine: Engine, model: Model) -> Engine:
    """A new engine serving ``model`` with ``engine``'s settings (a new cache key, so no
    cached ranking or body of the old one answers for it)."""
    return Engine(model, path=engine.path, max_k=engine.max_k,
                  cache_bytes=engine.cache.max_bytes, depth=engine.depth,
                  max_batch=engine.batcher.max_batch, on_batch=engine.batcher.on_batch,
                  on_cache=engine.on_cache,
                  on_recommendations_batch=engine.on_recommendations_batch,
                  min_cell=engine.min_cell)


def _event_rating(model: Model) -> float | None:
    """The value of an event's new (user, film) pair under the ``rating`` scheme
    (``foldin.event_value``: what a watch list's films are valued at too)."""
    return foldin.event_value(model)
